"""Finding the org data folder's files, and refusing the unsafe ones (``files`` source).

Where the folder is (under the config's directory unless ``allow_outside_root``), the
one file of each kind present, the postmortem files, whether a path is safe
to read (no link out of the root, no device or FIFO: see
:mod:`guardrails.paths`; opened so that no link swapped in after the check is
followed: :mod:`guardrails.safeopen`), and the warnings about stray names that look like
a misspelt data file. :class:`FolderFinding` is a mixin of
:class:`guardrails.sources.files.FilesSource`, which reads what it finds;
reading one table is :mod:`guardrails.sources.files_tables`'s, and which file
holds which kind :mod:`guardrails.sources.files_entries`'s.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from guardrails.errors import DataFileError, UsageError
from guardrails.paths import check_file, folder_is_safe
from guardrails.safeopen import SafeOpener
from guardrails.sourcebase import SourceEnv
from guardrails.sources.files_entries import ENTRIES, REVIEWS, TABULAR, WANTED, entry_of

#: entries of a folder kept from its listing besides its data files' names (the
#: stray-name warnings look at these; a bigger folder's further strays are not named)
_LISTED = 10_000


def _listing(folder: Path, wanted: frozenset[str]) -> tuple[dict[str, os.DirEntry[str]], bool]:
    """(name -> entry, whether the listing answers for ``wanted``) of ``folder``.

    Every entry named in ``wanted`` is kept however big the folder is, so a data
    file is found by its name as listed, case included, on every disk and at
    every size; of the others only the first :data:`_LISTED`. An absent folder
    lists nothing; one that cannot be listed (no permission) gives ({}, False),
    and its files are then looked up name by name.
    """
    found: dict[str, os.DirEntry[str]] = {}
    others = 0
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.name in wanted:
                    found[e.name] = e
                elif others < _LISTED:
                    found[e.name] = e
                    others += 1
    except (FileNotFoundError, NotADirectoryError):
        return {}, True
    except OSError:
        return {}, False
    return found, True


def _is_postmortem_name(name: str) -> bool:
    """Whether a file of ``postmortems/`` named so is a postmortem (not a README, not
    hidden or set aside with a leading ``_``)."""
    return (name.endswith(".md") and name.lower() != "readme.md"
            and not name.startswith(("_", ".")))


class FolderFinding:
    """The folder half of the files source: where its files are, and safe.

    Mixed into :class:`guardrails.sources.files.FilesSource`, whose
    ``__init__`` sets the state named below (found files, the folder,
    postmortem files seen plain, each folder's safety) and whose
    ``warnings`` collect the stray-name warnings (``stray_warnings`` too, by
    the path of the file each is about, for ``guardrails validate FILE``).
    """

    path: str
    options: dict[str, Any]
    env: SourceEnv
    warnings: list[str]
    stray_warnings: dict[Path, str]
    _folder: Path | None
    _files: dict[str, list[Path]] | None
    _nested: list[Path]  # the reviews file found by _discover (none or one)
    _plain: set[Path]  # postmortem files scandir saw as plain files
    _strays_warned: bool
    _safe: dict[Path, bool]  # folder -> folder_is_safe (see _readable)

    def feeds(self, path: Path) -> set[str]:
        """The kind a data file of the folder holds (``reviews.csv`` feeds ``changes``)."""
        rel = self._relative(path)
        if rel is None:
            return set()
        head, _, name = rel.rpartition("/")
        if head == "postmortems" and name.endswith(".md"):
            is_postmortem = name.lower() != "readme.md" and not name.startswith(("_", "."))
            return {"postmortems"} if is_postmortem else set()
        entry = entry_of(rel)
        return {entry.feeds} if entry is not None else set()

    def _relative(self, path: Path) -> str | None:
        """``path`` relative to the data folder (its parent resolved, not the name: a
        link's own name says what it holds), or None outside it."""
        folder = (self.env.root / self.path).resolve()
        try:
            return (path.parent.resolve() / path.name).relative_to(folder).as_posix()
        except ValueError:
            return None

    # --- where the files are ------------------------------------------------

    def _root(self) -> Path:
        if self._folder is not None:
            return self._folder
        root = self.env.real_root()
        folder = (self.env.root / self.path).resolve()
        cfg = self.env.config
        # The config line that names the folder: the fix is made there.
        file = cfg.display_path if cfg is not None else None
        line = cfg.line_of("sources", "files", "path") if cfg is not None else None
        if not self.env.allow_outside_root and not folder.is_relative_to(root):
            raise UsageError(
                f"sources.files.path {self.path!r} resolves to {folder}, "
                f"outside the directory holding the config ({root})",
                file=file, line=line,
                fix="move the org data folder under that directory, "
                "or set 'allow_outside_root: true' in guardrails.yaml",
            )
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise UsageError(
                f"the org data folder {self.path!r} of sources.files.path {what} "
                f"(looked for {folder})",
                file=file, line=line,
                fix="run 'guardrails init' to scaffold one, "
                "or set sources.files.path in guardrails.yaml to your data folder",
            )
        self._folder = folder
        return folder

    def _discover(self) -> dict[str, list[Path]]:
        if self._files is not None:
            return self._files
        folder = self._root()
        # One listing of the folder (and of surveys/) answers which data files are
        # there and which names are strays, instead of a stat of each of the ~40
        # names a kind may have and a listing again for the strays. A name is a
        # data file only as listed, case included: on a case-insensitive disk a
        # stat of "teams.yaml" finds "Teams.yaml", which the warnings call a stray.
        listed = {sub: _listing(folder / sub, WANTED[sub]) for sub in ("", "surveys/")}
        found = self._table_files(folder, listed)
        self._strays_once(folder, listed)
        pm_dir = folder / "postmortems"
        if pm_dir.is_dir():
            pms = self._postmortem_files(pm_dir)
            if pms:
                found["postmortems"] = pms
        # Not a kind: the rows of the changes' records (guardrails.sources.files).
        self._nested = found.pop(REVIEWS, [])
        for kind in self.options.get("skip") or ():
            found.pop(str(kind), None)
        self._files = found
        return found

    def _reviews_file(self) -> Path | None:
        """The folder's reviews file (``reviews.csv``, ``.jsonl``...), None when absent."""
        self._discover()
        return self._nested[0] if self._nested else None

    def _kinds_present(self) -> set[str] | None:
        """The kinds :meth:`_discover` would find, without its list of postmortem
        paths when every postmortem is a plain file of a safe folder (else None:
        ask :meth:`_discover`). For a source asked only what it provides (the
        rule parser's, once a run): 5,000 postmortems cost ~20 ms of paths."""
        folder = self._root()
        listed = {sub: _listing(folder / sub, WANTED[sub]) for sub in ("", "surveys/")}
        kinds = set(self._table_files(folder, listed)) - {REVIEWS}
        self._strays_once(folder, listed)
        pm_dir = folder / "postmortems"
        if pm_dir.is_dir():
            if not self._safe_folder(pm_dir):
                return None
            with os.scandir(pm_dir) as it:
                for e in it:
                    if not _is_postmortem_name(e.name):
                        continue
                    if not e.is_file(follow_symlinks=False):
                        return None  # a link or other: _readable's checks decide
                    kinds.add("postmortems")
        for kind in self.options.get("skip") or ():
            kinds.discard(str(kind))
        return kinds

    def _strays_once(self, folder: Path,
                     listed: dict[str, tuple[dict[str, os.DirEntry[str]], bool]]) -> None:
        """:meth:`_warn_strays`, the first time either listing asks."""
        if not self._strays_warned:
            self._strays_warned = True
            self._warn_strays(folder, listed)

    def _table_files(self, folder: Path, listed: dict[str, tuple[dict[str, os.DirEntry[str]],
                                                                 bool]]) -> dict[str, list[Path]]:
        """The tabular data files of ``folder`` by kind (``listed``: :func:`_listing`'s)."""
        found: dict[str, list[Path]] = {}
        for entry in ENTRIES:
            sub = entry.stem[:entry.stem.rfind("/") + 1]
            names, whole = listed[sub]
            paths = []
            for s in entry.suffixes:
                path = folder / f"{entry.stem}{s}"
                if whole:
                    seen = names.get(path.name)
                    if seen is not None and self._listed_readable(path, seen):
                        paths.append(path)
                elif self._readable(path):
                    paths.append(path)
            if len(paths) > 1:
                shown = " and ".join(self.env.display(p) for p in paths)
                raise UsageError(
                    f"two files hold {entry.kind}: {shown}",
                    file=self.env.display(paths[0]),
                    fix="keep one of them (the data of a kind lives in one file)",
                )
            if paths:
                found[entry.kind] = paths
        return found

    def _listed_readable(self, path: Path, seen: os.DirEntry[str]) -> bool:
        """:meth:`_readable` of a listed ``path``, its listing saving the ``lstat``
        of a plain regular file or folder."""
        try:
            if seen.is_file(follow_symlinks=False) and self._safe_folder(path.parent):
                return True
            if seen.is_dir(follow_symlinks=False):
                return False
        except OSError:
            pass
        return self._readable(path)

    def _warn_strays(self, folder: Path,
                     listed: dict[str, tuple[dict[str, os.DirEntry[str]], bool]]) -> None:
        """Warn of a file that looks like data but is no file this source reads.

        A misspelt or mis-cased name (``deploymnets.csv``, ``Teams.yaml``) and a
        folder named as a data file would otherwise read as "no deployments data",
        a skip the user takes for missing data rather than a typo. ``listed``:
        the listing of the folder and of ``surveys/`` (:func:`_listing`); names far
        from every data file (a ``notes.yaml`` kept there) are left alone.
        """
        names = {f"{e.stem}{s}": e.feeds for e in ENTRIES for s in e.suffixes}
        for sub in ("", "surveys/"):
            try:
                found = sorted((e.name, e.is_dir()) for e in listed[sub][0].values())
            except OSError:
                continue
            stems = sorted({n[len(sub):].rpartition(".")[0] for n in names
                            if n.startswith(sub) and "/" not in n[len(sub):]})
            for name, is_dir in found:
                stem, dot, suffix = name.rpartition(".")
                if not dot or f".{suffix.lower()}" not in TABULAR or name.startswith("."):
                    continue
                path = folder / sub / name
                shown = self.env.display(path)
                if sub + name in names:
                    if is_dir:
                        self._warn_stray(path, f"{shown} is a folder, not a data file: no "
                                               f"{names[sub + name]} are read from it")
                    continue
                import difflib  # only for a stray file

                close = difflib.get_close_matches(stem.lower(), stems, n=1, cutoff=0.75)
                if close:
                    meant = sub + close[0] + "." + suffix.lower()
                    if meant not in names:
                        meant = next(n for n in names if n.startswith(sub + close[0] + "."))
                    self._warn_stray(
                        path, f"{shown} is not a data file guardrails reads (did you mean "
                              f"{meant}?): none of its records are read")

    def _warn_stray(self, path: Path, text: str) -> None:
        self.warnings.append(text)
        self.stray_warnings[path] = text

    def _postmortem_files(self, pm_dir: Path) -> list[Path]:
        """The postmortem files of ``pm_dir``, sorted by name, each checked readable.

        One ``scandir``: a plain regular file (the usual case) needs no
        ``realpath`` of its own once the folder is known to be safe
        (:func:`guardrails.paths.folder_is_safe`); links and anything else
        take the full :meth:`_readable` check.
        """
        safe = self._safe_folder(pm_dir)
        with os.scandir(pm_dir) as it:
            entries = sorted((e for e in it if _is_postmortem_name(e.name)),
                             key=lambda e: e.name)
        out = []
        for e in entries:
            path = pm_dir / e.name
            plain = e.is_file(follow_symlinks=False)
            if plain:
                self._plain.add(path)  # no lstat of its own later (see _postmortem)
            if safe and plain or self._readable(path):
                out.append(path)
        return out

    def _shown(self, path: Path) -> str:
        """A path as the user names it: relative to the root, links not followed."""
        try:
            return str(path.relative_to(self.env.real_root()))
        except ValueError:
            return str(path)

    def _readable(self, path: Path) -> bool:
        """Whether ``path`` is there to read: absent is False, unsafe is an error.

        A symbolic link out of the root, to ``/proc``, a device, a FIFO or a
        socket is refused by name (see :mod:`guardrails.paths`); a folder
        where a file is expected is not a data file.
        """
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return False  # as os.path.lexists says
        # A plain regular file of a safe folder passes check_file without a realpath of
        # its own (paths.folder_is_safe): its folder resolved once, not its every part.
        if stat.S_ISREG(mode) and self._safe_folder(path.parent):
            return True
        if stat.S_ISDIR(mode):
            return False
        check_file(path, root=self.env.root, allow_outside=self.env.allow_outside_root,
                   display=self._shown(path), error=DataFileError, what="data file",
                   real_root=self.env.real_root())
        return True

    def _opener(self) -> SafeOpener:
        """What opens the files :meth:`_readable` passed, so that the file read is the
        file checked (guardrails.safeopen); one a load, its folders opened once."""
        return SafeOpener(self.env.root, allow_outside=self.env.allow_outside_root,
                          error=DataFileError, what="data file",
                          real_root=self.env.real_root(), shown=self._shown)

    def _safe_folder(self, folder: Path) -> bool:
        """:func:`guardrails.paths.folder_is_safe` of ``folder``, once a folder."""
        known = self._safe.get(folder)
        if known is None:
            known = self._safe[folder] = folder_is_safe(
                folder, root=self.env.root, allow_outside=self.env.allow_outside_root,
                real_root=self.env.real_root())
        return known
