"""The plugin manager: builtin and third-party plugins, each blockable by name.

Builtin plugins are listed with what they provide in
:mod:`guardrails.builtins` and registered on first need (a files-only run
never imports the git, HTTP, SARIF or JUnit plugins); third-party plugins
are entry points in the group ``guardrails`` and are registered at start.
Any of them can be blocked with ``-p no:NAME``, and all of them, loaded or
not yet, are listed in the header and by ``--version``. Only the essentials
(the rule-file collector, the runner and the fact kinds of DATA.md) cannot be
blocked. A ``guardrails_plugins.py`` next to the config is loaded like
pytest's ``conftest.py``; ``plugins:`` in the config names extra modules.

Code that wants a source, check, metric or reporter by name asks
:class:`Provided` (``registered_checks`` and friends return one): a missing
name loads the builtin that provides it, listing them all loads every one.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from abc import ABCMeta
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FunctionType, GetSetDescriptorType, ModuleType
from typing import Any, TypeVar

import pluggy

from guardrails import hookspec
from guardrails.builtins import BUILTINS, DIST, PROVIDER_HOOKS, Builtin, PluginInfo
from guardrails.errors import PluginError, UsageError
from guardrails.installed import LOCAL_PLUGIN_FILE, third_party_plugins

ENTRY_POINT_GROUP = "guardrails"
ESSENTIAL_PLUGINS = ("guardrails.collect", "guardrails.runner", "guardrails.datakinds",
                     "guardrails.reporters.setup", "guardrails.baseline")


class GuardrailsPluginManager(pluggy.PluginManager):
    def __init__(self) -> None:
        super().__init__("guardrails")
        self.add_hookspecs(hookspec)
        self.infos: list[PluginInfo] = []
        self.blocked_names: set[str] = set()
        #: builtins not imported yet (not blocked), by plugin name
        self.deferred: dict[str, Builtin] = {}
        #: ``-p no:NAME`` names that match no plugin of this install (blocking nothing)
        self.blocked_unknown: list[str] = []

    def need(self, what: str, name: str | None = None) -> bool:
        """Register the deferred builtins that provide ``name`` of ``what``
        (``"sources"``, ``"checks"``, ``"metrics"``, ``"formats"``, ``"kinds"``;
        every one of ``what`` when ``name`` is None). True when any was loaded."""
        todo = [b for b in self.deferred.values()
                if (name in b.provides(what) if name is not None else b.provides(what))]
        for b in todo:
            self.load_builtin(b)
        return bool(todo)

    def load_builtin(self, builtin: Builtin) -> None:
        """Import and register one deferred builtin (its info is listed already)."""
        if self.deferred.pop(builtin.name, None) is None:
            return
        module = self._import(builtin.module, builtin.name)
        if self.is_registered(module):  # already in, under another name
            return
        try:
            self.register(module, name=builtin.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {builtin.name!r} is invalid: {exc}") from exc

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        """In a plugin *module*, only ``guardrails_*`` names are hook implementations
        (pytest does the same with ``pytest_``): pluggy otherwise inspects every
        attribute of every module, each import included, about 40 a module and 22
        modules a run. Plugin objects keep pluggy's rule (any name, ``specname``)."""
        if isinstance(plugin, ModuleType):
            if not name.startswith("guardrails_"):
                return None
            if type(plugin) is ModuleType:
                # What getattr_static finds in a plain module is its own entry (no
                # ModuleType attribute is named guardrails_*): a function's marker is
                # read as pluggy reads it (~20,000 instructions less a hook, ~100 a run).
                value = plugin.__dict__.get(name)
                if type(value) is FunctionType:
                    opts = value.__dict__.get("guardrails_impl")
                    return opts if isinstance(opts, dict) else None
        elif STATIC_READS and _plainly_none(plugin, name):
            return None
        return super().parse_hookimpl_opts(plugin, name)

    def load_module(self, modname: str, name: str | None = None,
                    dist: str | None = None, version: str | None = None) -> ModuleType:
        """Import one plugin module and register it, naming it when it fails."""
        name = name or modname
        if name in self.blocked_names or self.is_blocked(name):
            raise PluginError(f"plugin {name!r} is blocked")
        module = self._import(modname, name)
        self._register(module, name, modname, dist, version)
        return module

    @staticmethod
    def _import(modname: str, name: str) -> ModuleType:
        try:
            return importlib.import_module(modname)
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r} ({modname}) failed to import: {type(exc).__name__}: {exc}"
            ) from exc

    def _register(self, module: object, name: str, modname: str,
                  dist: str | None, version: str | None) -> None:
        if self.get_plugin(name) is not None or self.is_registered(module):
            return
        try:
            self.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} is invalid: {exc}") from exc
        if dist != DIST:  # ours are checked by the suite, not at each run
            self._refuse_unknown_hooks(module, name)
        self.infos.append(PluginInfo(name, modname, dist, version))

    def _refuse_unknown_hooks(self, plugin: object, name: str) -> None:
        """A plugin's ``@hookimpl`` whose name is no hook of :mod:`guardrails.hookspec`
        (``guardrails_gather_source``) would never be called: an error naming its file
        and line and the hook meant, as pytest refuses an unknown ``pytest_*`` hook.
        ``@hookimpl(optionalhook=True)`` keeps one on purpose."""
        import difflib
        import inspect

        for caller in self.get_hookcallers(plugin) or ():
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin or impl.optionalhook:
                    continue
                func = inspect.unwrap(impl.function)
                code = getattr(func, "__code__", None)
                known = sorted(n for n in vars(hookspec) if n.startswith("guardrails_"))
                close = difflib.get_close_matches(caller.name, known, n=1, cutoff=0.6)
                self.unregister(plugin)
                where = f"{code.co_filename}:{code.co_firstlineno}: " if code is not None else ""
                hint = f"did you mean {close[0]}? " if close else ""
                raise PluginError(
                    f"{where}plugin {name!r} implements {caller.name}, which is no guardrails "
                    f"hook: it would never be called. Fix: {hint}the hooks are listed in "
                    "docs/plugins.md; @hookimpl(optionalhook=True) keeps one of another "
                    "guardrails version on purpose")


