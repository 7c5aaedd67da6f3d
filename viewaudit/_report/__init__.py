"""Reporting: result objects, comparisons, inflation factors, text, Markdown and plots."""
