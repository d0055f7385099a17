"""The hostile-input corpus runner: ``tests/data/bad/<case>/case.yaml``.

Each case is one defect a user (or an attacker) could put in front of
guardrails. The runner lays out a fresh project in a temporary folder, runs
the real CLI on it, and asserts what the gate promises for bad input:

* the exit code the case names (4 for a usage error, 1 for a source that
  made its rules ``error``, 2 for an interrupt);
* every ``expect`` string in the output (the file:line, the fix);
* no traceback, no ``forbid`` string, no value of a secret environment
  variable, and no byte of the canary file that sits *outside* the root;
* no file the user wrote was changed, removed or added, except the
  ``outputs`` the case names; nothing in the folder outside the root (which
  holds the canary, and which links in a case may name) was changed or added.

``case.yaml`` keys (all optional except ``about``, ``args`` and ``exit``)::

    about: one line: the defect
    base: minimal | acme       # start from tests/data/bad/_base/minimal or examples/acme
    files: {rel/path: text}    # written into the root; "{http}", "{outside}", "{root}" expanded
    binary: {rel/path: hex}    # raw bytes (for encodings, NULs, ...)
    generated: {rel/path: [[text, times], ...]}   # pieces repeated and joined (deep nesting)
    remove: [rel/path]
    symlinks: {rel/link: target}   # target expanded like files
    fifos: [rel/path]
    mode: {rel/path: 0o444}    # chmod after laying out (e.g. read-only folders)
    git: [{message, author, email, date, files: {path: text}}]   # commits, oldest first
    raw_commits: [{author, committer, message, files}]   # after `git`: commit objects
                               # written byte for byte (git hash-object --literally):
                               # author/committer are the ident lines' text after
                               # "author "/"committer " (e.g. "Ann <a@x> 1795000000 +0000")
    git_config: {core.fsmonitor: "..."}   # after `git`: the repository's own .git/config
                               # (values expanded: a hostile clone's settings)
    http: [{path, status, json | body | body_pieces | body_hex, headers, delay, drip,
            gzip_bytes}]       # "{http}" expanded; body_pieces: [[text, times], ...] joined;
                               # body_hex: raw bytes (a ready-made compressed body)
    env: {NAME: value}         # values expanded; NAMEs ending TOKEN/KEY/SECRET are secrets
    args: [check, --now, 2026-11-20]   # expanded
    subprocess: false          # true: run `python -m guardrails` (implied by signal/stdout)
    signal: {name: TERM, on_request: /repos/*}   # send a signal to the subprocess
                               # once the server got a request matching the path glob
                               # (never after a fixed sleep: a loaded machine may not
                               # have reached that point yet; ``after`` is refused)
    stdout: closed             # run with stdout closed
    timeout: 600               # a subprocess's hang guard (seconds): past it, "hung";
                               # default helpers.HANG_GUARD, generous on a loaded machine
    held_at_exit, max_rss_mb, regex_steps, rate_limit_wait_at_most:
                               # load-independent bounds (tests/badguards.py)
    exit: 4
    expect: ["org/incidents.yaml:3", "did you mean"]
    forbid: ["..."]
    outputs: [report.xml]      # files the run may write (globs)

No case judges speed: a wall-clock limit (``max_seconds``) is refused.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from badguards import (
    CHILD,
    Served,
    install_http,
    note_peak,
    regex_step_problems,
    rss_problem,
    server_problems,
)
from helpers import HANG_GUARD

HERE = Path(__file__).parent
CORPUS = HERE / "data" / "bad"
REPO = HERE.parent
CANARY = "CANARY-OUTSIDE-7f3a9c"
SECRET_SUFFIXES = ("TOKEN", "KEY", "SECRET", "PASSWORD")


@dataclass
class Case:
    name: str
    path: Path
    spec: dict[str, Any]

    def __str__(self) -> str:
        return self.name


def load_cases() -> list[Case]:
    cases = []
    for case_file in sorted(CORPUS.glob("*/case.yaml")):
        if case_file.parent.name.startswith("_"):
            continue
        spec = yaml.safe_load(case_file.read_text(encoding="utf-8"))
        if not isinstance(spec, dict) or not {"about", "args", "exit"} <= spec.keys():
            raise AssertionError(f"{case_file}: a case needs about, args and exit")
        cases.append(Case(case_file.parent.name, case_file.parent, spec))
    return cases


@dataclass
class Outcome:
    code: int
    output: str
    changed: list[str] = field(default_factory=list)
    #: what the load-independent guards found (tests/badguards.py)
    guarded: list[str] = field(default_factory=list)


def _expand(value: Any, subs: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, rep in subs.items():
            value = value.replace("{" + key + "}", rep)
        return value
    if isinstance(value, list):
        return [_expand(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, subs) for k, v in value.items()}
    return value


def _write(root: Path, rel: str, data: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")


def _copy_tree(src: Path, dst: Path) -> None:
    for p in sorted(src.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.name != "generate.py":
            _write(dst, str(p.relative_to(src)), p.read_bytes())


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    base = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent)}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**base, **(env or {})})


def _make_git(root: Path, commits: list[dict[str, Any]]) -> None:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Setup")
    _git(root, "config", "user.email", "setup@example.com")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "--allow-empty", "-m", "project files",
         env={"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
              "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"})
    for c in commits:
        for rel, text in (c.get("files") or {}).items():
            _write(root, rel, text)
        _git(root, "add", "-A")
        date = c.get("date", "2026-10-01T12:00:00Z")
        _git(root, "commit", "-q", "--allow-empty", "-m", c.get("message", "change"),
             env={"GIT_AUTHOR_NAME": c.get("author", "Ann"),
                  "GIT_AUTHOR_EMAIL": c.get("email", "ann@example.com"),
                  "GIT_COMMITTER_NAME": c.get("author", "Ann"),
                  "GIT_COMMITTER_EMAIL": c.get("email", "ann@example.com"),
                  "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})


def _make_raw_commits(root: Path, raws: list[dict[str, Any]]) -> None:
    """Commit objects git itself would refuse to write (odd names, dates), on HEAD."""
    base = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent)}

    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                              input=data, env=base).stdout.decode().strip()

    for raw in raws:
        for rel, text in (raw.get("files") or {}).items():
            _write(root, rel, text)
        git("add", "-A")
        tree = git("write-tree")
        parent = git("rev-parse", "HEAD")
        author = str(raw["author"])
        committer = str(raw.get("committer", author))
        obj = (f"tree {tree}\nparent {parent}\nauthor {author}\ncommitter {committer}\n\n"
               f"{raw.get('message', 'raw commit')}\n")
        sha = git("hash-object", "-t", "commit", "--literally", "-w", "--stdin",
                  data=obj.encode("utf-8", "surrogateescape"))
        git("update-ref", "HEAD", sha)


def _snapshot(root: Path) -> dict[str, str]:
    """Every entry under root: a file's hash, a link's target, a folder's mark."""
    snap: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if rel == ".git" or rel.startswith(".git" + os.sep):
                continue
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = "link:" + os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                snap[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = "dir"
            else:
                snap[rel] = f"special:{stat.S_IFMT(st.st_mode)}"
    return snap


def prepare(case: Case, tmp: Path, http_url: str | None) -> tuple[Path, dict[str, str]]:
    """Lay the case's project out under ``tmp/root``; returns (root, substitutions)."""
    spec = case.spec
    root = tmp / "root"
    root.mkdir()
    outside = tmp / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text(f"{CANARY}\nline two of a file outside the root\n", encoding="utf-8")
    subs = {"root": str(root), "outside": str(outside), "outside_dir": str(outside.parent),
            "http": (http_url or "http://127.0.0.1:9").rstrip("/"),
            "python": sys.executable}
    base = spec.get("base")
    if base == "acme":
        _copy_tree(REPO / "examples" / "acme", root)
    elif base:
        _copy_tree(CORPUS / "_base" / base, root)
    if (case.path / "root").is_dir():
        _copy_tree(case.path / "root", root)
    for rel, text in (spec.get("files") or {}).items():
        _write(root, rel, _expand(text, subs))
    for rel, hexdata in (spec.get("binary") or {}).items():
        _write(root, rel, bytes.fromhex("".join(str(hexdata).split())))
    for rel, pieces in (spec.get("generated") or {}).items():
        _write(root, rel, "".join(_expand(str(text), subs) * int(times)
                                  for text, times in pieces))
    for rel in spec.get("remove") or []:
        target = root / rel
        if target.is_dir():
            for p in sorted(target.rglob("*"), reverse=True):
                p.rmdir() if p.is_dir() else p.unlink()
            target.rmdir()
        else:
            target.unlink()
    for rel, target in (spec.get("symlinks") or {}).items():
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(_expand(target, subs), link)
    for rel in spec.get("fifos") or []:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / rel)
    if spec.get("git") is not None:
        _make_git(root, spec["git"])
    if spec.get("raw_commits"):
        _make_raw_commits(root, spec["raw_commits"])
    for key, value in (spec.get("git_config") or {}).items():
        _git(root, "config", str(key), _expand(str(value), subs))
    for rel, mode in (spec.get("mode") or {}).items():
        os.chmod(root / rel, int(mode))
    return root, subs


