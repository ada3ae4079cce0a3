"""A short readable name for a browser from its User-Agent ("Chrome on Linux").

Good enough to tell one's own sessions apart; not a full parser. The order
matters: Edge and Opera say "Chrome" too, Chrome says "Safari", Android says
"Linux", iOS says "Mac OS X".
"""

from __future__ import annotations

import re

_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|HeadlessChrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
    ("curl", re.compile(r"^curl/")),
    ("python-httpx", re.compile(r"^python-httpx/")),
]
_SYSTEMS = [
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\b(iPhone|iPad|iPod)\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b|\bX11\b")),
]


def browser_name(user_agent: str) -> str:
    """E.g. "Firefox on Windows"; "Unknown browser" when nothing is recognised."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return f"A browser on {system}" if system else str(browser)
    return "Unknown browser"
