"""The source half of :mod:`guardrails.plugin`: :class:`Source`, :class:`SourceEnv`, ``hookimpl``.

Apart so that a source is defined without the check, metric and reporter
classes (a few milliseconds of dataclasses at import): ``guardrails validate
FILE``, the pre-commit hook, builds the files source and nothing else.
Import them from :mod:`guardrails` or :mod:`guardrails.plugin`, which
re-export them.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pluggy

from guardrails.progress import Progress
from guardrails.records import FACTORY, record

if TYPE_CHECKING:
    from guardrails.configmodel import Config
    from guardrails.deferredfacts import DeferredFacts
    from guardrails.errors import SourceError

hookimpl = pluggy.HookimplMarker("guardrails")

__all__ = ["Source", "SourceEnv", "hookimpl"]

#: resolved folders :meth:`SourceEnv.resolved` keeps at most
_FOLDERS_KEPT = 256



@record
class SourceEnv:
    """What every source gets besides its own config block."""

    root: Path  # the directory holding the config
    now: datetime
    window: timedelta
    timezone: tzinfo | None = None
    offline: bool = False
    cache_dir: Path | None = None
    allow_outside_root: bool = False
    config: Config | None = None
    #: Facts other sources gathered, by kind (raises SourceError when that source
    #: failed); for a source whose :meth:`Source.requires` names kinds. None outside a run.
    facts: Callable[[str], list[dict[str, Any]]] | None = None
    #: where a long gather reports how far it got (``env.progress.task(...)``, see
    #: guardrails.progress); draws nothing unless the command line asks for it
    progress: Progress = field(default_factory=Progress)

    def __init__(self, root: Path, now: datetime, window: timedelta,
                 timezone: tzinfo | None = None, offline: bool = False,
                 cache_dir: Path | None = None, allow_outside_root: bool = False,
                 config: Config | None = None,
                 facts: Callable[[str], list[dict[str, Any]]] | None = None,
                 progress: Progress = FACTORY) -> None:
        self.root = root
        self.now = now
        self.window = window
        self.timezone = timezone
        self.offline = offline
        self.cache_dir = cache_dir
        self.allow_outside_root = allow_outside_root
        self.config = config
        self.facts = facts
        self.progress = Progress() if progress is FACTORY else progress

    def real_root(self) -> Path:
        """The root with its links resolved, once an env (and again if ``root`` is
        replaced): a source shows and checks dozens of paths against it."""
        root = self.root
        known = self.__dict__.get("_real_root")
        if known is None or known[0] is not root:
            known = self.__dict__["_real_root"] = (root, root.resolve())
        return known[1]

    def display(self, path: Path) -> str:
        """A path as the user should read it: relative to the root when inside."""
        real = self.real_root()
        try:
            return str(self.resolved(path).relative_to(real))
        except ValueError:
            return str(path)

    def resolved(self, path: Path) -> Path:
        """``path.resolve()``, its folder's part resolved once an env.

        Resolving a path walks it a component at a time (an ``lstat`` and a few
        Python steps each: ~150,000 instructions for a data file's path, and a run
        shows ~20); the files of one folder share all of that but their own name.
        A name that is no link resolves to itself within its folder's resolution,
        so only its ``lstat`` is asked; a link (or a ``..``) is resolved whole.
        Like :meth:`real_root`, a folder's links are read once an env."""
        name = path.name
        if name in ("", ".", "..") or path.is_symlink():
            return path.resolve()
        folders: dict[Path, Path] = self.__dict__.setdefault("_real_folders", {})
        parent = path.parent
        real = folders.get(parent)
        if real is None:
            if len(folders) >= _FOLDERS_KEPT:
                folders.clear()
            real = folders[parent] = parent.resolve()
        return real / name


class Source(abc.ABC):
    """A plugin that yields facts.

    Subclasses set ``name`` (the key under ``sources:`` in guardrails.yaml)
    and ``schema`` (JSON Schema of that block), and implement
    :meth:`provides` and :meth:`gather`. ``gather`` raises
    :class:`guardrails.errors.SourceError` when the source cannot deliver; the
    rules that need its facts then become ``error`` outcomes.

    A source that reads files may also define ``locate(kind, fact, field)``
    returning ``(file, line)`` (line None when unknown) or None: warnings
    about the fact then name that row, and evidence naming the fact gets it
    as its location (``record``; docs/report.md). The files source does.
    """

    name: ClassVar[str] = ""
    schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def __init__(self, options: Mapping[str, Any], env: SourceEnv) -> None:
        self.options = dict(options)
        self.env = env
        self.warnings: list[str] = []

    @abc.abstractmethod
    def provides(self) -> set[str]:
        """Fact kinds (plural names) this source can yield with its config."""

    def requires(self) -> set[str]:
        """Fact kinds this source reads from other sources (through ``env.facts``) to
        gather its own; the session gathers those first. Most sources read none."""
        return set()

    def validate(self) -> None:  # noqa: B027 - optional; most sources check nothing early
        """Eager validation run on every ``check`` (raise UsageError on bad input)."""

    @abc.abstractmethod
    def gather(self, kinds: set[str]
               ) -> Mapping[str, list[dict[str, Any]] | DeferredFacts | SourceError]:
        """Return facts for the requested kinds it provides.

        A kind's value may be a :class:`guardrails.errors.SourceError` instead
        of a list: that kind failed (e.g. a missing token scope), the others
        did not. It may also be a :class:`guardrails.deferredfacts.DeferredFacts`:
        facts built on first read, which checks may read as columns until then.
        """

    def describe(self) -> str:
        """Short label for the report header, e.g. ``files org/``."""
        return self.name

    def feeds(self, path: Path) -> set[str]:
        """Fact kinds the file at ``path`` (absolute) feeds, if this source reads it.

        The commit hook asks this to judge only the rules whose inputs a
        commit touched. Sources that read no file of the working tree (HTTP
        APIs; git, which reads committed history) feed nothing: the default.
        """
        return set()
