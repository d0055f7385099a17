"""The plugin manager: builtin and third-party plugins load the same way.

Builtin plugins are entry points in the group ``guardrails`` of our own
distribution; third-party plugins are entry points of theirs. Any of them can
be blocked with ``-p no:NAME``. Only the essentials (the rule-file collector,
the runner and the fact kinds of DATA.md) cannot. A ``guardrails_plugins.py`` next to the config is
loaded like pytest's ``conftest.py``; ``plugins:`` in the config names extra
modules.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from guardrails import hookspec
from guardrails.errors import PluginError, UsageError

LOG = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "guardrails"
LOCAL_PLUGIN_FILE = "guardrails_plugins.py"
ESSENTIAL_PLUGINS = ("guardrails.collect", "guardrails.runner", "guardrails.datakinds",
                     "guardrails.reporters.setup", "guardrails.baseline")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    dist: str | None
    version: str | None


class GuardrailsPluginManager(pluggy.PluginManager):
    def __init__(self) -> None:
        super().__init__("guardrails")
        self.add_hookspecs(hookspec)
        self.infos: list[PluginInfo] = []
        self.blocked_names: set[str] = set()

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        """In a plugin *module*, only ``guardrails_*`` names are hook implementations
        (pytest does the same with ``pytest_``): pluggy otherwise inspects every
        attribute of every module, each import included, about 40 a module and 22
        modules a run. Plugin objects keep pluggy's rule (any name, ``specname``)."""
        if isinstance(plugin, ModuleType) and not name.startswith("guardrails_"):
            return None
        return super().parse_hookimpl_opts(plugin, name)

    def load_module(self, modname: str, name: str | None = None,
                    dist: str | None = None, version: str | None = None) -> ModuleType:
        """Import one plugin module and register it, naming it when it fails."""
        name = name or modname
        if name in self.blocked_names or self.is_blocked(name):
            raise PluginError(f"plugin {name!r} is blocked")
        try:
            module = importlib.import_module(modname)
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r} ({modname}) failed to import: {type(exc).__name__}: {exc}"
            ) from exc
        self._register(module, name, modname, dist, version)
        return module

    def _register(self, module: object, name: str, modname: str,
                  dist: str | None, version: str | None) -> None:
        if self.get_plugin(name) is not None or self.is_registered(module):
            return
        try:
            self.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} is invalid: {exc}") from exc
        self.infos.append(PluginInfo(name, modname, dist, version))


def _entry_points() -> list[tuple[str, str, str | None, str | None]]:
    """The ``guardrails`` entry points installed: (name, value, dist, version).

    Scanned once per process and ``sys.path`` (a long-lived caller such as a
    test run or ``pytest --guardrails`` builds many managers). Each
    distribution's metadata is parsed once, not twice per entry point:
    ``ep.dist.name`` and ``ep.dist.version`` each re-read and re-parse the
    METADATA file, 34 parses for our 17 builtin entry points, most of the
    scan's cost.
    """
    return list(_scan(tuple(sys.path)))


@functools.cache
def _scan(path: tuple[str, ...]) -> tuple[tuple[str, str, str | None, str | None], ...]:
    from importlib.metadata import entry_points

    out = []
    seen: dict[int, tuple[str | None, str | None]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is None:
            dist, version = None, None
        else:
            if id(ep.dist) not in seen:
                meta = ep.dist.metadata
                seen[id(ep.dist)] = (meta["Name"], meta["Version"])
            dist, version = seen[id(ep.dist)]
        out.append((ep.name, ep.value, dist, version))
    # Stable order: ours first, then by distribution and name.
    out.sort(key=lambda e: (e[2] != "execution-guardrails", e[2] or "", e[0]))
    return tuple(out)


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
        pm.load_module(modname, name=modname, dist="execution-guardrails", version=__version__)
    for name, value, dist, version in _entry_points():
        if name in pm.blocked_names:
            continue
        modname = value.split(":", 1)[0]
        pm.load_module(modname, name=name, dist=dist, version=version)
    for modname in extra:
        if modname not in pm.blocked_names:
            pm.load_module(modname)
    if local_root is not None:
        load_local_plugin(pm, local_root)
    return pm


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
