"""Reporting: result objects, comparisons, inflation factors, text, Markdown, plots and HTML."""
