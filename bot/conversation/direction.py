"""Text direction: which languages read right to left, marking their texts so every paragraph
starts the right way, and checking it with the Unicode bidi algorithm's rules P2/P3.

Telegram gives each paragraph (line) the direction of its first strong character. In an Arabic
or Farsi line, a Latin word, a command, a digit run or an emoji at the start would turn the line
left-to-right, and a run like "114 14" or "16–24" would be reordered ("14 114"). So `directed`:
- wraps every left-to-right run (Latin words, commands, numbers with spaces or dashes, links)
  in LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE, so it reads as one unit, unchanged;
- starts every non-empty line with RIGHT-TO-LEFT MARK.

What must hold: `directed` is idempotent and changes nothing but adding marks (removing the
marks gives the text back); `paragraph_direction` follows P2/P3 (the first character of type L,
R or AL, skipping isolated runs up to their matching PDI).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError

RLM = "\u200f"
LRI = "\u2066"
RLI = "\u2067"
FSI = "\u2068"
PDI = "\u2069"
MARKS = (RLM, "\u200e", LRI, RLI, FSI, PDI)

#: A left-to-right token: a word (Latin letters, also å, ö, é), number, command (/start) or
#: link, ending in a letter, digit or slash.
_TOKEN = r"[/@+#]?[0-9A-Za-zÀ-ɏ](?:[0-9A-Za-zÀ-ɏ_./:@%?=&+\-–]*[0-9A-Za-zÀ-ɏ/])?"
#: Tokens separated by single spaces ("114 14", "Telegram id") read as one run.
_LTR_RUN = re.compile(rf"(?<![\u2066\w]){_TOKEN}(?: {_TOKEN})*(?![\u2069\w])")


@cache
def is_rtl(language: str) -> bool:
    """Whether `language` is written right to left (from CLDR; unknown codes are not)."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return locale.character_order == "right-to-left"


def directed(text: str) -> str:
    """`text` marked for a right-to-left reader: isolated LTR runs, RLM at each line start.
    Marks already in `text` are replaced, so marking twice changes nothing."""
    isolated = _LTR_RUN.sub(lambda match: f"{LRI}{match.group(0)}{PDI}", unmarked(text))
    return "\n".join(
        line if not line or line.startswith(RLM) else RLM + line for line in isolated.split("\n")
    )


def directed_line_starts(text: str) -> str:
    """Only the RLM at each line start (for text that has HTML tags in it)."""
    return "\n".join(
        line if not line or line.startswith(RLM) else RLM + line for line in text.split("\n")
    )


def unmarked(text: str) -> str:
    """`text` without the marks `directed` adds."""
    return "".join(char for char in text if char not in MARKS)


def paragraph_direction(paragraph: str) -> str | None:
    """'rtl' or 'ltr' as the bidi algorithm decides it (P2/P3), None without a strong character."""
    depth = 0
    for char in paragraph:
        if char in (LRI, RLI, FSI):
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return None
