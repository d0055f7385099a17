"""Files guardrails reads stay inside the root, and are regular files.

The root is the folder holding the config. A data or rule file that is a
symbolic link resolving outside it is refused by name, unless the config says
``allow_outside_root: true``. Whatever the config says, guardrails never reads
a FIFO (it would wait for a writer forever), a device, a socket, or anything
under ``/proc``, ``/sys`` or ``/dev`` (``/proc/self/environ`` holds the
process's secrets). The error names the path the user wrote, never the
content of what it points at.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from guardrails.errors import UsageError
from guardrails.textsafe import excerpt

#: Trees no data or rule file may resolve into, allow_outside_root or not.
SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def check_file(
    path: Path, *, root: Path, allow_outside: bool, display: str,
    error: type[UsageError] = UsageError, line: int | None = None,
    what: str = "file", real_root: Path | None = None,
) -> None:
    """Refuse ``path`` unless it is (or links to) a regular file guardrails may read.

    ``display`` is how the user names the path (relative to the root);
    ``real_root`` is ``root`` resolved, when the caller knows it already.
    Checked with ``lstat``/``stat`` only: nothing is opened, so a FIFO cannot
    block here.
    """
    shown = excerpt(display, 200)
    try:
        lst = os.lstat(path)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=shown, line=line) from None
    link = stat.S_ISLNK(lst.st_mode)
    try:
        st = os.stat(path) if link else lst
    except OSError:
        raise error(
            f"the {what} is a symbolic link to nothing (its target does not exist, "
            "or the links loop)",
            file=shown, line=line, fix="remove the link or make it point at a file",
        ) from None
    resolved = Path(os.path.realpath(path))
    if in_system_tree(resolved):
        raise error(
            f"the {what} resolves into {_tree(resolved)}, which guardrails never reads",
            file=shown, line=line, fix="point it at a regular file of your project",
        )
    if not stat.S_ISREG(st.st_mode):
        via = "links to " if link else "is "
        raise error(
            f"the {what} {via}{kind_of(st.st_mode)}, not a regular file; "
            "guardrails reads only regular files",
            file=shown, line=line, fix="replace it with a regular file",
        )
    if not allow_outside and not is_inside(resolved, root, real_root):
        folder = None if link else linked_folder(path, root)
        if folder is not None:  # the file is plain; a folder on its way is the link
            raise error(
                f"the {what} is inside a folder that is a symbolic link: "
                f"{excerpt(folder, 200)} resolves outside the folder holding the config; "
                "guardrails does not follow it",
                file=shown, line=line,
                fix=f"make {excerpt(folder, 200)} a real folder of the project (copy its "
                "files in), or set 'allow_outside_root: true' in guardrails.yaml",
            )
        raise error(
            f"the {what} is a symbolic link that resolves outside the folder holding the "
            "config; guardrails does not follow it",
            file=shown, line=line,
            fix="copy the file into the project, or set 'allow_outside_root: true' "
            "in guardrails.yaml",
        )


def linked_folder(path: Path, root: Path) -> str | None:
    """The first folder between ``root`` and ``path`` (lexically, ``root`` excluded)
    that is a symbolic link, as a path relative to ``root``; None if none is."""
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        return None
    current = root
    for part in parts[:_MAX_PARENTS]:
        current = current / part
        if current.is_symlink():
            return current.relative_to(root).as_posix()
    return None


def folder_is_safe(folder: Path, *, root: Path, allow_outside: bool,
                   real_root: Path | None = None) -> bool:
    """Whether every plain file directly in ``folder`` passes :func:`check_file`.

    A regular file that is not a link resolves to ``realpath(folder)/name``, so
    the system-tree and inside-the-root questions have one answer for all of
    them: asked once here, a folder of 5,000 postmortems is listed with one
    ``realpath`` instead of 5,000. Links and other entries still need
    :func:`check_file` each. ``real_root``: ``root`` resolved, when known.
    """
    resolved = Path(os.path.realpath(folder))
    if in_system_tree(resolved):
        return False
    return allow_outside or is_inside(resolved, root, real_root)


def in_system_tree(resolved: Path) -> bool:
    """Whether ``resolved`` (a resolved path) is in /proc, /sys or /dev."""
    return any(resolved == t or resolved.is_relative_to(t) for t in SYSTEM_TREES)


def is_inside(resolved: Path, root: Path, real_root: Path | None = None) -> bool:
    """Whether ``resolved`` (a resolved path) is ``root`` or inside it (``real_root``:
    ``root`` resolved, when known)."""
    if real_root is None:
        real_root = Path(os.path.realpath(root))
    return resolved == real_root or resolved.is_relative_to(real_root)


def _tree(resolved: Path) -> str:
    for t in SYSTEM_TREES:
        if resolved == t or resolved.is_relative_to(t):
            return f"{t}/"
    return "a system folder"


#: folders walked up from the config's folder looking for ``.git`` (a bound, not a limit
#: anyone meets: paths deeper than this are refused by the OS long before)
_MAX_PARENTS = 256


def repository_root(folder: Path) -> Path:
    """The git toplevel holding ``folder`` (resolved), or ``folder`` itself outside git.

    Found as git finds it, by the nearest parent holding a ``.git`` entry
    (a folder, or the file a worktree or submodule has), without running
    git: reporters need only the path, and a run without the git source
    should not pay for a subprocess.
    """
    start = folder.resolve()
    for i, parent in enumerate((start, *start.parents)):
        if i >= _MAX_PARENTS:
            break
        if os.path.lexists(parent / ".git"):
            return parent
    return start


def shown_path(path: Path) -> str:
    """``path`` as messages show it: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
