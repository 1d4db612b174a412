"""Scrubbing free text before it is kept anywhere: identifying details and hidden characters.

What must hold:
- `scrub` replaces personal identity numbers, phone numbers, e-mail addresses, @usernames and
  URLs with `REMOVED`, and leaves ordinary numbers (years, house numbers, times) alone. It cannot
  find names: the survey text asks residents not to write any;
- it also removes what would make a comment display otherwise than it reads (`plain_text`):
  control characters (except the line break), bidi embeddings, overrides, isolates and marks,
  and invisible format characters; the joiners ZWJ/ZWNJ stay (Persian words and emoji need
  them), as do letters of every script (Arabic, Tigrinya...). Survey texts are not scrubbed:
  they use isolates on purpose.
"""

from __future__ import annotations

import re
import unicodedata

#: What `scrub` puts in place of a removed detail.
REMOVED = "[removed]"

# Order matters: URLs and e-mail addresses contain "@", dots and digits; international numbers
# before identity numbers (a "+46 7..." must not lose only its tail); the long-digit catch-all
# last. Every pattern starts only where a run of its characters starts and uses possessive or
# bounded repetition, so a long adversarial text is scrubbed in linear time.
_D = r"\d"
_TLD = "se|nu|com|org|net|eu|info|io|me|dk|no|fi|de|uk|biz"
_PATTERNS = [
    # URLs with a scheme or www. (first: they may contain "@" and digits).
    re.compile(r"(?i)(?<![a-z0-9+.-])(?:[a-z][a-z0-9+.-]*+://|www\.)\S+"),
    # E-mail addresses (before bare domains, which would take only the part after "@").
    re.compile(r"(?<![\w.%+-])[\w.%+-]++@[\w-]+(?:\.[\w-]+)+"),
    # Bare domains with a common top-level domain, with any path.
    re.compile(rf"(?i)(?<![a-z0-9.-])(?:[a-z0-9-]++\.)++(?:{_TLD})\b(?:/\S*)?"),
    # @usernames (Telegram, Instagram, ...).
    re.compile(r"@\w{2,}"),
    # International numbers: +CC or 00CC, then at least 6 digits with separators.
    re.compile(rf"(?<![{_D}+])(?:\+|00)\s?[1-9](?:[\s\-()]{{0,2}}{_D}){{6,14}}(?!{_D})"),
    # Personnummer / samordningsnummer: (YY)YYMMDD, optional - + or space, 4 digits.
    re.compile(rf"(?<!{_D})(?:{_D}{{2}})?{_D}{{6}}[-+\s]?{_D}{{4}}(?!{_D})"),
    # Swedish numbers: (0 and an area code), then groups of 2 to 4 digits; 7 digits at least.
    re.compile(
        rf"(?<![{_D}+])(?=\(?0(?:[\s\-/()]{{0,2}}{_D}){{6}})"
        rf"\(?0[1-9]{_D}{{0,2}}\)?[\s\-/]{{0,2}}{_D}{{2,4}}(?:[\s-]?{_D}{{2,4}}){{1,3}}(?!{_D})"
    ),
    # Any other run of 7 or more digits (account numbers, ids, an unseparated number).
    re.compile(rf"{_D}{{7,}}"),
]


#: Format characters that stay: zero-width non-joiner and joiner (part of words and emoji).
_KEPT_FORMAT = frozenset("\u200c\u200d")
#: Line and paragraph separators read as line breaks.
_BREAKS = {"\u2028": "\n", "\u2029": "\n", "\r\n": "\n", "\r": "\n", "\t": " "}
_BREAK = re.compile("|".join(re.escape(b) for b in sorted(_BREAKS, key=len, reverse=True)))


def plain_text(text: str) -> str:
    """`text` without control characters (a line break stays; CR, tab and the Unicode line
    separators become a line break or a space) and without invisible format characters
    (bidi controls, zero-width space, BOM, ...; ZWJ and ZWNJ stay)."""
    text = _BREAK.sub(lambda m: _BREAKS[m.group()], text)
    return "".join(
        ch
        for ch in text
        if ch == "\n" or ch in _KEPT_FORMAT or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def scrub(text: str) -> str:
    """`text` as `plain_text`, with identity numbers, phone numbers, e-mail addresses,
    @usernames and URLs replaced by `REMOVED`."""
    text = plain_text(text)
    for pattern in _PATTERNS:
        text = pattern.sub(REMOVED, text)
    return text
