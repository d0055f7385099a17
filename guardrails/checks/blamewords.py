"""The search for blame language in postmortem text, for the blameless check
(:class:`guardrails.checks.incidents.PostmortemBlamelessCheck`).

The seam: what counts as the author's own prose (Markdown blocks, less code,
comments and quotations) and how a phrase list is found in it (one regex,
whole words, any case; a quick pass that skips text which cannot hold a
phrase). The check itself (its parameters, evidence and verdict) stays with
the other postmortem checks; this module knows nothing of rules or facts
beyond a postmortem's ``lines``/``body_line``/``sections``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

Fact = Mapping[str, Any]

#: Blame aimed at people. Phrases match whole words, ignoring case.
DEFAULT_PHRASES = (
    "human error", "operator error", "should have", "failed to", "forgot", "careless",
    "carelessness", "negligent", "negligence", "fault of", "at fault", "blame", "blamed",
    "fat-finger", "fat-fingered", "fat finger", "fat fingered", "didn't bother", "incompetent",
    "sloppy", "lazy", "reckless",
)


# What is not the author's own voice (code spans, HTML comments, quotations) is
# found by str finds, not regexes compiled every run (~0.7M instructions).

def _spans(text: str, opening: str, closing: str) -> Iterator[tuple[int, int]]:
    r"""``(start, end)`` of each match of the regex ``opening[\s\S]*?closing`` (for a
    one-character ``opening``/``closing``: ``opening[^closing]*closing``), left to
    right as ``re.finditer`` finds them; by str finds, without compiling it."""
    at = text.find(opening)
    while at != -1:
        end = text.find(closing, at + len(opening))
        if end == -1:  # no closing after this opening: none after a later one either
            return
        end += len(closing)
        yield at, end
        at = text.find(opening, end)


def _replace_spans(text: str, opening: str, closing: str, fill: Callable[[str], str]) -> str:
    """``text`` with each span of :func:`_spans` replaced by ``fill(span)``."""
    if opening not in text:
        return text
    parts, last = [], 0
    for start, end in _spans(text, opening, closing):
        parts.append(text[last:start])
        parts.append(fill(text[start:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def strip_comments(text: str) -> str:
    r"""``text`` without its HTML comments (``<!--[\s\S]*?-->``: what a template's
    placeholder section may hold)."""
    return _replace_spans(text, "<!--", "-->", lambda span: "")


def _blanked(span: str) -> str:
    """``span`` as spaces, its newlines kept."""
    return "".join(c if c == "\n" else " " for c in span)


def _blank(text: str, opening: str, closing: str) -> str:
    """``text`` with each span of :func:`_spans` blanked, its newlines kept."""
    return _replace_spans(text, opening, closing, _blanked)


# A line's Markdown block openers, told by str methods: each answers exactly as
# its regex (in its docstring) would, without compiling one in every run that checks
# a postmortem (~1.5M instructions for the three; tests/unit/test_rules_incidents.py
# holds them to the regexes). ``lead`` is ``line.lstrip(" ")``.

def _ends_marker(rest: str) -> bool:
    r"""``(?:[ \t]|$)`` at the start of ``rest`` (``$``: the end, or before a last newline)."""
    return rest[:1] in (" ", "\t") or rest in ("", "\n")


def _fence(line: str, lead: str) -> str | None:
    r"""``^ {0,3}(`{3,}|~{3,})``'s group 1, or None."""
    if len(line) - len(lead) > 3 or lead[:1] not in ("`", "~"):
        return None
    run = len(lead) - len(lead.lstrip(lead[0]))
    return lead[:run] if run >= 3 else None


def _heading(line: str, lead: str) -> bool:
    r"""``^ {0,3}#{1,6}(?:[ \t]|$)`` matches."""
    if len(line) - len(lead) > 3 or lead[:1] != "#":
        return False
    run = len(lead) - len(lead.lstrip("#"))
    return run <= 6 and _ends_marker(lead[run:])


def _list_item(line: str, lead: str) -> bool:
    r"""``^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)`` matches (``\d``: a decimal digit)."""
    if len(line) - len(lead) > 3 or not lead:
        return False
    if lead[0] in ("-", "*", "+"):
        return _ends_marker(lead[1:])
    run = 0
    while run < len(lead) and run <= 9 and lead[run].isdecimal():
        run += 1
    return 1 <= run <= 9 and lead[run:run + 1] in (".", ")") and _ends_marker(lead[run + 1:])


def phrase_list(params: Mapping[str, Any]) -> list[str]:
    """``phrases`` (or the default list), plus ``add_phrases``, minus ``remove_phrases``."""
    phrases = list(params.get("phrases") or DEFAULT_PHRASES)
    known = {p.lower() for p in phrases}
    for p in params.get("add_phrases") or ():
        if p.lower() not in known:
            phrases.append(p)
            known.add(p.lower())
    removed = {p.lower() for p in params.get("remove_phrases") or ()}
    unknown = sorted(removed - known)
    if unknown:
        raise ValueError(f"remove_phrases names {', '.join(map(repr, unknown))}, which is not "
                         "in the phrase list")
    out = [p for p in phrases if p.lower() not in removed]
    if not out:
        raise ValueError("the phrase list is empty: nothing would ever be found")
    return out


def phrase_pattern(phrases: Sequence[str],
                   words: Collection[str] | None = None) -> re.Pattern[str]:
    """One regex; group ``p<i>`` is ``phrases[i]``. Whole words, any case, any spacing.

    With ``words`` (the lowered longest words the texts to search may hold:
    :meth:`QuickTest.words_in`), only the phrases whose longest word is among them
    are in it: a phrase left out matches nowhere in those texts, and the others
    are tried in the same order, so it finds there exactly what the whole list's
    regex finds, for a smaller compile (the default list's is ~4.8M instructions,
    the parser of ``re`` in Python)."""
    def one(phrase: str) -> str:
        return r"\s+".join(_word(w) for w in phrase.split())

    kept = [i for i, p in enumerate(phrases)
            if words is None or not p.split() or max(p.split(), key=len).lower() in words]
    if not kept:
        return re.compile(r"(?!)")  # no phrase can match: a regex that never does
    # Longest first, so "fat fingered" wins over "fat finger" at the same place.
    order = sorted(kept, key=lambda i: -len(phrases[i]))
    alts = "|".join(f"(?P<p{i}>{one(phrases[i])})" for i in order)
    # Hyphens join words: "blame" is not found in "blame-free" or "blameless".
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", re.IGNORECASE)


def _word(word: str) -> str:
    """One word of a phrase as a regex: literal, either apostrophe."""
    return re.escape(word).replace("'", "['\u2019]")


#: every character beyond ASCII that ``re.IGNORECASE`` matches to an ASCII one
#: (Python 3.11's Unicode data: tests/unit/test_rules_incidents.py asks every code
#: point), and the right single quote a phrase's apostrophe matches (:func:`_word`)
_FOLD = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k", 0x2019: "'"}
_FOLDED = tuple(map(chr, _FOLD))


class QuickTest:
    """Whether a text may hold a phrase: it holds the longest word of some phrase.

    Every hit of :func:`phrase_pattern` in a prose block has each of its
    phrase's words written in the block's (hence the body's) own characters:
    masking only blanks characters, it never makes a word. A body this finds
    nothing in has no hit, so its blocks need not be split and masked (most
    bodies). The longest word, not the first: "at" (of "at fault") is in
    almost any text. ASCII text against ASCII words compares lowercased, as
    ``re.IGNORECASE`` does for ASCII; anything else goes through the regex.
    """

    def __init__(self, phrases: Sequence[str]) -> None:
        words = sorted({max(p.split(), key=len) for p in phrases if p.split()})
        self._words = words
        self._ascii = all(w.isascii() for w in words)
        self._lowered = [w.lower() for w in words]
        self._regex: re.Pattern[str] | None = None  # compiled for the first non-ASCII text

    def __call__(self, text: str) -> bool:
        if self._ascii and text.isascii():
            low = text.lower()
            return any(w in low for w in self._lowered)
        if self._regex is None:
            self._regex = re.compile("|".join(_word(w) for w in self._words) or r"(?!)",
                                     re.IGNORECASE)
        return self._regex.search(text) is not None

    def lines(self, text: str) -> set[int] | None:
        """The indexes of ``text``'s lines that may hold a word; None when a word is
        not ASCII (ask :meth:`__call__`).

        A word holds no line break, so a run of lines holds a word exactly when
        one of its lines does: a body's blocks are answered from one search of
        the body, not a search a block (each ``in`` of a short text costs ~1,500
        instructions to set up; the example's nine bodies have ~230 blocks).
        Text beyond ASCII is read through :data:`_FOLD` (what ``re.IGNORECASE``
        matches to an ASCII character, and the right single quote an apostrophe
        matches), every other such character as ``?``, one character for one:
        a line it may hold a word on is never missed (a ``?`` may find one more),
        without the case-blind regex, ~2,700 instructions a character."""
        if not self._ascii:
            return None
        low = _folded(text)
        found: set[int] = set()
        for word in self._lowered:
            at = low.find(word)
            while at != -1:
                found.add(low.count("\n", 0, at))
                at = low.find(word, at + 1)
        return found


    def words_in(self, texts: Iterable[str]) -> set[str] | None:
        """The lowered words some of ``texts`` may hold, read as :meth:`lines` reads a
        text (a word a text holds is never missed); None when a word is not ASCII."""
        if not self._ascii:
            return None
        left, found = set(self._lowered), set()
        for text in texts:
            if not left:
                break
            low = _folded(text)
            hit = {w for w in left if w in low}
            found |= hit
            left -= hit
        return found


def _folded(text: str) -> str:
    """``text`` lowered, beyond ASCII read through :data:`_FOLD` (else ``?``): see
    :meth:`QuickTest.lines`."""
    if not text.isascii():
        # str.translate looks each character up in Python (~100 instructions one):
        # asked only of a text holding a character it changes (five finds in C)
        if any(c in text for c in _FOLDED):
            text = text.translate(_FOLD)
        text = text.encode("ascii", "replace").decode("ascii")
    return text.lower()


def searched_text(pm: Fact) -> str:
    """All of a postmortem's text :func:`blame_hits` may search (its lines, or its
    sections as blame_hits reads them): for :meth:`QuickTest.words_in`."""
    lines = pm.get("lines")
    if lines is not None:
        return "\n".join(lines)
    return "\n".join(f"{h}\n\n{t}" for h, t in (pm.get("sections") or {}).items())


def prose_blocks(lines: Sequence[str], first: int) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of the prose paragraphs from line ``first`` on.

    Fenced code blocks and indented code blocks (4+ spaces after a blank line,
    outside lists) are left out. Headings and list items are blocks of their
    own, so a quotation never runs across them.
    """
    block: list[str] = []
    start = first
    fence: str | None = None
    in_code = in_list = False
    blank_before = True
    for number in range(first, len(lines) + 1):
        line = lines[number - 1]
        if fence is not None:
            # Only a run of the same character, at least as long, closes a fence.
            closing = line.strip()
            if len(closing) >= len(fence) and not closing.strip(fence[0]):
                fence = None
            continue
        if not line.strip():
            if block:
                yield start, "\n".join(block)
            block, blank_before = [], True
            continue
        # Each opener is asked only of a line whose first character after its spaces
        # may start what it matches (a fence: ` or ~; a heading: #; a list item:
        # -, *, + or a digit): most lines are prose.
        lead = line.lstrip(" ")
        opening = lead[:1]
        opened = _fence(line, lead) if opening in ("`", "~") else None
        indented = line.startswith("\t") or len(line) - len(lead) >= 4
        if opened or (indented and (in_code or (blank_before and not in_list))):
            if block:
                yield start, "\n".join(block)
            block = []
            if opened:
                fence, in_code = opened, False
            else:
                in_code = True
            blank_before = False
            continue
        in_code = False
        # Each opener asked once a line (a heading is never a list item: "#" vs "-*+0-9")
        heading = opening == "#" and _heading(line, lead)
        item = not heading and (opening in ("-", "*", "+") or opening.isdigit()) \
            and _list_item(line, lead)
        if (heading or item) and block:
            yield start, "\n".join(block)
            block = []
        if heading:
            in_list = False
        elif item:
            in_list = True
        elif blank_before and not line[0].isspace():
            in_list = False
        if not block:
            start = number
        block.append(line)
        blank_before = False
    if block:
        yield start, "\n".join(block)


def _mask(text: str) -> str:
    """Blank out what is not the author's own voice (code spans, HTML comments,
    quotations, in that order), keeping newlines so offsets map to lines."""
    if "`" in text:  # a code span: a run of backticks, text, the same run (re's cache
        # keeps it compiled; a text without a backtick has none, and most runs never
        # compile it)
        text = re.sub(r"(`+)[\s\S]+?\1", lambda m: _blanked(m.group(0)), text)
    text = _blank(text, "<!--", "-->")
    text = _blank(text, '"', '"')
    return _blank(text, "\u201c", "\u201d")


def blame_hits(pm: Fact, pattern: re.Pattern[str], phrases: Sequence[str],
               quick: QuickTest | None = None) -> list[tuple[int | None, str]]:
    """``(line, phrase)`` of every blame phrase in a postmortem's body.

    ``quick`` (a :class:`QuickTest` of ``phrases``) skips a body that cannot
    hold a phrase in one pass over its text, and each block of it without a
    phrase's longest word: for an ASCII body, by the lines that one pass found
    them on (:meth:`QuickTest.lines`).
    """
    lines = pm.get("lines")
    held: set[int] | None = None  # the line numbers holding a word (an ASCII body)
    if lines is not None:
        first = int(pm.get("body_line") or 1)
        if quick is not None:
            body = "\n".join(lines[max(first, 1) - 1:])
            found = quick.lines(body) if first >= 1 else None
            if found is not None:
                held = {first + i for i in found}
            if not (held if found is not None else quick(body)):
                return []
        blocks = prose_blocks(lines, first)
    else:  # a postmortem from a source that keeps sections only: no line numbers
        sections = pm.get("sections") or {}
        blocks = ((None, f"{h}\n\n{t}") for h, t in sections.items())  # type: ignore[misc]
    hits: list[tuple[int | None, str]] = []
    for start, text in blocks:
        # as for the body: a block without any phrase's longest word has no hit
        if held is not None and start is not None:
            if held.isdisjoint(range(start, start + text.count("\n") + 1)):
                continue
        elif quick is not None and not quick(text):
            continue
        masked = _mask(text)
        for m in pattern.finditer(masked):
            assert m.lastgroup is not None
            line = None if start is None else start + masked.count("\n", 0, m.start())
            hits.append((line, phrases[int(m.lastgroup[1:])]))
    return hits
