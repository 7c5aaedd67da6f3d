"""Draws the docs' figures from real audits at every docs build, so that no picture is pasted.

An mkdocs hook (``hooks:`` in ``mkdocs.yml``). It runs two audits, the README's demo log (the
``x-openai-2023`` scenario scaled to 200,000 impressions, seed 0) and the bundled EB-NeRD sample,
and adds their HTML reports and each report's figures to the site under ``figures/``:
``demo-report.html``, ``demo-fig-ladder.svg``, ``demo-fig-inflation.svg``, ``demo-fig-dwell.svg``,
and the same with ``ebnerd-``. The figures are cut out of ``Audit.to_html()``: the pages show
exactly what the report draws. About two seconds.
"""

from __future__ import annotations

import re
from typing import Any

import viewaudit
from viewaudit.datasets import load_ebnerd

#: The demo's log: what ``viewaudit demo`` and the quick start's ``viewaudit simulate`` make.
DEMO_SCENARIO = "x-openai-2023"
DEMO_IMPRESSIONS = 200_000
DEMO_SEED = 0
#: Where the reports' links to the docs point, from ``figures/``.
DOCS_URL = "../"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
_SVG = re.compile(r'<svg [^>]*\bid="(fig-[a-z]+)".*?</svg>', re.DOTALL)


def demo_audit() -> viewaudit.Audit:
    """The audit of the README's demo log under ``mrc-display``."""
    model = viewaudit.get_scenario(DEMO_SCENARIO).model
    log = viewaudit.simulate(model, impressions=DEMO_IMPRESSIONS, rng=DEMO_SEED).log
    return viewaudit.audit(log, policy="mrc-display")


def ebnerd_audit() -> viewaudit.Audit:
    """The audit of the bundled EB-NeRD sample, as ``viewaudit audit ... --format ebnerd`` runs it."""
    return viewaudit.audit(load_ebnerd(), rounding_ms=1000, policy="mrc-display")


def figures(name: str, report: str) -> dict[str, str]:
    """The report itself and each of its SVG figures, as ``{file name: content}``."""
    out = {f"{name}-report.html": report}
    for match in _SVG.finditer(report):
        # An SVG file shown by <img> does not inherit the page's font: name one, as the report's CSS does.
        out[f"{name}-{match.group(1)}.svg"] = match.group(0).replace("<svg ", f'<svg font-family="{FONT}" ', 1)
    return out


def all_figures() -> dict[str, str]:
    """Every generated file of the docs, by its name under ``figures/``."""
    return {
        **figures("demo", demo_audit().to_html(docs_url=DOCS_URL)),
        **figures("ebnerd", ebnerd_audit().to_html(docs_url=DOCS_URL)),
    }


def on_files(files: Any, config: Any) -> Any:
    """mkdocs hook: add the generated files to the site."""
    from mkdocs.structure.files import File

    for name, content in all_figures().items():
        files.append(File.generated(config, f"figures/{name}", content=content))
    return files
