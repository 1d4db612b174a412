"""The survey file as text: mistakes found before or instead of parsing it as YAML.

Owns locating what a clerk must edit when the YAML itself is broken: a file saved as Latin-1,
space-like characters in indentation, an impossible date, a quote left open (YAML fails later
on; the line to edit is where the quote opens) and ruamel's syntax errors put into words.
"""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tokens import ScalarToken

from bot.survey.problems import Problem

#: Whitespace that looks like a space but is not one to YAML (tabs have their own message).
_ODD_SPACES = {
    "\u00a0": "a non-breaking space",
    "\u2007": "a figure space",
    "\u202f": "a narrow non-breaking space",
    "\u3000": "an ideographic space",
    "\u2002": "an en space",
    "\u2003": "an em space",
    "\u2009": "a thin space",
    "\ufeff": "an invisible byte-order mark",
}


def not_utf8(data: bytes, err: UnicodeDecodeError, filename: str) -> Problem:
    """Where a file saved as Latin-1 / Windows-1252 first stops being UTF-8."""
    start = err.start
    line_start = data.rfind(b"\n", 0, start) + 1
    line = data.count(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
    others = sum(1 for raw in data.splitlines() if not _is_utf8(raw)) - 1
    seen = data[start : start + 1].decode("cp1252", errors="replace")
    more = f" (and {others} more line{'s' if others > 1 else ''})" if others > 0 else ""
    return Problem(
        filename,
        line,
        column,
        "",
        f"'{seen}' here is not UTF-8 text{more}: the file was saved as Latin-1 or Windows-1252",
        "save the file as UTF-8 (in the editor's Save as, choose the encoding UTF-8)",
    )


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def odd_indentation(text: str, filename: str) -> list[Problem]:
    """Lines whose indentation holds a space-like character YAML does not take as a space."""
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" -" + "".join(_ODD_SPACES)))]
        odd = next((i for i, char in enumerate(indent) if char in _ODD_SPACES), None)
        if odd is None or (number == 1 and odd == 0 and indent[0] == "\ufeff"):
            continue
        what = _ODD_SPACES[indent[odd]]
        problems.append(
            Problem(
                filename,
                number,
                odd + 1,
                "",
                f"the indentation has {what} (invisible; copied from Word or a web page?)",
                "delete the indentation of this line and type it again with ordinary spaces",
            )
        )
    return problems


def bad_timestamp(node: Node | None, seen: set[int] | None = None) -> tuple[int, int] | None:
    """Where the first impossible date is (ruamel reports it without a place)."""
    seen = set() if seen is None else seen
    if node is None or id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, ScalarNode) and str(node.tag).endswith("timestamp"):
        try:
            YAML(typ="safe", pure=True).load(node.value)
        except ValueError:
            return node.start_mark.line + 1, node.start_mark.column + 1
    children: list[Node] = []
    if isinstance(node, MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    return next((p for c in children if (p := bad_timestamp(c, seen)) is not None), None)


def syntax_problem(err: MarkedYAMLError, filename: str, text: str = "") -> Problem:
    mark = err.problem_mark or err.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(err.problem or err.context or "invalid YAML")
    context = err.context_mark
    quote = _open_quote(text, line) if text else None
    if "quoted scalar" in str(err.context) and context is not None and "unexpected" in problem:
        quote = (context.line + 1, context.column + 1)  # it runs to the end of the file
    if quote is not None and quote[0] < line:
        found = f"YAML read on to line {line}: {problem}"
        fix = "close the quote on this line (a text in quotes ends with the same quote mark)"
        message = f"invalid YAML: the quote opened here is not closed on this line ({found})"
        return Problem(filename, quote[0], quote[1], "", message, fix)
    if err.context and context is not None and context.line + 1 != line:
        problem += f" ({err.context} started on line {context.line + 1})"
    if "\\t" in problem or "\t" in problem:
        fix = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        fix = "put a text that contains ': ' in quotes, or check the indentation of this line"
    elif "flow" in problem:
        fix = "close every [ and { you open, and separate their items with commas"
    elif "quoted scalar" in problem:
        fix = "close the quote that starts here"
    else:
        fix = "check the indentation (spaces, one depth per level) and quote texts with ':' or '#'"
    return Problem(filename, line, column, "", f"invalid YAML: {problem}", fix)


def _open_quote(text: str, error_line: int) -> tuple[int, int] | None:
    """Where a quoted text that runs over several lines up to `error_line` opens (1-based).

    A quote left open swallows the lines after it until the next quote mark; YAML then fails
    on that later line, but the line to edit is the one where the quote opens.
    """
    found: tuple[int, int] | None = None
    try:
        for token in YAML(typ="safe", pure=True).scan(text):
            start, end = token.start_mark, token.end_mark
            if start.line + 1 > error_line:
                break
            multiline = start.line != end.line and end.line + 1 == error_line
            if isinstance(token, ScalarToken) and token.style in ("'", '"') and multiline:
                found = (start.line + 1, start.column + 1)
    except YAMLError:
        pass
    return found