def run_case(case: Case, tmp: Path, httpserver: Any | None) -> Outcome:
    spec = case.spec
    if spec.get("http"):
        assert httpserver is not None
    url = httpserver.url_for("/") if httpserver is not None else None
    served = Served() if spec.get("http") else None
    if served is not None:
        # "{http}" in a route (a Link or Location header, a body) is the server's URL
        install_http(httpserver, _expand(spec["http"], {"http": str(url).rstrip("/")}), served)
    root, subs = prepare(case, tmp, url)
    before = _snapshot(root)
    outside_before = _snapshot(Path(subs["outside_dir"]))
    args = [str(a) for a in _expand(spec["args"], subs)]
    env = {k: str(v) for k, v in _expand(spec.get("env") or {}, subs).items()}
    # counted before the run: a matcher that backtracks fails here on any machine
    # (the run itself would only hang, until the subprocess's hang guard)
    guarded = (regex_step_problems(root, int(spec["regex_steps"]))
               if spec.get("regex_steps") is not None else [])
    rss_file = tmp / "peak-rss"
    try:
        if (spec.get("subprocess") or spec.get("signal") or spec.get("stdout")
                or spec.get("max_rss_mb") is not None):
            if spec.get("max_rss_mb") is not None:
                env["GUARDRAILS_TEST_RSS_FILE"] = str(rss_file)
            code, output = _run_subprocess(spec, root, args, env, served)
            guarded += rss_problem(spec, rss_file)
        else:
            code, output = _run_inprocess(root, args, env)
        guarded += server_problems(spec, served)  # read before the held answers go
    finally:
        if served is not None:
            served.release.set()
    for rel in spec.get("mode") or {}:  # let pytest clean up
        os.chmod(root / rel, 0o755 if (root / rel).is_dir() else 0o644)
    after = _snapshot(root)
    allowed = [str(p) for p in spec.get("outputs") or []]

    def may_change(rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, pat) or rel.startswith(pat.rstrip("/") + "/")
                   or pat.startswith(rel + "/") for pat in allowed)

    changed = sorted(rel for rel in set(before) | set(after)
                     if before.get(rel) != after.get(rel) and not may_change(rel))
    outside_after = _snapshot(Path(subs["outside_dir"]))
    changed += sorted(f"(outside the root) {rel}"
                      for rel in set(outside_before) | set(outside_after)
                      if outside_before.get(rel) != outside_after.get(rel))
    return Outcome(code, output, changed, guarded)


