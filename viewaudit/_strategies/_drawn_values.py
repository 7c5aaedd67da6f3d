"""Values the strategies draw from: user agents of known kind and thresholds worth straddling."""

from __future__ import annotations

import math
from collections.abc import Iterable

from viewaudit._policy import PRESETS
from viewaudit._schema import CANONICAL_COLUMNS, DEFAULT_INTERACTIONS

#: Columns a drawn log may hold besides ``item_id``, in the documented order.
OPTIONAL_COLUMNS: tuple[str, ...] = (*(c for c in CANONICAL_COLUMNS if c != "item_id"), *DEFAULT_INTERACTIONS)
ALLOWED_COLUMNS: frozenset[str] = frozenset({"item_id", *OPTIONAL_COLUMNS})

#: Rows of a log unless ``max_size`` says otherwise; large enough for "very large counts"
#: (one row repeated thousands of times), small enough for estimators written row by row.
DEFAULT_MAX_SIZE = 10_000
#: Distinct rows drawn per log; the rest of a large log repeats them.
MAX_DISTINCT_ROWS = 8

#: People's browsers: none matches a pattern of ``BOT_USER_AGENTS`` (tests check this).
HUMAN_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
)
#: Invalid traffic: each matches at least one pattern of ``BOT_USER_AGENTS`` (tests check this).
BOT_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "python-requests/2.31.0",
    "curl/8.6.0",
    "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/124.0 Safari/537.36",
    "facebookexternalhit/1.1",
)

#: Patterns a custom policy may add to (or use instead of) the built-in bot list; "iphone" and
#: "windows" match people's browsers, so a custom policy can exclude human traffic too.
EXTRA_PATTERNS: tuple[str, ...] = ("iphone", r"windows nt", "monitor")


def _thresholds(name: str) -> list[float]:
    return sorted({float(getattr(p, name)) for p in PRESETS.values()})


#: Time thresholds of the presets (ms): pixel-time and attention rules.
TIME_EDGES: tuple[float, ...] = tuple(sorted({0.0, *_thresholds("min_in_view_ms"), *_thresholds("attention_ms")}))
#: Pixel-share thresholds of the presets, plus the ends of [0, 1].
FRACTION_EDGES: tuple[float, ...] = tuple(sorted({0.0, 1.0, 0.3, *_thresholds("min_visible_fraction")}))


def straddle(values: Iterable[float]) -> tuple[float, ...]:
    """Each threshold and the float just below it: where ``>=`` and ``>`` disagree."""
    out = set()
    for v in values:
        out.add(float(v))
        if v > 0:
            out.add(math.nextafter(float(v), -math.inf))
    return tuple(sorted(out))
