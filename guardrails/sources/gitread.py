"""How the git source gets a repository's history: from the history cache as it
is, from the cache plus the commits since (``git log OLD..HEAD``, when the
cached HEAD is an ancestor of HEAD), or from one full ``git log`` read straight
into columns.

The seam with :mod:`guardrails.sources.git`: the source decides what to gather
(HEAD, which kinds, the module map, CODEOWNERS, the tracked files) and turns
it into facts; :class:`HistoryReader` only reads commits, with git and the
cache file (:mod:`gitcache`), and says whether that file must be written again
(``dirty``). It is handed what it needs and never imports the source.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.deferredfacts import DeferredFacts
from guardrails.errors import SourceError
from guardrails.facts import is_bot
from guardrails.progress import ProgressTask
from guardrails.sources import gitcache, githistory
from guardrails.sources.gitmodules import ModuleMap, commit_modules

if TYPE_CHECKING:
    from guardrails.sources.gitcolumns import LogColumns
    from guardrails.sources.gitrun import Git


class HistoryReader:
    """Reads one repository's history for the git source (see the module's docstring)."""

    def __init__(self, git: Callable[[], Git], *, key: str, cache_dir: Path | None,
                 now: datetime, depth: int, bots: tuple[str, ...], numstat: bool,
                 mailmap: Path, warn: Callable[[str], None]) -> None:
        """``git``: the source's runner, made when first asked for (a warm run runs
        no git); ``key``: the history's cache key (:func:`gitcache.cache_key`);
        ``mailmap``: the work tree's ``.mailmap``; ``warn``: the source's warnings."""
        self._git = git
        self.key, self.cache_dir, self.now = key, cache_dir, now
        self.depth, self.bots, self.numstat = depth, bots, numstat
        self.mailmap, self.warn = mailmap, warn
        self.dirty = False  # the history cache must be (re)written

    @property
    def git(self) -> Git:
        return self._git()

    def _mailmap_sum(self) -> str | None:
        """A checksum of the work tree's ``.mailmap`` (None: none, or not a plain file)."""
        path = self.mailmap
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):  # git ignores a symlinked one
                return None
            data = path.read_bytes()
        except OSError:
            return None
        return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}:{len(data)}"

    def read(self, head: str, hist: githistory.History | None, since: int,
             modmap: ModuleMap, meta: dict[str, dict[str, Any]], task: ProgressTask
             ) -> tuple[githistory.History | None, DeferredFacts]:
        """The history to cache (None without a cache folder) and the ``commits``
        facts since ``since``, built when first read (the checks read columns).

        ``hist``: the cached history (:func:`gitcache.load`), or None. From the
        cache when it holds HEAD, else the cache plus ``git log
        OLD..HEAD`` when HEAD moved on from the cached one, else a full read
        straight into columns. ``self.dirty`` tells whether the cache must be
        written.
        """
        mkey = json.dumps([self.depth, modmap.prefixes, meta], sort_keys=True, default=str)
        # Authors are stored as .mailmap mapped them when git read the log (%aN/%aE),
        # and git reads the work tree's .mailmap, committed or not: another text
        # than the cached history's means reading it all again (in the same file).
        mailmap = self._mailmap_sum()
        if hist is not None and hist.get("mailmap") != mailmap:
            hist = None
        if hist is not None and (hist["head"] != head or hist["modules_key"] != mkey):
            why = gitcache.check.rest_problem(hist)  # the raw commits are read below
            if why is not None:
                gitcache.ignored(self.cache_dir, self.key, why, self.warn)
                hist = None
        if hist is not None and hist["since"] <= since:
            if hist["head"] == head:
                if hist["modules_key"] != mkey:  # another module map: modules again
                    githistory.set_modules(hist, commit_modules(hist, modmap), mkey)
                    self.dirty = True
                cached: githistory.History = hist

                def damaged(why: str) -> list[dict[str, Any]]:
                    # Files or committer dates failed their check as facts were built:
                    # the facts come from git, and the cache is written again.
                    gitcache.ignored(self.cache_dir, self.key, why, self.warn)
                    new = self._read_all(head, since, modmap, mkey, ProgressTask())
                    new["mailmap"] = mailmap
                    for name in ("tracked_key", "tracked", "codeowners"):  # checked: kept
                        new[name] = cached[name]
                    gitcache.store(self.cache_dir, self.key, new)
                    return githistory.commit_facts(new, since)

                commits = githistory.deferred_commit_facts(hist, since, damaged)
                task.advance(len(commits), fraction=1.0)
                return hist, commits
            base = hist["head"]
            # The stored files are renumbered below: checked first (a warm run checks
            # them only when facts are built); a damaged history is read again whole.
            damage = gitcache.check.rest_problem(hist)
            if damage is not None:
                gitcache.ignored(self.cache_dir, self.key, damage, self.warn)
            elif self.git.status("merge-base", "--is-ancestor", base, head) == 0:
                cols = self._columns()
                self._read_log(cols, [f"{base}..{head}"])
                cols.extend_stored(githistory.shas_of(hist), hist)
                new = githistory.build(hist["key"], head, hist["since"], cols)
                githistory.set_modules(new, commit_modules(new, modmap), mkey)
                if hist["tracked_key"] is not None:  # the index's, not HEAD's: still good
                    new["tracked_key"], new["tracked"] = hist["tracked_key"], hist["tracked"]
                new["mailmap"], self.dirty = mailmap, True
                task.advance(len(cols), fraction=1.0)
                return new, githistory.deferred_commit_facts(new, since, self._no_damage)
        hist = self._read_all(head, since, modmap, mkey, task)
        hist["mailmap"] = mailmap
        self.dirty = self.cache_dir is not None
        return (hist if self.dirty else None), githistory.deferred_commit_facts(
            hist, since, self._no_damage)

    @staticmethod
    def _no_damage(why: str) -> list[dict[str, Any]]:
        # Columns built in this run from git's output cannot fail their own check;
        # if they ever did, the run must say so rather than guess.
        raise SourceError("git", f"the history read from git is inconsistent ({why})")

    def _columns(self, since: int | None = None) -> LogColumns:
        from guardrails.sources.gitcolumns import LogColumns  # a warm run reads no log

        bots = self.bots
        return LogColumns(lambda author, email: is_bot(author, email, bots), since,
                          self.warn, self.numstat)

    def _read_all(self, head: str, since: int, modmap: ModuleMap, mkey: str,
                  task: ProgressTask) -> githistory.History:
        """Every commit authored since ``since`` reachable from ``head``, as a history
        with its modules."""
        now = self.now.timestamp()
        span = max(now - since, 1.0)
        reported = [0]

        def progress(count: int, oldest: int) -> None:
            # newest first: how far back the walk is tells how much of the window is read
            task.advance(count - reported[0], fraction=min(max((now - oldest) / span, 0), 1))
            reported[0] = count

        # --since stops the walk at the first commit with an older committer
        # date, so one commit with a bogus date (0, negative) would hide all
        # history behind it; --since-as-filter (git >= 2.37) only filters.
        cols = self._columns(since)
        try:
            self._read_log(cols, [f"--since-as-filter=@{since}", head], progress)
        except SourceError as exc:
            if len(cols) or "since-as-filter" not in exc.message:
                raise
            cols = self._columns(since)
            self._read_log(cols, [f"--since=@{since}", head], progress)
        task.advance(len(cols) - reported[0])
        hist = githistory.build(self.key, head, since, cols)
        githistory.set_modules(hist, commit_modules(hist, modmap), mkey)
        return hist

    def _read_log(self, cols: LogColumns, revs: list[str],
                  progress: Callable[[int, int], None] | None = None) -> None:
        from guardrails.sources.gitlog import LOG_FORMAT

        diff = "--numstat" if self.numstat else "--name-status"
        cols.read(self.git.blocks("log", "-z", "--no-merges", "-M", diff, "--no-color",
                                  "--no-ext-diff", f"--format={LOG_FORMAT}", *revs, "--"),
                  progress)
