"""Wrapping labels and sentences for the staff's outputs (text, charts): between words, never
inside one. Pure.

What must hold: the lines of `wrap_words`, joined, are the text again; a line breaks only at a
space or after a "/" or "-" that joins words ("Harplinge/Steninge/" + "Haverdal"); a line is
longer than the width only when it is one piece that cannot break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def wrap_words(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken only between words (at a space,
    or after a "/" or "-" that joins words); a single word longer than `width` stays whole."""
    pieces = re.findall(r"[^\s/-]*[/-]+|\S+", text)
    lines: list[str] = []
    line = ""
    for piece, space in _with_spaces(text, pieces):
        joined = f"{line}{' ' if space and line else ''}{piece}"
        if line and len(joined.rstrip()) > width:
            lines.append(line.rstrip())
            line = piece
        else:
            line = joined
    if line or not lines:
        lines.append(line.rstrip())
    return lines


def _with_spaces(text: str, pieces: list[str]) -> list[tuple[str, bool]]:
    """Each piece, and whether a space came before it."""
    found, at = [], 0
    for piece in pieces:
        start = text.index(piece, at)
        found.append((piece, start > at))
        at = start + len(piece)
    return found


def longest_word(texts: Sequence[str]) -> int:
    """The length of the longest piece `wrap_words` cannot break."""
    return max((len(w) for t in texts for w in wrap_words(t, 1)), default=0)
