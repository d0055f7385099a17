"""The plugin manager's quick answer for a plugin object's names (manager._plainly_none)
is pluggy's own answer wherever it gives one, and registering finds the same hooks."""

from __future__ import annotations

import abc
import importlib
import inspect
import io
import pkgutil
from typing import Any, Protocol

import pluggy
import pytest

import guardrails.reporters
from guardrails import manager
from guardrails.manager import GuardrailsPluginManager, _plainly_none
from guardrails.plugin import Reporter, ReportOptions

hookimpl = pluggy.HookimplMarker("guardrails")

#: the quick answer is pluggy 1.7's (getattr_static); an older pluggy runs properties
#: and is asked every name itself (manager.STATIC_READS), as the last test holds
static_pluggy = pytest.mark.skipif(not manager.STATIC_READS,
                                   reason="pluggy < 1.7 reads names with getattr")


def _spare() -> None:
    """A plain function, put on instances and classes below."""


@hookimpl
def _marked_loose(report: Any) -> None:
    """A marked function, put on an instance below."""


class _Base:
    inherited_value = 3

    def plain(self) -> None:
        """Not a hook."""

    @hookimpl
    def guardrails_session_finish(self, report: Any) -> None:
        """A hook on a base class."""


class _Busy(_Base):
    """A plugin object holding every kind of attribute pluggy reads."""

    number = 1
    text = "x"
    nothing = None
    items: tuple[int, ...] = (1, 2)
    mapping: dict[str, int] = {}
    aside = staticmethod(_spare)
    builder = classmethod(lambda cls: cls)

    @property
    def shown(self) -> int:
        raise AssertionError("pluggy never runs a property")

    @hookimpl(specname="guardrails_session_finish")
    def finish_again(self, report: Any) -> None:
        """A hook under another name."""

    @staticmethod
    @hookimpl(specname="guardrails_session_finish")
    def finish_static(report: Any) -> None:
        """A marked static method."""

    @classmethod
    @hookimpl(specname="guardrails_session_finish")
    def finish_class(cls, report: Any) -> None:
        """A marked class method."""

    def plain(self) -> None:  # overrides the base's: still no hook
        """Not a hook."""

    def __repr__(self) -> str:
        return "busy"

    def __init__(self) -> None:
        self.own_function = _spare
        self.own_marked = _marked_loose
        self.own_value = 4
        self.bound = self.plain


class _Slotted:
    __slots__ = ("held", "empty")

    def __init__(self) -> None:
        self.held = _marked_loose


class _Meta(type):
    extra = 5


class _WithMeta(metaclass=_Meta):
    @hookimpl(specname="guardrails_session_finish")
    def finish(self, report: Any) -> None:
        """A hook on a class with its own metaclass."""


class _Abstract(abc.ABC):
    @abc.abstractmethod
    def must(self) -> None: ...

    @hookimpl(specname="guardrails_session_finish")
    def finish(self, report: Any) -> None:
        """A hook on an ABC's subclass."""
        self.finished = True


class _Concrete(_Abstract):
    def must(self) -> None:
        """Done."""


class _Proto(Protocol):
    def speak(self) -> None: ...


class _Speaker(_Proto):
    def speak(self) -> None:
        """Hello."""

    @hookimpl(specname="guardrails_session_finish")
    def finish(self, report: Any) -> None:
        """A hook on a Protocol's subclass (its metaclass is not plain)."""


class _ShadowedDict:
    __dict__ = {"guardrails_session_finish": _marked_loose}  # type: ignore[assignment]  # noqa: RUF012


def _reporters() -> list[Any]:
    """An instance of every reporter class guardrails ships."""
    out: list[Any] = []
    for info in pkgutil.iter_modules(guardrails.reporters.__path__):
        module = importlib.import_module(f"guardrails.reporters.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Reporter) and value is not Reporter
                    and value.__module__ == module.__name__):
                out.append(value(io.StringIO(), ReportOptions()))
    return out


def _objects() -> list[Any]:
    return [_Busy(), _Slotted(), _WithMeta(), _Concrete(), _Speaker(), _ShadowedDict(),
            _Base(), object(), *_reporters()]


@static_pluggy
@pytest.mark.parametrize("plugin", _objects(), ids=lambda p: type(p).__name__)
def test_a_quick_none_is_pluggys_none(plugin: Any) -> None:
    pm = GuardrailsPluginManager()
    told = 0
    for name in dir(plugin):
        if _plainly_none(plugin, name):
            told += 1
            assert pluggy.PluginManager.parse_hookimpl_opts(pm, plugin, name) is None, name
    # a class with a metaclass of its own (a Protocol's too) is always pluggy's to read
    assert (told == 0) == (type(plugin) in (_WithMeta, _Speaker))


