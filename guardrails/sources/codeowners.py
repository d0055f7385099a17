"""CODEOWNERS read the way GitHub reads it.

GitHub uses the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and
``docs/CODEOWNERS`` that exists (on the base branch; we read HEAD). Each line
is ``PATTERN OWNER...``; the last line whose pattern matches a path decides
its owners, and a matching line without owners leaves the path unowned.

Patterns are gitignore patterns (compiled with pathspec) with GitHub's
documented differences, which is our reading of GitHub's "About code owners"
page:

- ``!`` negation, ``[ ]`` character ranges and ``\\#`` escaping do not work;
  such a line is invalid and skipped (GitHub skips invalid lines and flags
  them), and we report it with its line number.
- ``docs/*`` matches files directly in ``docs/`` but not nested ones, while a
  pattern naming a directory (``apps/``, ``/docs/``, ``**/logs``,
  ``/apps/github``) covers everything below it. A trailing ``/`` needs a
  directory (git's rule): ``*/``, ``**/`` and ``/**/`` own everything inside
  any folder, ``docs/**/`` everything in a folder inside ``docs/``.
- Paths are case-sensitive. ``#`` starts a comment at the start of a line
  or as a token of its own after the pattern.

Owners are ``@user``, ``@org/team`` or an email address; a line with an owner
of any other shape is invalid.

The file is input an attacker may write (in the same pull request as the
paths it owns), so matching is bounded: a pattern longer than
:data:`MAX_PATTERN` characters, or holding control characters, is an
invalid line, as is one with more than :data:`MAX_GLOBSTARS` ``**``; a
pattern whose regex could backtrack for long (more than one ``**`` or
more than one ``*`` in a segment, e.g. ``**/a/**/b``, ``*a*b*``) gets a
regex of its own (:func:`_bounded`) whose every piece is tried at most once
where it may start, so its time grows with path length times pattern
length (measured: pathspec's regex for ``**/a/**/a/**/z`` against a
600-character path took 17 s in ``re``; this one 0.02 ms). It joins the
other lines in the compiled alternations: a hostile file of such lines
costs what plain lines cost, ~0.5 us a line and path, not the ~4 us of the
Python segment matcher it replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from guardrails.textsafe import printable

#: where GitHub looks, first found wins
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

# white space other than space and tab ([^\S \t]: \s of any script, less those two)
_ODD_SPACE = re.compile(r"[^\S \t]")
_TEAM = re.compile(r"^@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9_.-]+)$")
_USER = re.compile(r"^@[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s/]+\.[^@\s/]+$")
# pathspec marks "matched as a directory" with this group; we need plain regexes.
_DIR_GROUP = "(?P<ps_d>/)"
#: longest pattern accepted, characters
MAX_PATTERN = 1024
#: most ``**`` in one pattern
MAX_GLOBSTARS = 16
#: lines one compiled alternation holds (see CodeOwners._matcher)
_ALTERNATIVES = 100
# regex parts that repeat without bound: across segments, and within one
_CROSSING = (".+", ".*")
_IN_SEGMENT = ("[^/]*", "[^/]+")


def owner_kind(owner: str) -> str | None:
    """``team``, ``user`` or ``email`` for a syntactically valid owner, else None."""
    if _TEAM.match(owner):
        return "team"
    if _USER.match(owner):
        return "user"
    if _EMAIL.match(owner):
        return "email"
    return None


def team_slug(owner: str) -> str | None:
    """The ``team`` of ``@org/team``, else None."""
    m = _TEAM.match(owner)
    return m.group(2) if m else None


@dataclass(frozen=True)
class Entry:
    pattern: str
    owners: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Problem:
    line: int
    text: str
    message: str


def _regex(pattern: str) -> str:
    """The regex (anchored with ``^``, matched with ``re.match``) of one pattern."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    rx = GitIgnoreSpecPattern(pattern).regex
    if rx is None:  # pathspec returns None for patterns that match nothing
        return r"(?!)"
    text = rx.pattern
    if (not text.startswith("^") and text != ".") or pattern.endswith("**/"):
        # pathspec's "/" for "*/", "**/", "/**/" is meant for a search (re.search),
        # so re.match found it at no path's start: they owned nothing. Its "^docs/"
        # for "docs/**/" owns docs/x.md, a file, where git wants a folder inside
        # docs/ (docs/sub/x.md). _bounded follows git in both.
        return _bounded(pattern)
    last = pattern.rstrip("/").rsplit("/", 1)[-1]
    if last == "*" and not pattern.endswith("/") and "/" in pattern.rstrip("/"):
        # GitHub: "docs/*" owns docs/x.md but not docs/sub/x.md.
        text = text.replace(f"(?:{_DIR_GROUP}|$)", "$")
    return text.replace(_DIR_GROUP, "/")


