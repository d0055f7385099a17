"""``git log -z`` output read straight into the history cache's columns.

The git source asks for ``--format=LOG_FORMAT -z --name-status`` (see
:mod:`gitlog`): per commit ``\\0\\x01<sha>\\0n<name>\\0e<email>\\0a<at>\\0c<ct>\\0``,
then git's ``\\0``, then the file statuses and paths, each NUL-terminated. A
cold run used to turn each commit into a dict, then a fact, then columns;
:class:`LogColumns` reads the bytes into the columns a warm run loads (one
list or packed array per field, each path stored once), and the facts are
built from them only when something reads them
(:func:`githistory.deferred_commit_facts`).

How, on the usual output (the fast path, whole blocks of commits in C calls):
the bytes are split on NUL; a commit is its 6 header tokens and, after the
header's empty token, its file section up to the next empty token (no
status and no path is ever empty, and a name, email or path holds no NUL).
Every header of a block is checked before anything of the block is kept:
the prefixes, the empty token closing the header, dates of 1 to 11 ASCII
digits. A section with an ``R`` or ``C`` status (renames, copies) is read
token by token, the others as status/path pairs. Only distinct paths and
authors are decoded. Anything else (a date git cannot print, a NUL inside a
name, ``--numstat`` for line counts) sends the rest of the output through
the positional parser :func:`gitlog.parse_log`, which reads every commit
whatever its bytes; both give the same columns.
"""

from __future__ import annotations

import codecs
import itertools
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from operator import and_, itemgetter, not_
from typing import Any

from guardrails.sources.gitcachecheck import U32

#: bytes of output parsed at once (more costs memory, less costs a call per block)
BLOCK = 1 << 19
_EVEN = itemgetter(slice(0, None, 2))
_ODD = itemgetter(slice(1, None, 2))
_RENAMES = (b"R", b"C")


def _texts(joined: bytes) -> list[str]:
    """The NUL-separated tokens of ``joined`` decoded as git's output is (UTF-8, any
    other byte kept as a surrogate), in C calls: tokens hold no NUL."""
    return joined.decode("utf-8", "surrogateescape").split("\0")


