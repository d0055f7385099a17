"""``logging``, imported by name and executed on first use.

The CEL runtime's extension (:mod:`guardrails.celrules.runtime`) imports
``logging`` as it loads (its Rust log records go to Python's loggers) and
only reads an attribute of it when the interpreter logs something, which it
does not on a check's path. Executing ``logging`` (with ``traceback``,
``textwrap`` and ``string``, and their regexes) is ~4 ms of the example
``check``'s CPU (benchmarks/RESULTS.md, "start-up, boot4").

:func:`defer_logging` puts in ``sys.modules`` the module ``import logging``
would make, attributes set by the import system's own
:func:`importlib.util.module_from_spec`, with a module ``__getattr__``
(PEP 562) in place of its code: ``import logging`` hands it out; the first
attribute it lacks (``logging.getLogger``, ``from logging import X``,
``import logging.handlers``) executes ``logging`` into that same module
object, once, under a lock, and the attribute is read as usual. It is the
same module object before and after, so whoever took it early sees the real
one. Done only when nothing imported ``logging`` before, and only by the
``guardrails`` program itself (:func:`guardrails.entry.console`, as it pauses
the collector): never in a library caller's or pytest's process, whose
``logging`` is theirs.
"""

from __future__ import annotations

import _thread
import importlib.util
import sys
from types import ModuleType
from typing import Any

_NAME = "logging"
_lock = _thread.RLock()


def defer_logging() -> None:
    """Put a deferred ``logging`` in ``sys.modules`` unless one is imported already."""
    if _NAME in sys.modules:
        return
    spec = importlib.util.find_spec(_NAME)
    if spec is None or spec.loader is None:  # an interpreter without it: nothing to defer
        return
    module = importlib.util.module_from_spec(spec)
    running = False

    def __getattr__(name: str) -> Any:  # noqa: N807 - PEP 562's name
        nonlocal running
        # Another thread waits here until the code has run; this thread, while
        # the code runs, gets what a module being imported gives: AttributeError.
        with _lock:
            if not running and module.__dict__.get("__getattr__") is __getattr__:
                running = True
                try:
                    spec.loader.exec_module(module)  # type: ignore[union-attr]
                    del module.__dict__["__getattr__"]
                finally:
                    running = False
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {_NAME!r} has no attribute {name!r}") from None

    __getattr__.deferred = True  # type: ignore[attr-defined]
    module.__dict__["__getattr__"] = __getattr__
    sys.modules[_NAME] = module


def deferred(module: ModuleType) -> bool:
    """Whether ``module`` was deferred by :func:`defer_logging` and has not run yet."""
    return getattr(module.__dict__.get("__getattr__"), "deferred", False) is True
