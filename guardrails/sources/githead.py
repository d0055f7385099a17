"""HEAD and the repository's layout read from git's own files, for a warm run;
and where the git executable is (:func:`which`), looked up without running it.

A warm run asked ``git rev-parse`` four things (shallow?, the index file,
the work tree's top, HEAD's commit): ~2 ms of a process for what a few
small files hold. :func:`peek` reads those files instead, for the plain
layout only, and answers None (ask git, as before) for anything else:

- a ``GIT_*`` variable that is neither left out of every git the source runs
  (:data:`MOVING`: ``GIT_DIR``, ``GIT_INDEX_FILE``, ``GIT_CONFIG_PARAMETERS``
  from ``git -c``, ...; a hook runs with several, and git never sees them, so
  neither does this reader) nor known to touch only transport, identity,
  output or the global config (:data:`_HARMLESS`): a variable of a newer git;
- ``path`` that is not the top of its work tree (git would search upward), a
  ``.git`` that is a file (linked worktrees, submodules) or a link, or a
  folder git would not take for a repository (no ``objects`` or ``refs``
  folder), a ``commondir`` file;
- a work tree or ``.git`` folder owned by another user (git refuses those
  unless ``safe.directory`` says otherwise: a shortcut must not read what
  git would refuse);
- a ``shallow`` file (git then tells whether the clone is shallow);
- a repository config (the only one git reads to set up a repository) that
  is not plain: anything but format version 0, ``core.bare`` other than
  false, ``core.worktree``, an ``extensions`` (SHA-256, reftable, per-worktree
  config) or ``include`` section, a line this reader does not parse;
- a ``HEAD`` that is not ``ref: <plain refname>`` or a 40-digit sha; a ref
  that is itself symbolic, a link, unreadable, or in neither its loose file
  nor ``packed-refs`` (an unborn branch).

The sha read is a claim, never the last word: the git source uses it only
when its history cache was written at that very commit (git confirmed it was
a commit then, and a commit's history never changes), and asks git
otherwise. (So a repository whose HEAD commit was deleted from its object
store since, a corruption git would report, keeps its cached history; the
object is not looked up: that would mean reading pack indexes.) Every read
is bounded, never follows a final link and never waits on a FIFO.

:func:`which` is here, not with the runner (:mod:`guardrails.sources.gitrun`):
a warm run only needs to know that git is there, and so does not import the
runner (~0.2 ms of imports that would run nothing).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from guardrails.cachefiles import read_regular

#: Variables that point git at another repository, work tree, index, object store,
#: history or configuration than the folder it is run in (``-C``), never passed on:
#: a git hook runs with several (pre-commit sets GIT_INDEX_FILE, ``git rebase
#: --exec`` exports GIT_DIR), and the source reads the repository its config
#: names. git's own list (``git rev-parse --local-env-vars``, held to it by a
#: test), the ``git -c`` ones of ``GIT_CONFIG_COUNT``, and those that change how
#: git finds the repository, which refs it sees or how it reads a path argument.
#: The user's own configuration stays (``GIT_CONFIG_GLOBAL``, ``..._SYSTEM``,
#: ``..._NOSYSTEM``), as do transport, identity and tracing variables.
MOVING = frozenset((
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT", "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH", "GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS",
    "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS",
))
#: and every numbered ``GIT_CONFIG_KEY_<n>`` / ``GIT_CONFIG_VALUE_<n>``
MOVING_PREFIXES = ("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")
#: ``GIT_*`` variables that leave the repository's layout, HEAD and index alone
_HARMLESS = ("GIT_SSL_", "GIT_HTTP_", "GIT_CURL_", "GIT_PROXY_", "GIT_SSH", "GIT_ASKPASS",
             "GIT_TERMINAL_PROMPT", "GIT_OPTIONAL_LOCKS", "GIT_FLUSH", "GIT_PAGER",
             "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_TRACE", "GIT_AUTHOR_",
             "GIT_COMMITTER_", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL",
             "GIT_CONFIG_SYSTEM")
#: longest config, HEAD or loose ref read; longest ``packed-refs`` (~100,000 refs)
_SMALL, _PACKED = 1 << 16, 16 << 20
_HEX = frozenset("0123456789abcdef")
_HEXB = frozenset(bytes([c]) for c in b"0123456789abcdef")
_REFCHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
#: config values git reads as false (``core.bare``)
_FALSE = ("false", "no", "off", "0")

Answer = tuple[str, Path, Path]


def peek(repo: Path) -> Answer | None:
    """``(HEAD's sha as the files claim it, the index file, the work tree's top)``
    for a plain repository whose top is ``repo`` (resolved), or None: ask git
    (see the module's docstring)."""
    for name in os.environ:
        if (name.startswith("GIT_") and not name.startswith(_HARMLESS)
                and name not in MOVING and not name.startswith(MOVING_PREFIXES)):
            return None
    gitdir = repo / ".git"
    try:
        top_st, git_st = os.lstat(repo), os.lstat(gitdir)
        if not (stat.S_ISDIR(git_st.st_mode) and stat.S_ISDIR(os.lstat(gitdir / "objects").st_mode)
                and stat.S_ISDIR(os.lstat(gitdir / "refs").st_mode)):
            return None
    except OSError:
        return None
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if uid is None or top_st.st_uid != uid or git_st.st_uid != uid:
        return None
    for name in ("commondir", "shallow"):
        if os.path.lexists(gitdir / name):
            return None
    # a missing config (git would take its defaults) is odd enough to ask git
    config = read_regular(gitdir / "config", _SMALL)
    if config is None or not plain_config(config):
        return None
    sha = _head(gitdir)
    return None if sha is None else (sha, gitdir / "index", repo)


def plain_config(raw: bytes) -> bool:
    """The repository config holds nothing that changes how git sets the repository
    up (see the module's docstring); False for anything this does not parse."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            if line[-1] != "]":
                return False  # "[core] bare = true": a key after the header
            name, _, sub = line[1:-1].partition(" ")
            if not (name and name.replace("-", "").isalnum() and name.isascii()):
                return False  # "[core.x]", "[a=b]": old or odd forms
            sub = sub.strip()
            if sub and not (len(sub) >= 2 and sub[0] == sub[-1] == '"'
                            and '"' not in sub[1:-1] and "\\" not in sub):
                return False
            section = name.lower()
            if section in ("extensions", "include", "includeif"):
                return False
            continue
        key, eq, value = line.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not (key and key[0].isalpha() and key.replace("-", "").isalnum() and key.isascii()):
            return False
        if value.endswith("\\"):
            return False  # continued on the next line
        if section != "core":
            continue
        if key == "worktree":
            return False
        if key == "bare" and not (eq and value.lower() in _FALSE):
            return False
        if key == "repositoryformatversion" and value != "0":
            return False
    return True


def _refname(name: str) -> bool:
    """A plain ref name under ``refs/`` (git's rules, narrowed: no character that
    needs care, no component starting with a dot, no ``.lock``)."""
    return (name.startswith("refs/") and set(name) <= _REFCHARS and ".." not in name
            and all(part and part[0] != "." and not part.endswith(".lock")
                    for part in name.split("/")))


def _sha(raw: bytes) -> str | None:
    """A 40-digit lowercase sha followed by a newline, as git writes one, or None."""
    text = raw.decode("ascii", "replace")
    if len(text) == 41 and text[40] == "\n" and set(text[:40]) <= _HEX:
        return text[:40]
    return None


def _head(gitdir: Path) -> str | None:
    """HEAD's sha as git's files claim it, or None (see the module's docstring)."""
    raw = read_regular(gitdir / "HEAD", _SMALL)
    if raw is None:
        return None
    if not raw.startswith(b"ref: "):
        return _sha(raw)  # detached
    name = raw[5:].decode("ascii", "replace")
    if not (name.endswith("\n") and _refname(name[:-1])):
        return None
    name = name[:-1]
    loose = read_regular(gitdir / name, _SMALL)
    if loose is None and not os.path.lexists(gitdir / name):
        return _packed(gitdir, name)
    return None if loose is None else _sha(loose)  # a symbolic ref: ask git


def _packed(gitdir: Path, name: str) -> str | None:
    """The sha ``packed-refs`` gives ``name``, or None (absent, unreadable, odd)."""
    data = read_regular(gitdir / "packed-refs", _PACKED)
    if data is None or not (data.startswith(b"# pack-refs with:") or data[:1] in _HEXB):
        return None
    tail = b" " + name.encode("ascii") + b"\n"
    end = data.find(tail)
    if end < 0 or data.find(tail, end + 1) >= 0:
        return None  # no such ref (an unborn branch), or named twice
    start = data.rfind(b"\n", 0, end) + 1
    return _sha(data[start:end] + b"\n")


def which(name: str) -> str | None:
    """``shutil.which(name)`` without importing :mod:`shutil` on POSIX.

    shutil brings bz2 and lzma with it (~1.7 ms, a twentieth of a warm git
    run's own cost). The same search as shutil's on POSIX: each ``PATH``
    entry in order (no ``PATH``: the system default), the first existing,
    executable non-directory wins; an empty entry is the working directory.
    Elsewhere (``PATHEXT``, the current folder first) shutil's own.
    """
    if os.name != "posix" or os.sep in name:
        import shutil

        return shutil.which(name)
    path = os.environ.get("PATH")
    if path is None:
        try:
            path = os.confstr("CS_PATH")
        except (AttributeError, ValueError):
            path = os.defpath
    seen: set[str] = set()
    for folder in path.split(os.pathsep) if path else ():
        if folder in seen:
            continue
        seen.add(folder)
        candidate = os.path.join(folder, name)
        if (os.path.exists(candidate) and os.access(candidate, os.F_OK | os.X_OK)
                and not os.path.isdir(candidate)):
            return candidate
    return None