def _risky(regex: str) -> bool:
    """True when ``re`` could backtrack for long on this pattern's regex.

    One unbounded repeat across segments and one within a segment keep a
    match near-linear (``*.js``, ``a/**/b``, ``docs/*``); more can make it
    polynomial or worse in the path's length.
    """
    crossing = sum(regex.count(q) for q in _CROSSING)
    segment = sum(regex.count(q) for q in _IN_SEGMENT)
    return crossing + segment > 2 or segment > 1 or crossing > 1


def _bounded(pattern: str) -> str:
    """The regex (anchored with ``^``, matched with ``re.match``) of a pattern whose
    pathspec regex could backtrack for long (:func:`_risky`), written so that
    ``re`` cannot: its time grows with path length times pattern length.

    Gitignore rules as GitHub applies them: a pattern without an inner ``/``
    matches at any depth, a leading or inner ``**`` spans any number of
    segments (a trailing one at least one), a match of a leading part of the
    path owns everything below it, except that a trailing ``/`` needs a
    directory and ``dir/*`` (a ``/`` before the last ``*``) only its direct
    files. The segments between two ``**`` are placed at their leftmost match
    and never tried again (an atomic group), as are the literal chunks between
    the ``*`` of one segment: for fixed-length pieces the leftmost place leaves
    the most room to what follows, so no later one can succeed where it failed.
    Only the last piece of ``dir/**/x/*``, which must end the path, is tried at
    each place, once.
    """
    dir_only = pattern.endswith("/")
    body = pattern[:-1] if dir_only else pattern
    anchored = "/" in body  # else it matches at any depth: a leading **
    body = body.removeprefix("/")
    segs = (body.split("/") if body else []) if anchored else ["**", *filter(None, [body])]
    segs = [s for i, s in enumerate(segs) if not (s == "**" and i and segs[i - 1] == "**")]
    if not segs or "" in segs:  # "a//b": git paths have no empty segment
        return r"(?!)"
    # GitHub: "docs/*" owns docs/x.md but not docs/sub/x.md
    direct_only = (anchored and not dir_only and segs[-1] == "*"
                   and "/" in pattern.rstrip("/"))
    pieces: list[list[str]] = [[]]  # the segments between two **
    for seg in segs:
        if seg == "**":
            pieces.append([])
        else:
            pieces[-1].append(_segment(seg))
    end = r"\Z" if direct_only else "/" if dir_only else r"(?:/|\Z)"
    # the first segments where the path starts (once: atomic), then each piece after
    # a ** at its leftmost place; a piece's last segment ends at a "/" or the end
    out = ["^", f"(?>{'/'.join(pieces[0])}{_SEGMENT_END})" if pieces[0] else ""]
    started = bool(pieces[0])  # a segment matched: the next one after a "/"
    for i, piece in enumerate(pieces[1:], start=1):
        if not piece:  # a last **: at least one segment more; "**" alone: any path
            # ... and with a trailing "/" that segment is a directory ("docs/**/"
            # owns docs/sub/x.md, not docs/x.md; "**/" everything inside a folder)
            if len(segs) > 1:
                return "".join(out) + ("/[^/]+/" if dir_only else "/")
            return "^[^/]*/" if dir_only else "^"
        skip = r"/(?:[^/]*/)*?" if started else r"(?:[^/]*/)*?"
        names = "/".join(piece)
        if i == len(pieces) - 1 and direct_only:
            out.append(skip + names)  # must end the path: tried at each place
        else:
            out.append(f"(?>{skip}{names}{_SEGMENT_END})")
        started = True
    return "".join(out) + end


