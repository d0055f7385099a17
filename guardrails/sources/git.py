"""The ``git`` source: commits, modules and CODEOWNERS from a local repository.

Configured as ``sources: {git: {path: .}}``. Everything is read with the git
CLI (no library), streaming one ``git log`` pass: ``--name-status`` for
ownership (git detects renames for ``--name-only`` too, so this costs the same
and lets ownership follow renames), ``--numstat`` instead when
``line_counts: true`` asks for lines added and deleted.

History read: commits whose author date is at or after ``now - max(window,
history)`` (``window`` is the config's; set ``history:`` to the longest
window a rule uses), merges excluded (``--no-merges``), ``.mailmap`` applied
(``%aN``/``%aE``), bots excluded: a ``bots`` pattern matches when it occurs,
case-insensitively, in the author's name or email, and a name ending in
``[bot]`` or `` bot`` is always a bot (:func:`guardrails.facts.is_bot`). Checks filter by their own
window. Parsed history is cached per HEAD (see :mod:`gitcache`), and read from
the cache or git by :mod:`gitread`.

Facts (plural kind: shape):

- ``commits``: ``{sha, author, email, authored_at, committed_at, files,
  modules}`` (+ ``additions``, ``deletions`` with ``line_counts``). ``files``
  are the paths as committed; ``modules`` the modules of those files under
  their names at HEAD (renames followed).
- ``modules``: ``{id, paths, commits, authors, files, owners}`` plus ``team``
  and ``service`` with ``modules: services``. ``id`` is a path prefix at
  ``module_depth`` (files at the root form ``(root)``), a prefix of the
  explicit ``modules:`` list, or a service id; ``commits``/``authors`` count
  the history read; ``files`` the tracked files at HEAD; ``owners`` counts
  the CODEOWNERS owners over those files, ``owner_teams`` the same by team
  slug (``@org/slug`` owners only).
- ``codeowners``: a single fact ``{id: "CODEOWNERS", file, entries: [{pattern,
  owners, line}], errors: [{line, text, message}], files: {path: {owners,
  line}}, owners: {owner: {kind, name}}}`` for the file GitHub would use, over
  ``git ls-files``; ``kind`` is ``team``, ``user`` or ``email`` and ``name``
  the team slug, handle or address. No fact when the repository has no
  CODEOWNERS file. A file of 3 MB or more (GitHub does not load it) fails
  ``codeowners`` and ``modules`` (which count its owners), not ``commits``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from guardrails.deferredfacts import DeferredFacts
from guardrails.errors import ConfigError, SourceError
from guardrails.plugin import Source, hookimpl
from guardrails.progress import ProgressTask
from guardrails.sources import gitcache, githead, githistory
from guardrails.sources.gitmodules import ROOT_MODULE, ModuleMap, module_facts
from guardrails.timeutil import DURATION_PATTERN, parse_duration

if TYPE_CHECKING:
    from guardrails.sources.gitrun import Git

#: where GitHub looks for CODEOWNERS, in its order (:data:`codeowners.LOCATIONS`, not
#: imported from there: the parser is imported only when a file is found)
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
#: GitHub's limit: "CODEOWNERS files must be under 3 MB in size"
CODEOWNERS_MAX_BYTES = 3 * 1024 * 1024
DEFAULT_BOTS = ("[bot]", "dependabot", "renovate", "github-actions")


def _norm_prefix(p: str) -> str:
    return p.strip().strip("/")


class GitSource(Source):
    """Commits, modules and CODEOWNERS of a local git repository."""

    name: ClassVar[str] = "git"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "default": ".",
                     "description": "The repository, relative to the config's directory."},
            "module_depth": {"type": "integer", "minimum": 1, "default": 1,
                             "description": "Modules are path prefixes this many directories "
                                            "deep; files above form '(root)'."},
            "modules": {
                "description": "Explicit module path prefixes, or 'services' to use the "
                               "paths of services.yaml.",
                "oneOf": [{"type": "array", "items": {"type": "string", "minLength": 1}},
                          {"const": "services"}],
            },
            "bots": {"type": "array", "items": {"type": "string", "minLength": 1},
                     "description": "Author name/email substrings that mark bots."},
            "history": {"type": "string", "pattern": DURATION_PATTERN,
                        "description": "Read at least this much history (e.g. 365d)."},
            "line_counts": {"type": "boolean", "default": False,
                            "description": "Also read lines added/deleted (--numstat)."},
        },
        "additionalProperties": False,
    }

    def __init__(self, options: Any, env: Any) -> None:
        super().__init__(options, env)
        self.repo = (env.root / str(self.options.get("path", "."))).resolve()
        self.depth = int(self.options.get("module_depth", 1))
        self.bots = tuple(self.options.get("bots", DEFAULT_BOTS))
        self.numstat = bool(self.options.get("line_counts", False))
        self.exe = githead.which("git")  # the runner (gitrun): once git is run (a warm run: never)
        self._git: Git | None = None
        self._head: str | None = None
        self._index: Path | None = None  # git's index file, when rev-parse named it
        self._top: Path | None = None  # the work tree's top folder, when rev-parse named it
        self._checked = False
        self._claimed = False  # HEAD was read from git's files, not asked of git (githead)
        self._dirty = False  # the history cache must be (re)written

    @property
    def git(self) -> Git:
        """Runs git in the repository (imported on first use: see :func:`githead.which`)."""
        if self._git is None:
            from guardrails.sources.gitrun import Git

            self._git = Git(self.repo, self.exe)
        return self._git

    def provides(self) -> set[str]:
        return {"commits", "modules", "codeowners"}

    def requires(self) -> set[str]:
        """``modules: services`` maps paths to the services other sources gathered."""
        return {"services"} if self.options.get("modules") == "services" else set()

    def describe(self) -> str:
        return f"git {self.env.display(self.repo)}"

    def validate(self) -> None:
        if not self.env.allow_outside_root and not self.repo.is_relative_to(
                self.env.root.resolve()):
            cfg = self.env.config
            raise ConfigError(
                f"git source: path {self.options.get('path')!r} resolves outside the folder "
                f"holding the config ({self.env.root})", file=self._config_file(),
                line=cfg.line_of("sources", "git", "path") if cfg is not None else None,
                fix="move the config into the repository, or set 'allow_outside_root: true'")
        if not self.repo.is_dir():
            cfg = self.env.config
            raise ConfigError(f"git source: {self.repo} is not a directory",
                              file=self._config_file(),
                              line=cfg.line_of("sources", "git", "path") if cfg else None,
                              fix="set sources.git.path to the repository's folder "
                              "(relative to the config)")

    # --- repository checks ---------------------------------------------------

    def _config_file(self) -> str | None:
        cfg = self.env.config
        return getattr(cfg, "display_path", None) if cfg is not None else None

    def _open(self, warm: bool = False) -> str | None:
        """Check the repository once; return HEAD's sha (None for an empty repo).

        ``warm``: a run that will look in the history cache may take HEAD from
        git's files (:func:`githead.peek`, the plain layout only); that HEAD is a
        claim (``self._claimed``) that only the cache holding that very commit
        settles: else :meth:`_confirm` asks git.
        """
        if self._checked:
            return self._head
        self.validate()
        if warm and self.env.cache_dir is not None and self.exe is not None:
            found = githead.peek(self.repo)
            if found is not None:
                self._head, self._index, self._top = found
                self._checked = self._claimed = True
                return self._head
        return self._rev_parse()

    def _confirm(self) -> str | None:
        """HEAD as git tells it, when it was only read from git's files."""
        if self._claimed:
            self._claimed, self._index, self._top = False, None, None
            self._head = self._rev_parse()
        return self._head

    def _rev_parse(self) -> str | None:
        """Ask git whether the repository is usable, and for HEAD."""
        # One process for four answers: shallow?, where the index is (its stat tells
        # whether cached tracked files still hold), a work tree (else it fails) and
        # HEAD's commit, printed last; exit 1 without it when there is no commit yet.
        argv = ["rev-parse", "--is-shallow-repository", "--git-path", "index",
                "--show-toplevel", "--verify", "-q", "HEAD^{commit}"]
        try:
            rc, text = self.git.run_status(*argv, ok=(0, 1))
        except SourceError as exc:
            if "not a git repository" in exc.message:
                raise ConfigError(f"git source: {self.repo} is not a git repository",
                                  file=self._config_file(),
                                  fix="point sources.git.path at a git checkout, or remove "
                                      "the git source") from None
            raise
        out = text.split("\n")
        if out[0].strip() == "true":
            raise SourceError("git", f"{self.repo} is a shallow clone, so its history is "
                              "incomplete; run `git fetch --unshallow` (in GitHub Actions: "
                              "actions/checkout with fetch-depth: 0)")
        # the last line: a work tree's path may itself hold a newline (then the
        # index's place is not told apart and tracked files are never cached)
        head = text.rstrip("\n").rpartition("\n")[2].strip() if rc == 0 else ""
        if rc == 0 and len(out) == 5 and out[1]:
            self._index = self.repo / out[1]
            self._top = Path(out[2])
        self._head, self._checked = head or None, True
        return self._head

    # --- gathering -----------------------------------------------------------

    def gather(self, kinds: set[str]
               ) -> dict[str, list[dict[str, Any]] | DeferredFacts | SourceError]:
        """The facts of ``kinds``; a warm run's ``commits`` are :class:`DeferredFacts`
        (built on first read; the bus factor reads their columns).

        A CODEOWNERS that cannot be read (over GitHub's 3 MB) fails the kinds
        that hold what it says, ``codeowners`` and ``modules`` (their ``owners``
        and ``owner_teams``): each is that :class:`SourceError`, so the rules on
        them are errors; ``commits`` and their rules are unaffected.
        """
        head = self._open(warm=bool(kinds & {"commits", "modules"}))
        out: dict[str, list[dict[str, Any]] | DeferredFacts | SourceError] = {}
        tracked: list[str] | None = None
        owners_fact: dict[str, Any] | None = None
        unowned: SourceError | None = None  # why CODEOWNERS could not be read
        hist: githistory.History | None = None
        commits: list[dict[str, Any]] | DeferredFacts = []
        modmap, meta = self.module_map() if kinds & {"commits", "modules"} else (None, {})
        cached = None
        if modmap is not None and head is not None:
            cached = gitcache.load(self.env.cache_dir, self._cache_key(), self._warn)
        if cached is None or cached["head"] != head:  # a claimed HEAD the cache cannot settle
            head = self._confirm()
        if modmap is not None and head is not None:
            with self.env.progress.task("git: history", unit="commits") as task:
                hist, commits = self._history(head, cached, modmap, meta, task)
        if kinds & {"codeowners", "modules"} and head is not None:
            tracked = self._tracked(hist)
            try:
                found = self._codeowners(hist)
            except SourceError as exc:  # the other kinds do not need the file
                found, unowned = None, exc
            if found is not None:
                from guardrails.sources import codeowners as co_mod  # only with a file

                owners_fact = co_mod.to_fact(co_mod.parse(found[1], found[0]), tracked)
        if hist is not None and self._dirty:
            gitcache.store(self.env.cache_dir, self._cache_key(), hist)
        if "codeowners" in kinds:
            out["codeowners"] = unowned or ([owners_fact] if owners_fact else [])
        if "commits" in kinds:
            out["commits"] = commits
        if "modules" in kinds and modmap is not None:
            out["modules"] = unowned or module_facts(commits, tracked or [], modmap, meta,
                                                     owners_fact)
        return out

    def since(self) -> int:
        """Oldest author time (epoch seconds) the history must cover."""
        length = self.env.window
        if self.options.get("history"):
            length = max(length, parse_duration(self.options["history"]))
        return int((self.env.now - length).timestamp())

    def _cache_key(self) -> str:
        return gitcache.cache_key(self.repo, {"bots": self.bots, "numstat": self.numstat})

    def _history(self, head: str, hist: githistory.History | None, modmap: ModuleMap,
                 meta: dict[str, dict[str, Any]], task: ProgressTask
                 ) -> tuple[githistory.History | None, DeferredFacts]:
        """The history to cache and the ``commits`` facts (:mod:`gitread`)."""
        from guardrails.sources.gitread import HistoryReader

        reader = HistoryReader(lambda: self.git, key=self._cache_key(),
                               cache_dir=self.env.cache_dir, now=self.env.now,
                               depth=self.depth, bots=self.bots, numstat=self.numstat,
                               mailmap=(self._top or self.repo) / ".mailmap", warn=self._warn)
        got = reader.read(head, hist, self.since(), modmap, meta, task)
        self._dirty = self._dirty or reader.dirty
        return got

    def _tracked(self, hist: githistory.History | None) -> list[str]:
        """Tracked files: from the cache while the index file is unchanged."""
        key = self._index_key()
        if hist is not None and key is not None and hist["tracked_key"] == key:
            return hist["tracked"]  # type: ignore[no-any-return]
        tracked = self.tracked_files()
        if hist is not None and key is not None:
            hist["tracked_key"], hist["tracked"], self._dirty = key, tracked, True
        return tracked

    def _index_key(self) -> list[int] | None:
        """The index file's identity: any write replaces it (new inode, times). Its
        last number is the form of the list it keys: 1, listed from the work tree's
        top (:meth:`tracked_files`); a cache's list of the earlier form (5 numbers,
        listed from ``path``) is listed again, not kept until the index changes."""
        if self._index is None:
            return None
        try:
            st = os.stat(self._index)
        except OSError:
            return None
        return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, 1]

    def _codeowners(self, hist: githistory.History | None) -> tuple[str, str] | None:
        """:meth:`read_codeowners`, from the cache when it was read at this HEAD."""
        if hist is not None and hist["codeowners"] is not None:
            if not hist["codeowners"]:
                return None
            loc, text = hist["codeowners"][0], hist["codeowners"][1]
            if len(text) >= CODEOWNERS_MAX_BYTES // 4:  # kept by a version without the cap
                return self.read_codeowners()
            return loc, text
        found = self.read_codeowners()
        if hist is not None:
            hist["codeowners"], self._dirty = list(found) if found else [], True
        return found


    def _warn(self, text: str) -> None:
        if len(self.warnings) < 200 and text not in self.warnings:
            self.warnings.append(text)

    def tracked_files(self) -> list[str]:
        """Every tracked file, its path from the work tree's top, as ``git log`` names
        a commit's files and CODEOWNERS is read (``path`` may be a folder inside the
        repository: a plain ``ls-files`` there listed only that folder, relative to it,
        so the log's modules were called gone from HEAD). ``:/`` is the top; the
        ``GIT_*_PATHSPECS`` variables that would read it otherwise never reach git."""
        return [p for p in self.git.run("ls-files", "-z", "--full-name", "--", ":/").split("\0")
                if p]

    def read_codeowners(self) -> tuple[str, str] | None:
        """``(path, text)`` of the CODEOWNERS file GitHub would use, read at HEAD."""
        # ls-tree, not `cat-file --batch-check` (which needs stdin, so subprocess: its
        # import is ~3 ms of a cold run); paths from the top whatever the folder
        entries = self.git.run("ls-tree", "-z", "-l", "--full-tree", "HEAD", "--",
                               *CODEOWNERS_LOCATIONS)
        blobs: dict[str, tuple[str, str]] = {}
        for entry in entries.split("\0"):
            meta, tab, path = entry.partition("\t")
            parts = meta.split()
            if tab and len(parts) == 4 and parts[1] == "blob":
                blobs[path] = (parts[2], parts[3])
        for loc in CODEOWNERS_LOCATIONS:  # GitHub's order: the first found is used
            if loc in blobs:
                sha, size = blobs[loc]
                # GitHub does not load a CODEOWNERS of 3 MB or more; nor do we: a file
                # of 10 MB (git packs it to a few KB) was matched for minutes
                if not size.isdigit() or int(size) >= CODEOWNERS_MAX_BYTES:
                    raise SourceError("git", (
                        f"{loc} is {size} bytes, over GitHub's limit of 3 MB for a CODEOWNERS "
                        "file (GitHub does not load it, so no path has code owners there, and "
                        "the codeowners and modules facts cannot say who owns what); "
                        "shrink it, e.g. with directory patterns instead of one line a file"))
                return loc, self.git.run("cat-file", "blob", sha)
        return None

    # --- modules --------------------------------------------------------------

    def module_map(self) -> tuple[ModuleMap, dict[str, dict[str, Any]]]:
        """The module map and per-module extra fields (team/service for services)."""
        spec = self.options.get("modules")
        if spec is None:
            return ModuleMap(self.depth), {}
        if spec == "services":
            return self._services_map()
        prefixes = {_norm_prefix(p): _norm_prefix(p) or ROOT_MODULE for p in spec}
        return ModuleMap(prefixes=prefixes), {m: {"paths": [p]} for p, m in prefixes.items()}

    def _services_map(self) -> tuple[ModuleMap, dict[str, dict[str, Any]]]:
        # The services come through the fact store, from whichever source has them
        # (the session gathers them first: see requires()).
        services = self.env.facts("services") if self.env.facts is not None else []
        if not services:
            raise ConfigError("git source: 'modules: services' needs services with paths in "
                              "the org data (services.yaml)", file=self._config_file(),
                              fix="add services.yaml with 'paths' per service, or list "
                                  "module prefixes under sources.git.modules")
        prefixes: dict[str, str] = {}
        meta: dict[str, dict[str, Any]] = {}
        for s in services:
            for p in s.get("paths") or ():
                prefixes[_norm_prefix(str(p))] = s["id"]
            meta[s["id"]] = {"paths": [_norm_prefix(str(p)) for p in s.get("paths") or ()],
                             "service": s["id"], "team": s.get("owner")}
        return ModuleMap(prefixes=prefixes), meta


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [GitSource]


@hookimpl
def guardrails_gather_finish(config: Any, store: Any) -> None:
    """The git source also answers "which deployment shipped this change" once all
    sources gathered (:mod:`gitship`); here so it belongs to (and is disabled with)
    this plugin, imported only when there are changes to ship."""
    if config is None or "git" not in config.sources:
        return
    if not store.by_kind.get("changes") or not store.by_kind.get("deployments"):
        return
    from guardrails.sources import gitship

    gitship.ship(config, store)


__all__ = ["GitSource", "guardrails_gather_finish", "guardrails_gather_sources"]