#: metaclasses whose classes' ``__dict__`` is their own (what inspect.getattr_static reads)
_PLAIN_META = (type, ABCMeta)
#: class attributes pluggy never takes for a hook (plain values, properties it does not
#: run, the ``__dict__``/``__weakref__`` descriptors)
_INERT = frozenset({int, float, str, bool, type(None), tuple, list, dict, set, frozenset,
                    property, GetSetDescriptorType})
_ABSENT = object()


def reads_statically(manager_module: Any) -> bool:
    """True for a pluggy that reads a plugin object's names without running them
    (1.7 and later: ``inspect.getattr_static``, in its ``_static_hook_attr``), whose
    answers :func:`_plainly_none` gives; an older pluggy reads them with ``getattr``
    (a property runs), so every name is left to it (our floor is pluggy 1.5). Told by
    the function, not by ``pluggy.__version__``, which imports importlib.metadata."""
    return callable(getattr(manager_module, "_static_hook_attr", None))


#: whether the installed pluggy reads names as :func:`_plainly_none` assumes
STATIC_READS = reads_statically(sys.modules.get("pluggy._manager"))


def _plainly_none(plugin: Any, name: str) -> bool:
    """True when pluggy's own :meth:`parse_hookimpl_opts` answers None for ``name`` of
    plugin *object* ``plugin``, told without ``inspect.getattr_static`` (~40,000
    instructions a name; pluggy asks it of every name ``dir()`` lists, ~100 an object,
    most of them ``object``'s own: the terminal reporter's and the report outputs'
    registration cost ~2 ms of a run's start, benchmarks/RESULTS.md "s25-coldstart").

    Said only where the answer is plain: the name is not in the instance's own
    ``__dict__`` (pluggy reads that first), every class of the type's MRO has a plain
    metaclass (so its ``__dict__`` is what getattr_static reads, in MRO order), and
    the first class holding the name is ``object`` (slot wrappers and builtin
    methods: never hookable), none does, or it holds a plain function without
    the hookimpl marker or a value of :data:`_INERT`. Anything else (a class as
    plugin, a ``staticmethod``, a marked function, an instance value, a slot) is
    pluggy's to decide."""
    if isinstance(plugin, type):
        return False
    try:
        own = object.__getattribute__(plugin, "__dict__")
    except AttributeError:
        own = None
    if own is not None and (type(own) is not dict or name in own):
        return False
    for klass in type(plugin).__mro__:
        if type(klass) not in _PLAIN_META:
            return False
        found = klass.__dict__.get(name, _ABSENT)
        if found is not _ABSENT:
            kind = type(found)
            return klass is object or kind in _INERT or (
                kind is FunctionType and "guardrails_impl" not in found.__dict__)
    return True


T = TypeVar("T")


