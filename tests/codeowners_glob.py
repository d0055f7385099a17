"""The segment matcher CODEOWNERS patterns that could backtrack were matched with
until the bounded regexes of :func:`guardrails.sources.codeowners._bounded`
replaced it (in C, as one alternation with the other lines, instead of a
Python loop a line and path: ~4 us each). Kept as the oracle the new matcher
is held to (tests/unit/test_codeowners_matcher.py), changed once since: a
trailing ``**/`` needs a folder after the ``**`` (git's rule; it owned
``docs/x.md`` for ``docs/**/``).
"""

from __future__ import annotations

from guardrails.sources.codeowners import _split_glob


class Glob:
    """A CODEOWNERS pattern matched segment by segment, without backtracking.

    Gitignore rules as GitHub applies them: a pattern without an inner ``/``
    matches at any depth, a leading ``**`` or inner ``**`` spans any number of
    segments (a trailing one at least one), a match of a leading part of the
    path owns everything below it, except that a trailing ``/`` needs a
    directory and ``dir/*`` (a ``/`` before the last ``*``) only its direct
    files. Work is bounded by (path segments x pattern segments) segment
    comparisons, each linear in the segment's length.
    """

    def __init__(self, pattern: str) -> None:
        p = pattern
        self.dir_only = p.endswith("/")
        if self.dir_only:
            p = p[:-1]
        anchored = "/" in p
        if p.startswith("/"):
            p = p[1:]
        segs = p.split("/") if p else []
        if not anchored:
            segs = ["**", *segs]
        collapsed: list[str] = []
        for seg in segs:
            if seg == "**" and collapsed and collapsed[-1] == "**":
                continue
            collapsed.append(seg)
        self.segs = collapsed
        # GitHub: "docs/*" owns docs/x.md but not docs/sub/x.md
        self.direct_only = (anchored and not self.dir_only and bool(self.segs)
                            and self.segs[-1] == "*" and "/" in pattern.rstrip("/"))
        self._parts = [None if seg == "**" else _split_glob(seg) for seg in self.segs]

    def match(self, path: str) -> bool:
        names = path.split("/")
        n, m = len(names), len(self.segs)
        if m == 0 or "" in self.segs:  # "a//b": git paths have no empty segment
            return False
        trailing = self.segs[-1] == "**" and m > 1
        # reach[j]: pattern segments so far match names[:j]
        reach = [False] * (n + 1)
        reach[0] = True
        for i, parts in enumerate(self._parts):
            nxt = [False] * (n + 1)
            if parts is None:  # ** spans zero or more segments (trailing: one or more)
                seen = False
                for j in range(n + 1):
                    if trailing and i == m - 1:
                        if seen:
                            nxt[j] = True
                        seen = seen or reach[j]
                    else:
                        seen = seen or reach[j]
                        nxt[j] = seen
            else:
                for j in range(n):
                    if reach[j] and _match_segment(parts, names[j]):
                        nxt[j + 1] = True
            reach = nxt
            if not any(reach):
                return False
        if trailing:  # with a trailing "/" the last ** is a folder: a name follows it
            return any(reach[:n]) if self.dir_only else reach[n]
        for k in range(1, n + 1):
            if not reach[k]:
                continue
            if k == n and not self.dir_only:
                return True
            if k < n and not self.direct_only:
                return True
        return False


def _chunk_at(chunk: str, name: str, pos: int) -> int:
    """Length matched when ``chunk`` (literals, ``?``, ``\\x``) matches at ``pos``, else -1."""
    i = 0
    j = pos
    while i < len(chunk):
        if j >= len(name):
            return -1
        ch = chunk[i]
        if ch == "\\" and i + 1 < len(chunk):
            if name[j] != chunk[i + 1]:
                return -1
            i += 2
        elif ch == "?":
            i += 1
        else:
            if name[j] != ch:
                return -1
            i += 1
        j += 1
    return j - pos


def _chunk_find(chunk: str, name: str, start: int) -> tuple[int, int]:
    """Leftmost (position, length) at or after ``start`` where ``chunk`` matches, or (-1, 0)."""
    plain = "?" not in chunk and "\\" not in chunk
    if plain:
        at = name.find(chunk, start)
        return (at, len(chunk)) if at >= 0 else (-1, 0)
    for pos in range(start, len(name) + 1):
        length = _chunk_at(chunk, name, pos)
        if length >= 0:
            return pos, length
    return -1, 0


def _match_segment(chunks: list[str], name: str) -> bool:
    """Glob match of one path segment: greedy leftmost placement of the middle chunks
    is exact for ``*``-only globs, so no backtracking is needed."""
    if not name:
        return False
    if len(chunks) == 1:
        return _chunk_at(chunks[0], name, 0) == len(name)
    first, *middle, last = chunks
    head = _chunk_at(first, name, 0)
    if head < 0:
        return False
    pos = head
    for chunk in middle:
        at, length = _chunk_find(chunk, name, pos)
        if at < 0:
            return False
        pos = at + length
    # the last chunk must end the name, after pos
    tail_len = _chunk_len(last)
    start = len(name) - tail_len
    return start >= pos and _chunk_at(last, name, start) == tail_len


def _chunk_len(chunk: str) -> int:
    """Characters ``chunk`` matches: an escape is two characters for one."""
    n = i = 0
    while i < len(chunk):
        i += 2 if chunk[i] == "\\" and i + 1 < len(chunk) else 1
        n += 1
    return n
