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
  ``/apps/github``) covers everything below it.
- Paths are case-sensitive. ``#`` starts a comment at the start of a line
  or as a token of its own after the pattern.

Owners are ``@user``, ``@org/team`` or an email address; a line with an owner
of any other shape is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: where GitHub looks, first found wins
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_TEAM = re.compile(r"^@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9_.-]+)$")
_USER = re.compile(r"^@[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s/]+\.[^@\s/]+$")
# pathspec marks "matched as a directory" with this group; we need plain regexes.
_DIR_GROUP = "(?P<ps_d>/)"


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
    last = pattern.rstrip("/").rsplit("/", 1)[-1]
    if last == "*" and not pattern.endswith("/") and "/" in pattern.rstrip("/"):
        # GitHub: "docs/*" owns docs/x.md but not docs/sub/x.md.
        text = text.replace(f"(?:{_DIR_GROUP}|$)", "$")
    return text.replace(_DIR_GROUP, "/")


@dataclass
class CodeOwners:
    """A parsed CODEOWNERS file: valid entries in file order, and invalid lines."""

    file: str
    entries: list[Entry] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    _rx: re.Pattern[str] | None = None

    def _matcher(self) -> re.Pattern[str]:
        if self._rx is None:
            # One alternation, last entry first: the first alternative that
            # matches is the last matching line. Far faster than a loop per path.
            alts = [f"(?P<e{i}>{_regex(e.pattern)})" for i, e in reversed(
                list(enumerate(self.entries)))]
            self._rx = re.compile("|".join(alts) or r"(?!)")
        return self._rx

    def match(self, path: str) -> Entry | None:
        """The entry that decides ``path`` (last matching line), or None."""
        m = self._matcher().match(path)
        if m is None or m.lastgroup is None:
            return None
        return self.entries[int(m.lastgroup[1:])]

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


def _check_pattern(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return "'!' negation does not work in CODEOWNERS"
    if "[" in pattern or "]" in pattern:
        return "'[ ]' character ranges do not work in CODEOWNERS"
    if pattern.startswith("\\#"):
        return "escaping a leading '#' with '\\' does not work in CODEOWNERS"
    return None


def parse(text: str, file: str = "CODEOWNERS") -> CodeOwners:
    """Parse CODEOWNERS text; invalid lines go to ``errors`` and are skipped."""
    co = CodeOwners(file=file)
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        pattern, owners = tokens[0], []
        for tok in tokens[1:]:
            if tok.startswith("#"):
                break
            owners.append(tok)
        problem = _check_pattern(pattern)
        if problem is None:
            bad = [o for o in owners if owner_kind(o) is None]
            if bad:
                problem = (f"{', '.join(repr(b) for b in bad)} is not an owner "
                           "(write @user, @org/team or an email address)")
        if problem is not None:
            co.errors.append(Problem(n, raw.rstrip(), problem))
            continue
        co.entries.append(Entry(pattern, tuple(owners), n))
    return co


def to_fact(co: CodeOwners, tracked: Iterable[str]) -> dict[str, Any]:
    """The single ``codeowners`` fact for a file and the tracked paths it governs."""
    return {
        "id": "CODEOWNERS",
        "file": co.file,
        "entries": [{"pattern": e.pattern, "owners": list(e.owners), "line": e.line}
                    for e in co.entries],
        "errors": [{"line": p.line, "text": p.text, "message": p.message} for p in co.errors],
        "files": co.resolve(tracked),
    }