class LogColumns:
    """The commits of one or more ``git log`` outputs (newest first), as columns.

    :param is_bot: ``is_bot(author, email)``: such commits are left out.
    :param since: commits authored before it are left out (None: none).
    :param warn: told about dates replaced (:func:`gitlog.parse_log`).
    """

    def __init__(self, is_bot: Callable[[str, str], bool], since: int | None = None,
                 warn: Callable[[str], None] | None = None, numstat: bool = False) -> None:
        self._is_bot = is_bot
        self._since = since
        self._warn = warn
        self.numstat = numstat
        self.shas: list[str] = []
        self.authors: list[str] = []
        self.emails: list[str] = []
        self.at = array("q")
        self.ct = array("q")
        self.paths: dict[str, int] = {}  # path -> its number (first seen, first numbered)
        self.files = array(U32)
        self.nfiles = array(U32)
        self.renames: dict[int, list[list[str]]] = {}
        self.additions: list[int] | None = [] if numstat else None
        self.deletions: list[int] | None = [] if numstat else None
        self._names: dict[str, str] = {}  # one object per distinct name or email
        self._bots: dict[tuple[str, str], bool] = {}
        self._bytes_no: dict[bytes, int] = {}  # a path's bytes -> its number
        self._state: dict[str, Any] = {"last": None}  # parse_log's, across blocks

    def __len__(self) -> int:
        return len(self.at)

    # --- reading ---------------------------------------------------------------

    def read(self, blocks: Iterable[bytes],
             progress: Callable[[int, int], None] | None = None) -> None:
        """Add the commits of one ``git log`` output, given as blocks of bytes.

        ``progress(commits added, author time of the last)`` after each block.
        """
        it = iter(blocks)
        if self.numstat:
            self._slow(b"", it)
            return
        pending: list[bytes] = []
        size = 0
        buf = b""
        for block in it:
            pending.append(block)
            size += len(block)
            if size < BLOCK:
                continue
            data = buf + b"".join(pending)
            pending, size = [], 0
            rest = self._fast(data, final=False)
            if rest is None:
                self._slow(data, it)
                return
            buf = rest
            if progress is not None and self.at:
                progress(len(self.at), self.at[-1])
        data = buf + b"".join(pending)
        if data and self._fast(data + b"\0", final=True) is None:
            self._slow(data, iter(()))
        if progress is not None and self.at:
            progress(len(self.at), self.at[-1])

    def _slow(self, data: bytes, more: Iterator[bytes]) -> None:
        """The rest of the output through the positional parser."""
        from guardrails.sources.gitlog import parse_log

        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

        def tokens() -> Iterator[str]:
            buf = ""
            for chunk in itertools.chain((data,), more):
                parts = (buf + decoder.decode(chunk)).split("\0")
                buf = parts.pop()
                yield from parts
            buf += decoder.decode(b"", final=True)
            if buf:
                yield buf

        for c in parse_log(tokens(), self.numstat, self._warn, self._state):
            if self._keep(c["author"], c["email"], c["at"]):
                self.add(c)

    def _keep(self, author: str, email: str, at: int) -> bool:
        who = (author, email)
        bot = self._bots.get(who)
        if bot is None:
            bot = self._bots[who] = self._is_bot(author, email)
        # the walk goes by committer date; a commit's time is its author date
        return not bot and (self._since is None or at >= self._since)

    def _fast(self, data: bytes, final: bool) -> bytes | None:
        """Add the whole commits at the start of ``data``; the bytes left over (an
        unfinished commit, to read with the next block), or None when the output
        is not in the usual shape (nothing added then).

        ``final``: ``data`` is the end of the output, with one NUL added (so the
        last path's token is complete and only the split's empty tail is left).
        """
        toks = data.split(b"\0")
        last = len(toks) - 1  # the last token is unfinished (or the split's tail)
        if toks[0]:
            return None
        index = toks.index
        starts: list[int] = []
        ends: list[int] = []
        i = 1
        try:
            while True:  # a commit: header i..i+5, files i+6..e (e: the next empty token)
                e = index(b"", i + 6, last)
                starts.append(i)
                ends.append(e)
                i = e + 1
        except ValueError:
            pass
        if final and i != last:
            return None
        m = len(starts)
        if not m:
            return data
        get = toks.__getitem__

        def column(k: int, prefix: bytes) -> bytes | None:
            # field k of every header, NUL-separated, each checked to start with its
            # prefix (tokens hold no NUL: "\0" + prefix occurs only at their starts)
            # and returned without it
            joined = b"\0".join(map(get, map(k.__add__, starts)))
            sep = b"\0" + prefix
            if joined[:1] != prefix or joined.count(sep) != m - 1:
                return None
            return joined[1:].replace(sep, b"\0")

        heads, names, emails = column(0, b"\x01"), column(1, b"n"), column(2, b"e")
        at_digits, ct_digits = column(3, b"a"), column(4, b"c")
        if (heads is None or names is None or emails is None or at_digits is None
                or ct_digits is None or any(map(get, map((5).__add__, starts)))):
            return None
        dates = []
        for digits in (at_digits, ct_digits):  # 1 to 11 ASCII digits: year 1970 to 5138
            parts = digits.split(b"\0")
            if not (digits.replace(b"\0", b"").isdigit() and min(map(len, parts)) >= 1
                    and max(map(len, parts)) <= 11):
                return None
            dates.append(array("q", map(int, parts)))
        secs = list(map(get, map(slice, map((6).__add__, starts), ends)))
        paths: list[list[bytes]] = list(map(_ODD, secs))
        renames: dict[int, list[list[bytes]]] = {}
        odd = sum(map((1).__and__, map(len, secs)))
        for k in _rename_sections(list(map(b"".join, map(_EVEN, secs)))):
            odd -= len(secs[k]) & 1
            paths[k], moved = _section(secs[k])
            if moved:
                renames[k] = moved
        if odd:  # a section without renames holding a status without its path
            return None
        self._add_block(_texts(heads), _texts(names), _texts(emails), dates[0], dates[1],
                        paths, renames)
        return b"\0" + b"\0".join(toks[i:]) if not final else b""

    def _add_block(self, shas: list[str], authors: list[str], mails: list[str],
                   at: array[int], ct: array[int], paths: list[list[bytes]],
                   renames: dict[int, list[list[bytes]]]) -> None:
        one = self._names.setdefault
        authors = list(map(one, authors, authors))
        mails = list(map(one, mails, mails))
        bots = self._bots
        who = list(zip(authors, mails, strict=True))
        for pair in set(who) - bots.keys():
            bots[pair] = self._is_bot(*pair)
        since = self._since
        self._state["last"] = ct[-1]
        if any(map(bots.__getitem__, who)) or (since is not None and min(at) < since):
            keep = list(map(not_, map(bots.__getitem__, who)))
            if since is not None:
                keep = list(map(and_, keep, map(since.__le__, at)))
            pick = itertools.compress
            shas, authors, mails = (list(pick(c, keep)) for c in (shas, authors, mails))
            at, ct = array("q", pick(at, keep)), array("q", pick(ct, keep))
            paths = list(pick(paths, keep))
            if renames:  # renumbered: a rename's commit counts the kept ones before it
                before = list(itertools.accumulate(keep, initial=0))
                renames = {before[k]: pairs for k, pairs in renames.items() if keep[k]}
        base = len(self.at)
        self.shas += shas
        self.authors += authors
        self.emails += mails
        self.at += at
        self.ct += ct
        self.nfiles.extend(map(len, paths))
        flat = list(itertools.chain.from_iterable(paths))
        known = self._bytes_no
        new = [p for p in dict.fromkeys(flat) if p not in known] if known else list(
            dict.fromkeys(flat))
        texts = _texts(b"\0".join(new)) if new else []
        start = len(self.paths)
        if self.paths.keys().isdisjoint(texts):  # the usual: numbered in C calls
            self.paths.update(zip(texts, itertools.count(start)))
            known.update(zip(new, itertools.count(start)))
        else:  # a path the positional parser numbered first (bytes and text differ)
            number = self.paths.setdefault
            for raw, text in zip(new, texts, strict=True):
                known[raw] = number(text, len(self.paths))
        self.files.extend(map(known.__getitem__, flat))
        for k, pairs in renames.items():
            self.renames[base + k] = [_texts(b"\0".join(pair)) for pair in pairs]

    # --- adding commits one by one ------------------------------------------------

    def add(self, c: dict[str, Any]) -> None:
        """Add one raw commit (:func:`gitlog.parse_log`'s shape)."""
        one = self._names.setdefault
        if "renames" in c:
            self.renames[len(self.at)] = c["renames"]
        self.shas.append(c["sha"])
        self.authors.append(one(c["author"], c["author"]))
        self.emails.append(one(c["email"], c["email"]))
        self.at.append(c["at"])
        self.ct.append(c["ct"])
        number = self.paths.setdefault
        paths = self.paths
        self.files.extend([number(p, len(paths)) for p in c["files"]])
        self.nfiles.append(len(c["files"]))
        if self.additions is not None and self.deletions is not None:
            self.additions.append(c.get("additions", 0))
            self.deletions.append(c.get("deletions", 0))

    def extend_stored(self, shas: list[str], data: dict[str, Any]) -> None:
        """Append the commits of a stored history (``gitcache``'s columns, checked
        whole, ``shas`` split from its ``sha``) after those read: column by
        column, each stored path renumbered once (no filter: they were kept once)."""
        base = len(self.at)
        one = self._names.setdefault
        self.shas += shas
        self.authors += map(one, data["author"], data["author"])
        self.emails += map(one, data["email"], data["email"])
        self.at.extend(data["at"])
        self.ct.extend(data["ct"])
        number, paths = self.paths.setdefault, self.paths
        remap = [number(p, len(paths)) for p in data["paths"]]
        self.files.extend(map(remap.__getitem__, data["files"]))
        self.nfiles.extend(data["nfiles"])
        for k, pairs in data["renames"].items():
            self.renames[base + k] = pairs
        if self.additions is not None and self.deletions is not None:
            n = len(data["at"])
            self.additions += data.get("additions") or [0] * n
            self.deletions += data.get("deletions") or [0] * n


