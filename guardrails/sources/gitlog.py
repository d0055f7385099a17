"""Parsing ``git log -z`` output into raw commit dicts, field by field.

Split from :mod:`guardrails.sources.git` (which runs git and makes facts) so
each stays readable; :func:`parse_log` is re-exported there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Every field is NUL-terminated and non-empty (a letter before each value), and a
# commit starts with the token "\x01<sha>"; paths come NUL-terminated (-z). A
# name, email or path may hold any other byte, control characters included.
LOG_FORMAT = "%x00%x01%H%x00n%aN%x00e%aE%x00a%at%x00c%ct%x00"
#: seconds since the epoch a date may have: 0001-01-01 .. 9999-12-31
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799


def parse_log(tokens: Iterable[str], numstat: bool,
              warn: Callable[[str], None] | None = None,
              state: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Raw commit dicts from the tokens of ``git log -z --format=LOG_FORMAT``.

    Positional, so no byte of a name, email or path can end a field or a
    commit early: a header runs from its ``\x01<sha>`` token to the empty
    token after it, and each file status is followed by exactly its paths.
    A date git cannot print (missing, negative) or that lies past year 9999
    is replaced (committer date, else the previous commit's) with a warning,
    never dropping the commit. ``state``: ``{"last": committer date of the
    commit before}`` when the output was read up to here another way
    (:mod:`gitcolumns`), updated as commits are read.
    """
    it = iter(tokens)
    if state is None:
        state = {"last": None}
    current: dict[str, Any] | None = None
    files: list[str] = []
    # One loop, token by token (a generator step per token is the cost here).
    for tok in it:
        if not tok:
            continue
        first = tok[0]
        if first == "\x01":
            if current is not None:
                yield current
            header = [tok[1:]]
            for field in it:  # the header ends at the empty token after it
                if not field:
                    break
                header.append(field)
            current = _header(header, numstat, warn, state)
            files = current["files"]
            continue
        if current is None:
            continue
        if first == "\n":
            tok = tok.lstrip("\n")
            if not tok:
                continue
            first = tok[0]
        if numstat:
            parts = tok.split("\t", 2)
            if len(parts) != 3:
                continue
            a, d, path = parts
            if a.isdigit() and d.isdigit():  # binary files have no line counts ("-")
                current["additions"] += int(a)
                current["deletions"] += int(d)
            if path:
                files.append(path)
            else:
                old, new = next(it, ""), next(it, "")
                current.setdefault("renames", []).append([old, new])
                files.append(new)
        elif first == "R" or first == "C":
            old, new = next(it, ""), next(it, "")
            if first == "R":
                current.setdefault("renames", []).append([old, new])
            files.append(new)
        else:
            files.append(next(it, ""))
    if current is not None:
        yield current


def _header(fields: list[str], numstat: bool, warn: Callable[[str], None] | None,
            state: dict[str, Any]) -> dict[str, Any]:
    # sha first, the four prefixed fields last: a NUL inside a name cannot shift them
    sha = fields[0]
    if len(fields) == 5:  # the usual shape: name, email and both dates as git wrote them
        at_s, ct_s = fields[3][1:], fields[4][1:]
        if (at_s.isdigit() and ct_s.isdigit() and at_s.isascii() and ct_s.isascii()
                and len(at_s) < 12 and len(ct_s) < 12):  # below year 5138: in range
            state["last"] = int(ct_s)
            fast: dict[str, Any] = {"sha": sha, "author": fields[1][1:],
                                    "email": fields[2][1:], "at": int(at_s),
                                    "ct": state["last"],
                                    "files": []}
            if numstat:
                fast["additions"], fast["deletions"] = 0, 0
            return fast
    rest = fields[1:]
    while len(rest) < 4:
        rest.insert(0, "?")
    name, email, at_s, ct_s = "\\0".join(rest[:-3])[1:], rest[-3][1:], rest[-2][1:], rest[-1][1:]
    at, ct = _epoch(at_s), _epoch(ct_s)
    if at is None or ct is None:
        fallback = ct if ct is not None else (at if at is not None else state["last"])
        if fallback is None:
            fallback = 0
        if warn is not None:
            which = " and ".join(w for w, v in (("author", at), ("committer", ct))
                                 if v is None)
            warn(f"git: commit {sha[:12]} has no usable {which} date (missing, negative or "
                 "past year 9999); dated like its neighbours instead")
        at = fallback if at is None else at
        ct = fallback if ct is None else ct
    state["last"] = ct
    out: dict[str, Any] = {"sha": sha, "author": name, "email": email, "at": at, "ct": ct,
                           "files": []}
    if numstat:
        out["additions"], out["deletions"] = 0, 0
    return out


def _epoch(text: str) -> int | None:
    text = text.strip()
    if not text or len(text) > 20 or not text.lstrip("-").isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if _EPOCH_MIN <= value <= _EPOCH_MAX else None