def _run_inprocess(root: Path, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    from click.testing import CliRunner

    from guardrails.cli import cli

    cwd = os.getcwd()
    os.chdir(root)
    try:
        full_env: dict[str, str | None] = {"COLUMNS": "80", "NO_COLOR": None,
                                           "FORCE_COLOR": None, **env}
        result = CliRunner().invoke(cli, args, env=full_env, catch_exceptions=True)
    finally:
        os.chdir(cwd)
    output = result.output
    try:
        stderr = result.stderr
    except ValueError:
        stderr = ""
    if stderr and stderr not in output:
        output += stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        output += "".join(traceback.format_exception(result.exception))
        return 3, output
    return result.exit_code, output


def _run_subprocess(spec: dict[str, Any], root: Path, args: list[str],
                    env: dict[str, str], served: Served | None) -> tuple[int, str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({"COLUMNS": "80", **env})
    timeout = float(spec.get("timeout", HANG_GUARD))
    stdout: Any = subprocess.PIPE
    if spec.get("stdout") == "closed":
        stdout = subprocess.DEVNULL  # replaced below: a closed descriptor
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=root, env=full_env, stdin=subprocess.DEVNULL,
        stdout=stdout if spec.get("stdout") != "closed" else subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    if spec.get("stdout") == "closed":
        assert proc.stdout is not None
        proc.stdout.close()  # the reader goes away: writes raise EPIPE
    sig = spec.get("signal")
    if sig and sig.get("on_request"):
        assert served is not None, "on_request needs http routes"
        if not served.wait_for(str(sig["on_request"])):
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return -999, (f"hung: no request for {sig['on_request']} reached the server "
                          "(a hang guard, not a speed limit)\n"
                          + (out or b"").decode(errors="replace")
                          + (err or b"").decode(errors="replace"))
        proc.send_signal(getattr(signal, "SIG" + str(sig["name"]).upper()))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if env.get("GUARDRAILS_TEST_RSS_FILE"):
            note_peak(proc.pid, Path(env["GUARDRAILS_TEST_RSS_FILE"]))
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return -999, (f"hung: no exit within {timeout:g}s (the case's hang guard, not a "
                      "speed limit)\n" + (out or b"").decode(errors="replace")
                      + (err or b"").decode(errors="replace"))
    text = (out or b"").decode("utf-8", "replace") + (err or b"").decode("utf-8", "replace")
    return proc.returncode, text


def check(case: Case, outcome: Outcome) -> list[str]:
    """What the gate promised and did not keep, as readable lines."""
    spec = case.spec
    problems = []
    out = outcome.output
    if outcome.code != int(spec["exit"]):
        problems.append(f"exit code {outcome.code}, expected {spec['exit']}")
    if "Traceback (most recent call last)" in out:
        problems.append("a traceback was printed")
    for text in spec.get("expect") or []:
        if str(text) not in out:
            problems.append(f"expected {text!r} in the output")
    for text in spec.get("forbid") or []:
        if str(text) in out:
            problems.append(f"forbidden {text!r} in the output")
    if CANARY in out:
        problems.append("content of a file outside the root was echoed")
    for name, value in (spec.get("env") or {}).items():
        if name.upper().endswith(SECRET_SUFFIXES) and len(str(value)) >= 6 and str(value) in out:
            problems.append(f"the secret in ${name} was echoed")
    if outcome.changed:
        problems.append(f"user files changed: {outcome.changed}")
    if (spec.get("signal") or {}).get("on_request") is None and spec.get("signal"):
        problems.append("signal needs on_request (a path glob): a signal sent after a fixed "
                        "sleep lands wherever a loaded machine has got to by then")
    if "max_seconds" in spec:
        problems.append("max_seconds judges speed on a shared machine: bound the work "
                        "instead (tests/badguards.py) and keep `timeout` as a hang guard")
    return problems + outcome.guarded
