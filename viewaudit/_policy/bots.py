"""Built-in user-agent patterns for general invalid traffic (GIVT).

The MRC Invalid Traffic guidelines (2015 addendum, 2016 final, 2024 update) name known bots,
spiders and crawlers, non-browser user agents and pre-fetch/pre-render among the general IVT that
is filtered with lists. The IAB/ABC International Spiders & Bots List is licensed, so this list
is our own short, documented approximation: case-insensitive substrings (regular expressions)
that a policy may extend with ``bot_user_agents=(*BOT_USER_AGENTS, "mycorp-monitor")``.
"""

from __future__ import annotations

BOT_USER_AGENTS: tuple[str, ...] = (
    r"bot\b",  # Googlebot, bingbot, Twitterbot, ... (word-final "bot")
    r"bot/",  # "SomeBot/1.0"
    r"crawler",
    r"crawling",
    r"spider",
    r"slurp",  # Yahoo! Slurp
    r"headless",  # HeadlessChrome
    r"phantomjs",
    r"puppeteer",
    r"playwright",
    r"selenium",
    r"webdriver",
    r"^curl/",
    r"^wget/",
    r"python-requests",
    r"python-urllib",
    r"aiohttp",
    r"httpx",
    r"go-http-client",
    r"okhttp",
    r"java/",
    r"libwww-perl",
    r"scrapy",
    r"facebookexternalhit",
    r"preview",  # link-preview fetchers (Slack, WhatsApp, ...): pre-render, not a person
    r"prefetch",
    r"prerender",
)


def bot_regex(patterns: tuple[str, ...]) -> str:
    """One case-insensitive alternation for ``pyarrow.compute.match_substring_regex``."""
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns)
