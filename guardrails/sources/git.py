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
window. Parsed history is cached per HEAD (see :mod:`gitcache`).

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
  CODEOWNERS file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from guardrails.errors import ConfigError, SourceError
from guardrails.facts import is_bot
from guardrails.plugin import Source, hookimpl
from guardrails.progress import ProgressTask
from guardrails.sources import codeowners as co_mod
from guardrails.sources import gitcache
from guardrails.sources.gitrun import Git
from guardrails.timeutil import DURATION_PATTERN, parse_duration

DEFAULT_BOTS = ("[bot]", "dependabot", "renovate", "github-actions")
ROOT_MODULE = "(root)"
# Every field is NUL-terminated and non-empty (a letter before each value), and a
# commit starts with the token "\x01<sha>"; paths come NUL-terminated (-z). A
# name, email or path may hold any other byte, control characters included.
_FORMAT = "%x00%x01%H%x00n%aN%x00e%aE%x00a%at%x00c%ct%x00"
#: seconds since the epoch a date may have: 0001-01-01 .. 9999-12-31
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799
#: commits between two progress reports (a report is cheap, not free)
_PROGRESS_EVERY = 500


def parse_log(tokens: Iterable[str], numstat: bool,
              warn: Callable[[str], None] | None = None) -> Iterator[dict[str, Any]]:
    """Raw commit dicts from the tokens of ``git log -z --format=_FORMAT``.

    Positional, so no byte of a name, email or path can end a field or a
    commit early: a header runs from its ``\x01<sha>`` token to the empty
    token after it, and each file status is followed by exactly its paths.
    A date git cannot print (missing, negative) or that lies past year 9999
    is replaced (committer date, else the previous commit's) with a warning,
    never dropping the commit.
    """
    it = iter(tokens)
    state = {"last": None}
    header: list[str] | None = None
    current: dict[str, Any] | None = None
    for tok in it:
        if header is not None:
            if tok == "":
                current = _header(header, numstat, warn, state)
                header = None
            else:
                header.append(tok)
            continue
        if tok.startswith("\x01"):
            if current is not None:
                yield current
            header, current = [tok[1:]], None
            continue
        if current is None or not tok.strip("\n"):
            continue
        tok = tok.lstrip("\n")
        files: list[str] = current["files"]
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
        elif tok[0] in "RC":
            old, new = next(it, ""), next(it, "")
            if tok[0] == "R":
                current.setdefault("renames", []).append([old, new])
            files.append(new)
        else:
            files.append(next(it, ""))
    if header is not None:
        current = _header(header, numstat, warn, state)
    if current is not None:
        yield current


def _header(fields: list[str], numstat: bool, warn: Callable[[str], None] | None,
            state: dict[str, Any]) -> dict[str, Any]:
    # sha first, the four prefixed fields last: a NUL inside a name cannot shift them
    sha = fields[0]
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


