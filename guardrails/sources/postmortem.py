"""Postmortem markdown files: YAML front matter and ``##`` sections.

A postmortem is ``org/postmortems/<name>.md``::

    ---
    incident: INC-731
    status: reviewed
    action_items:
      - {title: Add a canary stage, owner: alice, due: 2026-11-30}
    ---
    # Login outage
    ## Summary
    ...

Lines are counted from 1 at the top of the file, front matter included, so a
check can quote ``file:line`` from :attr:`Document.lines`. Headings inside
fenced code blocks are text, not sections.
"""

from __future__ import annotations

import functools
import re
from dataclasses import field
from typing import Any

from guardrails import yamlio
from guardrails.errors import DataFileError, UsageError
from guardrails.records import FACTORY, record
from guardrails.yamlio import PathKey, Position


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(heading, fence): what :func:`parse_sections` reads a line as. It compiles the
    heading regex only for a level-2 heading off its fast path, and tells the rest
    by str methods (tests/unit/test_postmortem_parse.py compares it with reading
    every line through both regexes)."""
    return (re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$"),
            re.compile(r"^ {0,3}(`{3,}|~{3,})"))


_MAY_OPEN = " #`~"  # the first characters the heading and fence patterns can match


@record
class Document:
    """A parsed postmortem file."""

    front: dict[str, Any]
    positions: dict[PathKey, Position]  # front matter paths -> file line, column
    lines: list[str]
    body_line: int  # first line after the closing ``---``
    sections: dict[str, str] = field(default_factory=dict)
    section_lines: dict[str, int] = field(default_factory=dict)

    def __init__(self, front: dict[str, Any], positions: dict[PathKey, Position],
                 lines: list[str], body_line: int, sections: dict[str, str] = FACTORY,
                 section_lines: dict[str, int] = FACTORY) -> None:
        self.front = front
        self.positions = positions
        self.lines = lines
        self.body_line = body_line
        self.sections = {} if sections is FACTORY else sections
        self.section_lines = {} if section_lines is FACTORY else section_lines


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (only ``\\n`` ends a line)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse(text: str, display: str, *, positions: bool = True) -> Document:
    """Split front matter from body and collect the ``##`` sections.

    With ``positions=False`` the front matter's positions are not collected
    (``Document.positions`` is empty); :func:`front_text` gives the
    text to compute them from when an error needs them.
    """
    lines = split_lines(text)
    front, where, body_line = _front_matter(lines, display, positions)
    sections, section_lines = parse_sections(lines, body_line)
    return Document(front, where, lines, body_line, sections, section_lines)


def front_text(lines: list[str], body_line: int) -> str:
    """The front matter of a document's ``lines`` (its body starting at line
    ``body_line``) as YAML text whose line numbers are the file's: the opening
    ``---`` becomes an empty line, so line 2 of the file is line 2 of this text."""
    return "\n" + "\n".join(lines[1:body_line - 2])


def _front_matter(
    lines: list[str], display: str, positions: bool = True
) -> tuple[dict[str, Any], dict[PathKey, Position], int]:
    fix = "start the file with a line '---', then 'incident: <id>' and the other fields, then '---'"
    if not lines or lines[0].rstrip() != "---":
        raise DataFileError(
            "the postmortem has no YAML front matter", file=display, line=1, fix=fix
        )
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if close is None:
        raise DataFileError(
            "the front matter opened on line 1 is never closed", file=display, line=1,
            fix="end the front matter with a line '---'",
        )
    try:
        data, pos = yamlio.load("\n".join(lines[1:close]), display, positions=positions,
                                finite=True)
    except UsageError as exc:
        # The YAML text starts on line 2 of the file.
        raise DataFileError(
            exc.message, file=display, line=(exc.line or 0) + 1, column=exc.column, fix=exc.fix
        ) from None
    if data is None:
        raise DataFileError("the front matter is empty", file=display, line=1, fix=fix)
    if not isinstance(data, dict):
        raise DataFileError(
            f"the front matter must be a mapping of fields, not a {type(data).__name__}",
            file=display, line=2, fix=fix,
        )
    shifted = {path: (ln + 1, col) for path, (ln, col) in pos.items()}
    return data, shifted, close + 2


def parse_sections(lines: list[str], body_line: int) -> tuple[dict[str, str], dict[str, int]]:
    """``{heading: text}`` and ``{heading: line}`` of the level-2 headings.

    A section runs to the next heading of level 1 or 2; deeper headings are
    part of its text. When a heading repeats, the first one counts.
    """
    sections: dict[str, str] = {}
    section_lines: dict[str, int] = {}
    current: str | None = None
    collected: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if current is not None and current not in sections:
            sections[current] = "\n".join(collected).strip()

    for number in range(body_line, len(lines) + 1):
        line = lines[number - 1]
        if fence is None and (not line or line[0] not in _MAY_OPEN):
            # Prose (most lines): neither a heading nor a fence can start here,
            # so the two regexes are not tried (a third of parse_sections' time).
            if current is not None:
                collected.append(line)
            continue
        if (fence is None and line.startswith("## ") and line[-1] not in " \t"
                and "#" not in line[3:]):
            # A plain level-2 heading (most headings), read as the heading regex
            # reads it without trying the two regexes (~1.5 us a heading).
            flush()
            current, collected = line[3:].strip(), []
            section_lines.setdefault(current, number)
            continue
        # The fence and heading regexes' answers by str methods where they suffice:
        # a fence opens on ``^ {0,3}(`{3,}|~{3,})``; a level-1 heading is
        # ``^ {0,3}#`` then the end or a blank (no line break but a last one),
        # as the heading regex matches it. Only a level-2 heading off the fast
        # path above needs the heading regex's text (compiled then: ~1.2M
        # instructions the two, which most runs never need).
        lead = line.lstrip(" ")
        shallow = len(line) - len(lead) <= 3
        if fence is None and shallow and lead[:3] in ("```", "~~~"):
            fence = lead[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and shallow and lead[:1] == "#":
            level = len(lead) - len(lead.lstrip("#"))
            rest = lead[level:]
            if level == 1 and (rest in ("", "\n")
                               or (rest[0] in " \t" and "\n" not in rest[:-1])):
                flush()
                current, collected = None, []
                continue
            h = _patterns()[0].match(line) if level == 2 else None
            if h:
                flush()
                current = (h.group(2) or "").strip()
                collected = []
                section_lines.setdefault(current, number)
                continue
        if current is not None:
            collected.append(line)
    flush()
    return sections, section_lines