def _rename_sections(statuses: list[bytes]) -> list[int]:
    """The numbers of the sections whose statuses (``statuses[k]``: section k's
    tokens at even places, joined) hold an ``R`` or ``C``: renames or copies.
    Exact for the first such status of a section, which is at an even place
    (the tokens after it, shifted, may be paths: that section is read token by
    token anyway). One search over all of them joined; a loop per hit section."""
    joined = b"\x02".join(statuses)
    if b"R" not in joined and b"C" not in joined:
        return []
    ends = list(itertools.accumulate(map((1).__add__, map(len, statuses))))
    found: set[int] = set()
    for letter in _RENAMES:
        pos = joined.find(letter)
        while pos >= 0:
            k = bisect_right(ends, pos)  # the section holding pos
            found.add(k)
            pos = joined.find(letter, ends[k])
    return sorted(found)


def _section(tokens: list[bytes]) -> tuple[list[bytes], list[list[bytes]]]:
    """``(paths, renames)`` of a file section holding renames or copies, token by
    token as :func:`gitlog.parse_log` reads it: after an ``R``/``C`` status come
    the old and the new path, after any other one path."""
    files: list[bytes] = []
    moved: list[list[bytes]] = []
    it = iter(tokens)
    for tok in it:
        status = tok.lstrip(b"\n")
        if not status:
            continue
        if status[:1] in _RENAMES:
            old, new = next(it, b""), next(it, b"")
            if status[:1] == b"R":
                moved.append([old, new])
            files.append(new)
        else:
            files.append(next(it, b""))
    return files, moved