#: a segment ends at a "/" or the path's end (``\Z``: ``$`` would also end before a
#: final newline, and a path may hold one)
_SEGMENT_END = r"(?=/|\Z)"


def _segment(seg: str) -> str:
    """The regex of one segment's glob: its first chunk where it starts, each middle
    chunk at its leftmost place (atomic), the last one where the segment ends
    (what follows checks that: a "/", or :data:`_SEGMENT_END`). ``*`` never
    spans a ``/``, and a segment is never empty."""
    first, *rest = _split_glob(seg)
    if not rest:
        return _literal(first)
    if not first and not any(rest):  # "*", "***"
        return "[^/]+"
    *middle, last = rest
    mids = "".join(f"(?>[^/]*?{_literal(m)})" for m in middle if m)
    return f"{_literal(first)}{mids}[^/]*{_literal(last)}"


def _literal(chunk: str) -> str:
    """The regex of a chunk between two ``*``: ``?`` is any character but ``/``,
    ``\\x`` is ``x``, every other character itself."""
    out: list[str] = []
    i = 0
    while i < len(chunk):
        ch = chunk[i]
        if ch == "\\" and i + 1 < len(chunk):
            out.append(re.escape(chunk[i + 1]))
            i += 2
            continue
        out.append("[^/]" if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


def _split_glob(seg: str) -> list[str]:
    """A segment's glob as literal chunks between ``*``; ``?`` and ``\\x`` stay in
    the chunks."""
    chunks: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(seg):
        ch = seg[i]
        if ch == "\\" and i + 1 < len(seg):
            cur.append("\\" + seg[i + 1])
            i += 2
            continue
        if ch == "*":
            chunks.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    chunks.append("".join(cur))
    return chunks


@dataclass
class CodeOwners:
    """A parsed CODEOWNERS file: valid entries in file order, and invalid lines."""

    file: str
    entries: list[Entry] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    _rx: list[re.Pattern[str]] | None = None
    #: each valid pattern's pathspec regex, as :func:`parse` checked it (made once:
    #: pathspec takes ~0.1 ms a pattern)
    _regexes: dict[str, str] = field(default_factory=dict)

    def _matcher(self) -> list[re.Pattern[str]]:
        if self._rx is None:
            # Alternations, last entry first: the first alternative that matches
            # is the last matching line. Far faster than a loop per path. A risky
            # pattern's regex is written again so that it cannot backtrack (_bounded).
            alts = []
            for i, e in reversed(list(enumerate(self.entries))):
                rx = self._regexes.get(e.pattern) or _regex(e.pattern)
                if _risky(rx):
                    rx = _bounded(e.pattern)
                alts.append(f"(?P<e{i}>{rx})")
            # ... in pieces of _ALTERNATIVES: each try of an alternative costs ``re``
            # time in its count of groups, so one alternation of 20,000 lines took
            # 14 us a line and path (a 600 KB file over 200 paths: 3 minutes); in
            # pieces 0.6 us. Pieces in order, so the first match is still the last line.
            self._rx = [re.compile("|".join(alts[k:k + _ALTERNATIVES]))
                        for k in range(0, len(alts), _ALTERNATIVES)]
        return self._rx

    def match(self, path: str) -> Entry | None:
        """The entry that decides ``path`` (last matching line), or None."""
        for rx in self._matcher():
            m = rx.match(path)
            if m is not None and m.lastgroup is not None:
                return self.entries[int(m.lastgroup[1:])]
        return None

    def owners_of(self, path: str) -> tuple[str, ...] | None:
        """Owners of ``path``: None when no line matches, () for an ownerless line."""
        e = self.match(path)
        return None if e is None else e.owners

    def resolve(self, paths: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{path: {"owners": [...], "line": n or None}}`` for every path."""
        out: dict[str, dict[str, Any]] = {}
        for p in paths:
            e = self.match(p)
            out[p] = {"owners": list(e.owners), "line": e.line} if e else {"owners": [],
                                                                            "line": None}
        return out


def _check_pattern(pattern: str, regexes: dict[str, str] | None = None) -> str | None:
    """Why ``pattern`` is an invalid line, or None; its regex goes to ``regexes``."""
    if not pattern.isprintable():
        return "the pattern holds a control character (a NUL, tab or escape byte)"
    if len(pattern) > MAX_PATTERN:
        return f"the pattern is longer than {MAX_PATTERN} characters"
    if pattern.count("**") > MAX_GLOBSTARS:
        return f"the pattern has more than {MAX_GLOBSTARS} '**'"
    if pattern.startswith("!"):
        return "'!' negation does not work in CODEOWNERS"
    if "[" in pattern or "]" in pattern:
        return "'[ ]' character ranges do not work in CODEOWNERS"
    if pattern.startswith("\\#"):
        return "escaping a leading '#' with '\\' does not work in CODEOWNERS"
    if (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1:
        return ("the pattern ends with '\\', which escapes nothing (a space cannot be "
                "escaped: CODEOWNERS splits a line at spaces)")
    try:
        rx = _regex(pattern)
    except Exception as exc:  # pathspec's own refusal, whatever its class
        return f"not a valid gitignore pattern ({type(exc).__name__})"
    if regexes is not None:
        regexes[pattern] = rx
    return None


def _excerpt(raw: str) -> str:
    """A short line for messages: control characters escaped, at most 200 characters."""
    text = raw.rstrip()
    if len(text) > 200:
        text = text[:200] + "..."
    return printable(text)


def parse(text: str, file: str = "CODEOWNERS") -> CodeOwners:
    """Parse CODEOWNERS text; invalid lines go to ``errors`` and are skipped."""
    co = CodeOwners(file=file)
    # Lines end at "\n" and words at spaces and tabs: str.splitlines() and str.split()
    # also break at U+2028 and at a no-break space, so "* @org/web" with a no-break
    # space owned every file here while GitHub need not read an owner in it.
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").strip(" \t")
        if not line or line.startswith("#"):
            continue
        odd = _ODD_SPACE.search(line)
        if odd is not None:
            shown = _ODD_SPACE.sub(lambda m: f"\\u{ord(m.group()):04x}", _excerpt(raw))
            co.errors.append(Problem(n, shown, (
                f"holds U+{ord(odd.group()):04X}, white space other than a space or a "
                "tab, where GitHub may not split the line (write a plain space)")))
            continue
        tokens = [t for t in line.replace("\t", " ").split(" ") if t]
        pattern, owners = tokens[0], []
        for tok in tokens[1:]:
            if tok.startswith("#"):
                break
            owners.append(tok)
        problem = _check_pattern(pattern, co._regexes)
        if problem is None:
            bad = [o for o in owners if owner_kind(o) is None]
            if bad:
                problem = (f"{', '.join(repr(b) for b in bad)} is not an owner "
                           "(write @user, @org/team or an email address)")
        if problem is not None:
            co.errors.append(Problem(n, _excerpt(raw), problem))
            continue
        co.entries.append(Entry(pattern, tuple(owners), n))
    return co


def classify(owner: str) -> dict[str, str]:
    """An owner as checks read it: ``{"kind": "team", "name": slug}`` for ``@org/slug``,
    ``{"kind": "user", "name": handle}`` for ``@handle``, ``{"kind": "email", "name": address}``.
    """
    kind = owner_kind(owner)
    if kind == "team":
        return {"kind": kind, "name": str(team_slug(owner))}
    if kind == "user":
        return {"kind": kind, "name": owner[1:]}
    return {"kind": "email", "name": owner}


def to_fact(co: CodeOwners, tracked: Iterable[str]) -> dict[str, Any]:
    """The single ``codeowners`` fact for a file and the tracked paths it governs.

    ``owners`` classifies every owner the entries name (see :func:`classify`),
    so a check never parses CODEOWNERS syntax itself.
    """
    named = dict.fromkeys(o for e in co.entries for o in e.owners)
    return {
        "id": "CODEOWNERS",
        "file": co.file,
        "entries": [{"pattern": e.pattern, "owners": list(e.owners), "line": e.line}
                    for e in co.entries],
        "errors": [{"line": p.line, "text": p.text, "message": p.message} for p in co.errors],
        "files": co.resolve(tracked),
        "owners": {o: classify(o) for o in named},
    }