class ModuleMap:
    """Maps a path to its module id: by depth, or by the longest matching prefix."""

    def __init__(self, depth: int = 1, prefixes: dict[str, str] | None = None) -> None:
        self.depth = depth
        self.prefixes = prefixes  # normalised prefix -> module id
        self._memo: dict[str, str | None] = {}

    def module_of(self, path: str) -> str | None:
        d = path.rpartition("/")[0]
        if d in self._memo:
            return self._memo[d]
        if self.prefixes is None:
            parts = d.split("/") if d else []
            mid: str | None = "/".join(parts[: self.depth]) or ROOT_MODULE
        else:
            mid = None
            probe = d
            while True:  # longest prefix first: walk up the directory
                if probe in self.prefixes:
                    mid = self.prefixes[probe]
                    break
                if not probe:
                    break
                probe = probe.rpartition("/")[0]
            if mid is None and path in self.prefixes:
                mid = self.prefixes[path]
        self._memo[d] = mid
        return mid


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
        self.git = Git(self.repo)
        self._head: str | None = None
        self._checked = False

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
            raise ConfigError(f"git source: {self.repo} is not a directory",
                              file=self._config_file(), fix="set sources.git.path to the "
                              "repository's folder (relative to the config)")

    # --- repository checks ---------------------------------------------------

    def _config_file(self) -> str | None:
        cfg = self.env.config
        return getattr(cfg, "display_path", None) if cfg is not None else None

    def _open(self) -> str | None:
        """Check the repository once; return HEAD's sha (None for an empty repo)."""
        if self._checked:
            return self._head
        self.validate()
        argv = ["rev-parse", "--is-shallow-repository", "--show-toplevel"]
        try:
            out = self.git.run(*argv).split("\n")
        except SourceError as exc:
            if "not a git repository" in exc.message:
                raise ConfigError(f"git source: {self.repo} is not a git repository",
                                  file=self._config_file(),
                                  fix="point sources.git.path at a git checkout, or remove "
                                      "the git source") from None
            raise
        if out[0].strip() == "true":
            raise SourceError("git", f"{self.repo} is a shallow clone, so its history is "
                              "incomplete; run `git fetch --unshallow` (in GitHub Actions: "
                              "actions/checkout with fetch-depth: 0)")
        head = self.git.run("rev-parse", "--verify", "-q", "HEAD^{commit}", ok=(0, 1)).strip()
        self._head, self._checked = head or None, True
        return self._head

    # --- gathering -----------------------------------------------------------

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        head = self._open()
        out: dict[str, list[dict[str, Any]]] = {}
        tracked: list[str] | None = None
        owners_fact: dict[str, Any] | None = None
        if kinds & {"codeowners", "modules"} and head is not None:
            tracked = self.tracked_files()
            found = self.read_codeowners()
            if found is not None:
                owners_fact = co_mod.to_fact(co_mod.parse(found[1], found[0]), tracked)
        if "codeowners" in kinds:
            out["codeowners"] = [owners_fact] if owners_fact else []
        if kinds & {"commits", "modules"}:
            raw = self.history(head)
            modmap, meta = self.module_map()
            with self.env.progress.task("git: history", unit="commits") as task:
                commits = self._commit_facts(raw, modmap, task)
            if "commits" in kinds:
                out["commits"] = commits
            if "modules" in kinds:
                out["modules"] = self._module_facts(commits, tracked or [], modmap, meta,
                                                    owners_fact)
        return out

    def since(self) -> int:
        """Oldest author time (epoch seconds) the history must cover."""
        length = self.env.window
        if self.options.get("history"):
            length = max(length, parse_duration(self.options["history"]))
        return int((self.env.now - length).timestamp())

    def history(self, head: str | None) -> Iterable[dict[str, Any]]:
        """Raw commits since :meth:`since`, newest first, using the cache when it can.

        On a cache miss this is a generator: commits are turned into facts
        while git still writes, and the cache is written once it ran out.
        """
        if head is None:
            return []
        since = self.since()
        cache_dir = self.env.cache_dir
        key = gitcache.cache_key(self.repo, {"bots": self.bots, "numstat": self.numstat})
        cached = gitcache.load(cache_dir, key, self._warn)
        if cached is not None and cached["since"] <= since:
            if cached["head"] == head:
                return [c for c in cached["commits"] if c["at"] >= since]
            base = cached["head"]
            if self.git.status("merge-base", "--is-ancestor", base, head) == 0:
                new = self._read_log([f"{base}..{head}"])
                commits = new + cached["commits"]
                gitcache.store(cache_dir, key, head, cached["since"], commits)
                return [c for c in commits if c["at"] >= since]
        return self._read_and_store(key, head, since)

    def _read_and_store(self, key: str, head: str, since: int) -> Iterator[dict[str, Any]]:
        commits: list[dict[str, Any]] = []
        # --since stops the walk at the first commit with an older committer
        # date, so one commit with a bogus date (0, negative) would hide all
        # history behind it; --since-as-filter (git >= 2.37) only filters.
        try:
            for c in self._stream_log([f"--since-as-filter=@{since}", head], since):
                commits.append(c)
                yield c
        except SourceError as exc:
            if commits or "since-as-filter" not in exc.message:
                raise
            for c in self._stream_log([f"--since=@{since}", head], since):
                commits.append(c)
                yield c
        gitcache.store(self.env.cache_dir, key, head, since, commits)

    def _read_log(self, revs: list[str], since: int | None = None) -> list[dict[str, Any]]:
        return list(self._stream_log(revs, since))

    def _stream_log(self, revs: list[str], since: int | None) -> Iterator[dict[str, Any]]:
        diff = "--numstat" if self.numstat else "--name-status"
        bot_memo: dict[tuple[str, str], bool] = {}  # few authors, many commits
        tokens = self.git.stream("log", "-z", "--no-merges", "-M", diff, "--no-color",
                                 "--no-ext-diff", f"--format={_FORMAT}", *revs, "--")
        for c in parse_log(tokens, self.numstat, self._warn):
            who = (c["author"], c["email"])
            bot = bot_memo.get(who)
            if bot is None:
                bot = bot_memo[who] = is_bot(*who, self.bots)
            if bot:
                continue
            # --since walks by committer date; a commit's time is its author date.
            if since is not None and c["at"] < since:
                continue
            yield c

    def _warn(self, text: str) -> None:
        if len(self.warnings) < 200 and text not in self.warnings:
            self.warnings.append(text)

    def tracked_files(self) -> list[str]:
        return [p for p in self.git.run("ls-files", "-z").split("\0") if p]

    def read_codeowners(self) -> tuple[str, str] | None:
        """``(path, text)`` of the CODEOWNERS file GitHub would use, read at HEAD."""
        req = "".join(f"HEAD:{p}\n" for p in co_mod.LOCATIONS)
        out = self.git.run("cat-file", "--batch-check", input=req).splitlines()
        for loc, line in zip(co_mod.LOCATIONS, out, strict=False):
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob":
                return loc, self.git.run("cat-file", "blob", parts[0])
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

    def _commit_facts(self, raw: Iterable[dict[str, Any]], modmap: ModuleMap,
                      task: ProgressTask | None = None) -> list[dict[str, Any]]:
        current: dict[str, str] = {}  # old path -> its name at HEAD (renames followed)
        module_of = modmap.module_of
        facts: list[dict[str, Any]] = []
        task = task or ProgressTask()
        # Newest first: how far back the walk is tells how much of the window is read.
        now, since = self.env.now.timestamp(), self.since()
        span, reached, reported = max(now - since, 1.0), 0.0, 0
        for c in raw:  # newest first, so later renames are known when older commits come
            if len(facts) - reported >= _PROGRESS_EVERY:
                reached = max(reached, (now - c["at"]) / span)
                task.advance(len(facts) - reported, fraction=reached)
                reported = len(facts)
            if current:
                mods = {module_of(current.get(p, p)) for p in c["files"]}
            else:
                mods = {module_of(p) for p in c["files"]}
            mods.discard(None)
            for old, new in c.get("renames", ()):
                current[old] = current.get(new, new)
            f: dict[str, Any] = {
                "sha": c["sha"], "author": c["author"], "email": c["email"],
                "authored_at": datetime.fromtimestamp(c["at"], UTC),
                "committed_at": datetime.fromtimestamp(c["ct"], UTC),
                "files": c["files"], "modules": sorted(mods),  # type: ignore[arg-type]
            }
            if "additions" in c:
                f["additions"], f["deletions"] = c["additions"], c["deletions"]
            facts.append(f)
        task.advance(len(facts) - reported)
        return facts

    def _module_facts(self, commits: list[dict[str, Any]], tracked: list[str],
                      modmap: ModuleMap, meta: dict[str, dict[str, Any]],
                      owners_fact: dict[str, Any] | None) -> list[dict[str, Any]]:
        mods: dict[str, dict[str, Any]] = {}

        def get(mid: str) -> dict[str, Any]:
            if mid not in mods:
                paths = [] if mid == ROOT_MODULE else [mid]
                mods[mid] = {"id": mid, "paths": paths, "commits": [], "authors": Counter(),
                             "files": 0, "owners": Counter(), "owner_teams": Counter(),
                             **meta.get(mid, {})}
            return mods[mid]

        for mid in meta:
            get(mid)
        for c in commits:
            for mid in c["modules"]:
                m = get(mid)
                m["commits"].append(c["sha"])
                m["authors"][c["author"]] += 1
        files = owners_fact["files"] if owners_fact else {}
        for path in tracked:
            module = modmap.module_of(path)
            if module is None:
                continue
            m = get(module)
            m["files"] += 1
            for o in files.get(path, {}).get("owners", ()):
                m["owners"][o] += 1
                slug = co_mod.team_slug(o)
                if slug is not None:
                    m["owner_teams"][slug] += 1
        out = []
        for mid in sorted(mods):
            m = mods[mid]
            m["authors"], m["owners"] = dict(m["authors"]), dict(m["owners"])
            m["owner_teams"] = dict(m["owner_teams"])
            out.append(m)
        return out


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [GitSource]


# The git source also answers "which deployment shipped this change" once all
# sources gathered; re-exported here so it belongs to (and is disabled with)
# this plugin.
from guardrails.sources.gitship import guardrails_gather_finish  # noqa: E402

__all__ = ["GitSource", "guardrails_gather_finish", "guardrails_gather_sources"]