@static_pluggy
def test_the_quick_answer_leaves_the_hooks_to_pluggy() -> None:
    # Each kind of marked attribute is still found (so the quick answer said nothing there).
    busy = _Busy()
    for name in ("guardrails_session_finish", "finish_again", "finish_static",
                 "finish_class", "own_marked"):
        assert not _plainly_none(busy, name), name
    assert not _plainly_none(_Slotted(), "held")
    assert not _plainly_none(_Speaker(), "finish")
    assert not _plainly_none(_WithMeta(), "finish")
    assert not _plainly_none(_Busy, "plain")  # a class as plugin: pluggy's


@static_pluggy
@pytest.mark.parametrize("plugin", _objects(), ids=lambda p: type(p).__name__)
def test_registering_finds_the_hooks_pluggy_finds(plugin: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def hooks(quick: bool) -> list[tuple[str, str]]:
        if not quick:
            monkeypatch.setattr(manager, "_plainly_none", lambda plugin, name: False)
        pm = GuardrailsPluginManager()
        pm.register(plugin, name="p")
        monkeypatch.undo()
        return sorted((caller.name, impl.function.__name__)
                      for caller in pm.get_hookcallers(plugin) or []
                      for impl in caller.get_hookimpls() if impl.plugin is plugin)

    assert hooks(True) == hooks(False)


def _plugin_modules() -> list[Any]:
    from guardrails.builtins import BUILTINS
    from guardrails.manager import ESSENTIAL_PLUGINS

    names = sorted({b.module for b in BUILTINS} | set(ESSENTIAL_PLUGINS))
    return [importlib.import_module(n) for n in names]


def test_a_plain_modules_hooks_are_read_as_pluggy_reads_them() -> None:
    pm = GuardrailsPluginManager()
    modules = _plugin_modules()
    assert len(modules) > 10
    read = 0
    for module in modules:
        for name in dir(module):
            if name.startswith("guardrails_"):
                read += 1
                assert pm.parse_hookimpl_opts(module, name) == \
                    pluggy.PluginManager.parse_hookimpl_opts(pm, module, name), (module, name)
    assert read > 20


def test_a_module_holding_odd_hook_values_is_read_as_pluggy_reads_it() -> None:
    import types

    module = types.ModuleType("oddhooks")

    @hookimpl
    def guardrails_session_finish(report: Any) -> None:
        """Marked."""

    def guardrails_unmarked(report: Any) -> None:
        """Not marked."""

    def guardrails_bad_marker(report: Any) -> None:
        """Marked with something that is not pluggy's options."""

    guardrails_bad_marker.guardrails_impl = "yes"  # type: ignore[attr-defined]
    module.guardrails_session_finish = guardrails_session_finish  # type: ignore[attr-defined]
    module.guardrails_unmarked = guardrails_unmarked  # type: ignore[attr-defined]
    module.guardrails_bad_marker = guardrails_bad_marker  # type: ignore[attr-defined]
    module.guardrails_static = staticmethod(guardrails_session_finish)  # type: ignore[attr-defined]
    module.guardrails_value = 3  # type: ignore[attr-defined]
    pm = GuardrailsPluginManager()
    for name in dir(module):
        if name.startswith("guardrails_"):
            assert pm.parse_hookimpl_opts(module, name) == \
                pluggy.PluginManager.parse_hookimpl_opts(pm, module, name), name
    assert pm.parse_hookimpl_opts(module, "guardrails_session_finish") is not None


def test_the_quick_answer_is_used_only_with_a_pluggy_that_reads_statically() -> None:
    import types

    old = types.ModuleType("pluggy._manager")  # pluggy 1.5/1.6: getattr, no such function
    assert manager.reads_statically(old) is False
    assert manager.reads_statically(None) is False
    new = types.ModuleType("pluggy._manager")
    new._static_hook_attr = lambda obj, name: None  # type: ignore[attr-defined]
    assert manager.reads_statically(new) is True
    installed = importlib.import_module("pluggy._manager")
    assert manager.STATIC_READS is manager.reads_statically(installed)
    runs_getattr = "getattr(plugin, name)" in inspect.getsource(
        installed.PluginManager.parse_hookimpl_opts)
    assert manager.STATIC_READS is not runs_getattr