class Provided(Mapping[str, T]):
    """Name -> what plugins provide of one kind, loading builtins on first need.

    ``what`` is a key of :data:`guardrails.builtins.PROVIDER_HOOKS`. Looking a
    name up that no loaded plugin provides registers the deferred builtin that
    does (then asks the hook again); iterating or ``len`` registers every
    builtin providing ``what`` (an error that lists the known names needs them).
    """

    def __init__(self, pm: Any, what: str) -> None:
        self.pm = pm
        self.what = what
        self._items = self._collect()
        #: names whose deferred builtin is loaded, or that none provides: a manager's
        #: deferred builtins only ever leave (each lookup scanned them all, ~50 a run)
        self._ensured: set[str] = set()

    def _collect(self) -> dict[str, T]:
        hook = PROVIDER_HOOKS[self.what]
        out: dict[str, T] = {}
        for group in getattr(self.pm.hook, hook)():
            for item in group or ():
                out[item.name] = item
        # A builtin's name wins over another plugin's, as when every builtin was
        # registered first (pluggy calls the last registered first, so the
        # builtin's answer came last); a lazily registered one is called first.
        for b in BUILTINS:
            module = self.pm.get_plugin(b.name) if b.provides(self.what) else None
            if module is not None:
                for item in getattr(module, hook)() or ():
                    out[item.name] = item
        return out

    def _refresh(self, name: str | None) -> None:
        # Asked again even when nothing loads here: another Provided, or a
        # plugin at configure time, may have registered it since.
        self._need(name)
        self._items = self._collect()

    def _need(self, name: str | None) -> bool:
        need: Callable[..., bool] | None = getattr(self.pm, "need", None)
        return need is not None and need(self.what, name)

    def __getitem__(self, name: str) -> T:
        # The builtin that provides ``name`` is loaded even when another plugin
        # already offers it: its answer wins (see _collect).
        loaded = False
        if name not in self._ensured:
            loaded = self._need(name)
            self._ensured.add(name)
        if loaded or name not in self._items:
            self._items = self._collect()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self._refresh(None)
        return iter(self._items)

    def __len__(self) -> int:
        self._refresh(None)
        return len(self._items)


def create_manager(disabled: tuple[str, ...] | list[str] = (),
                   extra: tuple[str, ...] | list[str] = (),
                   local_root: Path | None = None) -> GuardrailsPluginManager:
    """Build the manager: essentials, entry points, config/CLI plugins, local file."""
    pm = GuardrailsPluginManager()
    for name in disabled:
        if name in ESSENTIAL_PLUGINS or f"guardrails.{name}" in ESSENTIAL_PLUGINS:
            raise UsageError(f"plugin {name!r} is essential and cannot be disabled",
                             fix="remove '-p no:" + name + "'")
        pm.set_blocked(name)
        pm.blocked_names.add(name)
    from guardrails import __version__

    for modname in ESSENTIAL_PLUGINS:
        pm.load_module(modname, name=modname, dist=DIST, version=__version__)
    for b in BUILTINS:
        if b.name not in pm.blocked_names:
            pm.deferred[b.name] = b
            pm.infos.append(PluginInfo(b.name, b.module, DIST, __version__))
    for b in list(pm.deferred.values()):
        if b.kinds or any(os.environ.get(var) for var in b.env):
            pm.load_builtin(b)
    third_party = third_party_plugins()
    for name, modname, dist, version in third_party:
        if name not in pm.blocked_names:
            pm.load_module(modname, name=name, dist=dist, version=version)
    # a config's plugins: list (and -p) name modules, which -p no:MODULE blocks too
    known = {b.name for b in BUILTINS} | {e[0] for e in third_party} | {"local"} | set(extra)
    pm.blocked_unknown = [n for n in dict.fromkeys(disabled) if n not in known]
    by_module = {b.module: b for b in pm.deferred.values()}
    for modname in extra:
        if modname in by_module:  # -p naming a builtin's module: that builtin, now
            pm.load_builtin(by_module[modname])
        elif modname not in pm.blocked_names:
            pm.load_module(modname)
    if local_root is not None:
        load_local_plugin(pm, local_root)
    return pm


def unknown_blocked_warnings(pm: GuardrailsPluginManager) -> list[str]:
    """A warning for each ``-p no:NAME`` that names no plugin: it blocked nothing.

    pytest says nothing here; guardrails says so, since the name to block is not
    always the name a user knows (``-p no:github`` blocks nothing: the plugin is
    ``source-github``, and the source would still be asked). A warning, not an
    error: a shared CI template may block a plugin this install does not have.
    """
    import difflib

    names = sorted({b.name for b in BUILTINS} | {i.name for i in pm.infos} | {"local"})
    # a builtin is also looked up by what follows its kind: "git" for "source-git"
    by_word = {n.partition("-")[2] or n: n for n in names} | {n: n for n in names}
    out = []
    for name in pm.blocked_unknown:
        close = difflib.get_close_matches(name, sorted(by_word), n=1, cutoff=0.75)
        hint = f"did you mean '-p no:{by_word[close[0]]}'? " if close else ""
        out.append(f"-p no:{name} names no installed plugin and blocked nothing ({hint}"
                   "'guardrails --version' lists the plugins)")
    return out


def load_local_plugin(pm: GuardrailsPluginManager, root: Path) -> None:
    """Load ``guardrails_plugins.py`` from the config folder, like conftest.py."""
    path = root / LOCAL_PLUGIN_FILE
    if not path.is_file() or "local" in pm.blocked_names:
        return
    modname = f"guardrails_local_plugins_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(modname, None)
        raise PluginError(
            f"local plugin {path} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    pm._register(module, "local", str(path), None, None)
