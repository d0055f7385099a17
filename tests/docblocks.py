"""Shell blocks of README.md and docs/*.md marked runnable, and a way to run them.

The marker (CONTRIBUTING.md describes it for writers) is an HTML comment on
the line right before a ```console fence::

    <!-- runnable -->          run by the fast test
    <!-- runnable: slow -->    installs packages: run by the slow test
    <!-- runnable: ci -->      not run here: .ci/run must hold each command verbatim

In the block, a line starting with ``$ `` is a command (a trailing ``\\``
continues it on the next line). A command must exit 0 unless it ends with
a shell comment saying otherwise, ``# exit 1`` or ``# exits 1 (why)``,
which the reader sees too. Every other line is output the commands
must print, in that order, among the lines they print (stdout and stderr
together, trailing blanks ignored); a line ``...`` stands for any lines and
is only there for the reader. Commands of a block run in one bash shell, in
a copy of the repository, from its root, so ``cd`` and ``. .venv/bin/activate``
carry to the next command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!--\s*runnable(?::\s*(?P<opts>[^>]*?))?\s*-->\s*$")
OPTION = re.compile(r"^(?P<flag>slow|ci)$")
EXIT_NOTE = re.compile(r"\s#\s*exits?\s+(\d{1,3})\b[^\n]*$")
FENCE = "```console"


class MarkerError(ValueError):
    """A runnable marker the harness cannot honour (names file and line)."""


@dataclass
class Block:
    """One runnable ```console block."""

    file: str  # relative to the repository
    line: int  # of the marker
    commands: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    #: the exit code each command must return (``# exit N`` on its last line, else 0)
    exits: list[int] = field(default_factory=list)
    slow: bool = False
    ci: bool = False

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def doc_files(repo: Path = REPO) -> list[Path]:
    """README.md, then docs/*.md in name order: the order slow blocks run in."""
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def parse(path: Path, repo: Path = REPO) -> list[Block]:
    """The runnable blocks of one markdown file; a malformed marker raises MarkerError."""
    rel = path.relative_to(repo).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if not m:
            i += 1
            continue
        block = Block(rel, i + 1)
        for opt in (m.group("opts") or "").split():
            o = OPTION.match(opt)
            if not o:
                raise MarkerError(f"{rel}:{i + 1}: unknown runnable option {opt!r} "
                                  "(slow, ci; an exit code is a '# exit N' comment)")
            setattr(block, o.group("flag"), True)
        if i + 1 >= len(lines) or lines[i + 1].strip() != FENCE:
            raise MarkerError(f"{rel}:{i + 1}: a runnable marker must be followed by a "
                              f"{FENCE} fence on the next line")
        j = i + 2
        pending = ""
        while j < len(lines) and lines[j].strip() != "```":
            text = lines[j]
            if pending:
                pending += "\n" + text
            elif text.startswith("$ "):
                pending = text[2:]
            elif text.strip() and text.strip() != "...":
                block.expected.append(text.rstrip())
            if pending and not pending.endswith("\\"):
                note = EXIT_NOTE.search(pending.rsplit("\n", 1)[-1])
                block.commands.append(pending)
                block.exits.append(int(note.group(1)) if note else 0)
                pending = ""
            j += 1
        if j >= len(lines):
            raise MarkerError(f"{rel}:{i + 1}: the runnable block is never closed")
        if pending or not block.commands:
            raise MarkerError(f"{rel}:{i + 1}: a runnable block needs '$ ' commands, "
                              "complete (no trailing backslash)")
        blocks.append(block)
        i = j + 1
    return blocks


def all_blocks(repo: Path = REPO) -> list[Block]:
    return [b for p in doc_files(repo) for b in parse(p, repo)]


def copy_tree(dest: Path, repo: Path = REPO) -> Path:
    """The working tree (tracked and untracked files, minus ignored ones) copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, check=True, capture_output=True, text=True).stdout
    for rel in filter(None, listed.split("\0")):
        src = repo / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def shell_env(home: Path) -> dict[str, str]:
    """A reader's shell: this Python's tools first on PATH, no colour, 80 columns, no CI.

    HOME stays (pip's download cache); guardrails' own cache goes under ``home``.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "GUARDRAILS_", "PYTEST_", "VIRTUAL_ENV"))
           and k not in ("FORCE_COLOR", "CI", "PYTHONPATH")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               NO_COLOR="1", COLUMNS="80",
               GUARDRAILS_CACHE_DIR=str(home / "guardrails-cache"))
    return env


@dataclass
class Ran:
    """What one command of a block did."""

    command: str
    exit_code: int
    output: str


def run_blocks(blocks: list[Block], root: Path, home: Path, timeout: float) -> list[list[Ran]]:
    """Run ``blocks`` in one bash shell from ``root``; each block starts at ``root``."""
    out_dir = home / "doc-commands"
    out_dir.mkdir(parents=True, exist_ok=True)
    script = ["set -u"]
    for b, block in enumerate(blocks):
        script.append(f"cd {_quote(root)}")
        for c, command in enumerate(block.commands):
            base = _quote(out_dir / f"{b}-{c}")
            # Braces, not a subshell: cd and activate carry on to the next command.
            script.append(f"{{ {command}\n}} >{base}.out 2>&1 </dev/null; echo $? >{base}.rc")
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=root, env=shell_env(home),
                   timeout=timeout, check=False)
    results = []
    for b, block in enumerate(blocks):
        ran = []
        for c, command in enumerate(block.commands):
            base = out_dir / f"{b}-{c}"
            rc = base.with_suffix(".rc")
            code = int(rc.read_text()) if rc.is_file() else -1
            output = base.with_suffix(".out").read_text(errors="replace") \
                if base.with_suffix(".out").is_file() else ""
            ran.append(Ran(command, code, output))
        results.append(ran)
    return results


def problems(block: Block, ran: list[Ran]) -> list[str]:
    """What differs from what the block shows: exit codes, then missing output lines."""
    out = []
    for r, want in zip(ran, block.exits, strict=True):
        if r.exit_code != want:
            out.append(f"{block.id}: `{r.command}` exited {r.exit_code}, the docs say {want}:\n"
                       + r.output[-3000:])
            return out
    lines = [line.rstrip() for r in ran for line in r.output.splitlines()]
    at = 0
    for expected in block.expected:
        try:
            at = lines.index(expected, at) + 1
        except ValueError:
            out.append(f"{block.id}: this output line is not printed (in this order):\n"
                       f"  {expected}\nactual output:\n" + "\n".join(lines)[-3000:])
            break
    return out


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"
