"""Compiling and evaluating a rule's CEL expression over facts.

The runtime is ``common-expression-language`` (a Rust interpreter, the
``cel`` module), chosen by ``benchmarks/bench_cel.py`` (see
benchmarks/RESULTS.md): about 25 µs of CPU a fact for a ``where`` and
``expect`` pair, as fast as Google's ``cel-expr-python`` without its
protobuf conversion of every timestamp, where the pure-Python
``cel-python`` takes about 475 µs. Its package ``__init__`` imports a
command-line REPL (typer, rich, prompt-toolkit: 160 ms); :func:`runtime`
loads the compiled extension alone (10 ms) and falls back to the package
import if that ever fails.

Each expression is parsed and checked once (:mod:`.parse`, :mod:`.check`;
once per install when :mod:`.typecache` keeps the result), compiled once,
and evaluated per fact on a CEL map holding only the fields it reads (the
checker's :class:`~guardrails.celrules.uses.Uses`): converting
a whole fact, with its joins, would cost more than the evaluation, and the
joins are cyclic (an incident's deployment lists the incident).
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.celrules.evalerrors import NOT_FINITE, EvalError, explain_runtime_error
from guardrails.celrules.uses import Checked, Uses
from guardrails.kinds import KindRegistry
from guardrails.records import record
from guardrails.textsafe import excerpt

if TYPE_CHECKING:
    from guardrails.celrules.types import T


class CelProblem(ValueError):
    """A load-time problem at character ``offset`` of an expression, with a ``fix``."""

    def __init__(self, message: str, offset: int, fix: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.fix = fix


@functools.cache
def runtime() -> Any:
    """The ``cel`` extension module, without its package's REPL imports.

    The extension may be initialised once a process (a second initialisation
    panics), so it is registered as ``cel.cel``, where the package's own
    ``from .cel import *`` finds it, and reused when the package came first.
    """
    loaded = sys.modules.get("cel.cel")
    if loaded is not None:
        return loaded
    # The extension imports logging as it loads and uses it only to log, which it
    # does not here: the guardrails program defers logging's code to its first use
    # (guardrails/entry.py, guardrails/deferred.py); a library caller's is its own.
    spec = importlib.util.find_spec("cel")
    try:
        assert spec is not None and spec.submodule_search_locations
        folder = Path(next(iter(spec.submodule_search_locations)))
        lib = next(p for p in folder.iterdir()
                   if p.name.startswith("cel.") and p.suffix in (".so", ".pyd"))
        loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(lib))
        mod_spec = importlib.util.spec_from_file_location("cel.cel", lib, loader=loader)
        assert mod_spec is not None
        module = importlib.util.module_from_spec(mod_spec)
    except Exception:  # noqa: BLE001 - any other layout: the package's own import
        import cel

        return cel
    sys.modules["cel.cel"] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules["cel.cel"]
        raise
    return module


@record(frozen=True)
class Compiled:
    """One checked (:class:`Checked`), compiled expression."""

    source: str
    checked: Checked
    program: Any = field(compare=False)

    def __init__(self, source: str, checked: Checked, program: Any) -> None:
        _set = object.__setattr__
        _set(self, "source", source)
        _set(self, "checked", checked)
        _set(self, "program", program)

    @property
    def uses(self) -> Mapping[str, Uses]:
        """The fields the expression reads, by variable (``fact``, a list's name)."""
        return self.checked.uses

    @property
    def reaches(self) -> frozenset[str]:
        """Kinds the expression reaches through links (gathered with the rule's own)."""
        return self.checked.reaches


#: where the runtime's own parser says it stopped (compiled only for such an error)
_RUST_POS = r"<input>:(\d+):(\d+)"


def _offset(src: str, line: int, col: int) -> int:
    lines = src.split("\n")
    return sum(len(x) + 1 for x in lines[:max(line - 1, 0)]) + max(col - 1, 0)


def compile_expression(src: str, kind: str | None, kinds: KindRegistry, *,
                       lists: tuple[str, ...] = (), want: str | None = "bool") -> Compiled:
    """Parse, check and compile ``src``; :class:`CelProblem` when it cannot run.

    ``want`` is the type the expression must give (``bool`` for ``where`` and
    ``expect``, ``number`` for ``value``; None for any). With ``lists`` (kind
    names), the expression sees those kinds' facts as lists named after them
    (``check: expr``) instead of one ``fact``.
    """
    got = _memo(("compiled", src, kind, kinds.fingerprint, lists, want),
                lambda: _compile(src, kind, kinds, lists, want))
    assert isinstance(got, Compiled)
    return got


def check_expression(src: str, kind: str | None, kinds: KindRegistry, *,
                     lists: tuple[str, ...] = (), want: str | None = "bool") -> Checked:
    """What :func:`compile_expression` checks, without compiling: once a process, and
    from the type cache when an earlier run (or the shipped entries) checked it."""
    got = _memo(("checked", src, kind, kinds.fingerprint, lists, want),
                lambda: _checked(src, kind, kinds, lists, want))
    assert isinstance(got, Checked)
    return got


def _memo(key: tuple[Any, ...], make: Any) -> Checked | Compiled:
    """``make()`` once a process for ``key``; a :class:`CelProblem` is kept and raised."""
    got = _compiled.get(key)
    if got is None:
        if len(_compiled) >= 512:
            _compiled.clear()
        try:
            got = make()
        except CelProblem as exc:
            got = exc
        _compiled[key] = got
    if isinstance(got, CelProblem):
        raise got
    return got


#: checks and compilations of this process (keys: "checked"/"compiled", then the arguments)
_compiled: dict[tuple[Any, ...], Checked | Compiled | CelProblem] = {}


def _checked(src: str, kind: str | None, kinds: KindRegistry, lists: tuple[str, ...],
             want: str | None) -> Checked:
    from guardrails.celrules import typecache

    key = typecache.key_of(src, kind, kinds, lists, want)
    known = typecache.lookup(key)
    if known is not None:  # an earlier run's check of the very same expression and kinds
        return known
    typ, uses = _check(src, kind, kinds, lists, want)
    reached: set[str] = set()
    for name, tree in uses.items():
        root = kind if name == "fact" else name if name in lists else None
        if root is not None:
            tree.reached(root, kinds, reached)
    # Kept even should the runtime refuse it: a later run meeting it compiles it
    # again, and is refused in the same words.
    checked = Checked(uses, frozenset(reached), typ.name, str(typ), fresh=True)
    typecache.remember(key, checked)
    return checked


def _compile(src: str, kind: str | None, kinds: KindRegistry, lists: tuple[str, ...],
             want: str | None) -> Compiled:
    checked = check_expression(src, kind, kinds, lists=lists, want=want)
    try:
        program = runtime().compile(src)
    except Exception as exc:  # noqa: BLE001 - the runtime's own parser refused it
        text = str(exc)
        m = re.search(_RUST_POS, text)
        at = _offset(src, int(m.group(1)), int(m.group(2))) if m else 0
        first = text.split("\n", 1)[0]
        raise CelProblem(f"syntax error: {excerpt(first, 200)}", at) from None
    return Compiled(src, checked, program)


def _check(src: str, kind: str | None, kinds: KindRegistry, lists: tuple[str, ...],
           want: str | None) -> tuple[T, dict[str, Uses]]:
    """Parse and type ``src``: its type and what it reads; :class:`CelProblem` if it cannot
    run. (Imported here: a run whose expressions are in the type cache needs neither.)"""
    from guardrails.celrules.check import CelTypeError, Checker, variables
    from guardrails.celrules.parse import CelSyntaxError, parse

    try:
        tree = parse(src)
    except CelSyntaxError as exc:
        raise CelProblem(f"syntax error: {exc}", exc.offset, exc.fix) from None
    checker = Checker(kinds, variables(kind, kinds, lists=lists))
    try:
        typ = checker.check(tree)
    except CelTypeError as exc:
        raise CelProblem(str(exc), exc.offset, exc.fix) from None
    if want == "number" and typ.name not in ("int", "uint", "double", "dyn"):
        raise CelProblem(f"the expression gives a {typ}, not a number", 0,
                         fix="measure something: fact.members.size(), "
                             "(now - fact.created_at).getHours(), ...")
    if want == "bool" and typ.name not in (want, "dyn"):
        raise CelProblem(f"the expression gives a {typ}, not true or false", 0,
                         fix="compare it: fact.size <= 8, has(fact.postmortem), ...")
    return typ, dict(checker.uses)


class Facts:
    """Facts as CEL values: only the fields an expression reads, links resolved.

    One per evaluation of a rule; links through ids (``service.team``) use
    indexes built on first use, converted joined facts are shared.
    """

    def __init__(self, store: Any, kinds: KindRegistry) -> None:
        self.store = store
        self.kinds = kinds
        self._index: dict[str, dict[str, Any]] = {}
        self._numbers: dict[str, frozenset[str]] = {}
        self._memo: dict[tuple[int, int], dict[str, Any]] = {}

    def _by_id(self, kind: str) -> dict[str, Any]:
        table = self._index.get(kind)
        if table is None:
            table = {}
            k = self.kinds.get(kind)
            try:
                rows = self.store.get(kind)
            except Exception:  # noqa: BLE001 - a failed source: its links resolve to nothing
                rows = []
            if k is not None:
                for f in rows:
                    for key in (k.id_field, *k.aliases):
                        if key and f.get(key) is not None:
                            table.setdefault(str(f[key]), f)
            self._index[kind] = table
        return table

    def _number_fields(self, kind: str) -> frozenset[str]:
        got = self._numbers.get(kind)
        if got is None:
            k = self.kinds.get(kind)
            schema = (k.schema_dict() if k is not None else None) or {}
            got = frozenset(
                name for name, sub in (schema.get("properties") or {}).items()
                if isinstance(sub, Mapping) and (sub.get("type") == "number" or (
                    isinstance(sub.get("type"), list) and "number" in sub["type"]
                    and "integer" not in sub["type"])))
            self._numbers[kind] = got
        return got

    def convert(self, kind: str | None, fact: Mapping[str, Any], uses: Uses,
                depth: int = 0) -> dict[str, Any]:
        """A CEL map of ``fact`` holding what ``uses`` reads."""
        key = (id(fact), id(uses))
        got = self._memo.get(key)
        if got is not None:
            return got
        k = self.kinds.get(kind) if kind is not None else None
        links = k.links if k is not None else {}
        joined = k.joined if k is not None else {}
        numbers = self._number_fields(kind) if kind is not None else frozenset()
        out: dict[str, Any] = {}
        names = [n for n in fact if n not in links] if uses.whole else list(uses)
        if uses.whole:
            names += [n for n in uses if n in links]
        for name in names:
            link = links.get(name)
            if link is not None:
                target = self._link(fact, name, link.via, link.kind, link.many)
                if target is None or depth > 12:
                    continue
                sub = uses.get(name) or Uses()
                out[name] = ([self.convert(link.kind, t, sub, depth + 1) for t in target]
                             if isinstance(target, list)
                             else self.convert(link.kind, target, sub, depth + 1))
                continue
            if name[:1] == "_" or name not in fact:
                continue
            value = fact[name]
            if value is None:
                continue  # null means absent (DATA.md): has() is false
            if name in joined:
                value = _plain(value, cut=True)
            elif name in numbers and type(value) is int:
                value = float(value)
            elif not (type(value) in _SCALARS or isinstance(value, datetime)):
                value = _plain(value)
            out[name] = value
        if len(self._memo) < 200_000:
            self._memo[key] = out
        return out

    def _link(self, fact: Mapping[str, Any], name: str, via: str | None, kind: str,
              many: bool) -> Any:
        if via is None:
            value = fact.get(name)
            if many:
                return [v for v in value if isinstance(v, Mapping)] \
                    if isinstance(value, list) else None
            return value if isinstance(value, Mapping) else None
        refs = fact.get(via)
        table = self._by_id(kind)
        if many:
            items = refs if isinstance(refs, list) else [] if refs is None else [refs]
            return [table[str(r)] for r in items
                    if not isinstance(r, Mapping) and str(r) in table]
        if refs is None or isinstance(refs, Mapping | list):
            return None
        return table.get(str(refs))


_SCALARS = frozenset({str, int, float, bool})


def _plain(value: Any, cut: bool = False, depth: int = 0) -> Any:
    """Plain data for CEL; ``cut`` drops nested mappings' own mappings (joined facts)."""
    if depth > 20:
        return None
    if type(value) in _SCALARS or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, timedelta):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, cut, depth + 1) for k, v in value.items()
                if v is not None and str(k)[:1] != "_"
                and not (cut and depth > 0 and isinstance(v, Mapping | list))}
    if isinstance(value, list | tuple):
        return [_plain(v, cut, depth + 1) for v in value if v is not None]
    return str(value)


def evaluate(compiled: Compiled, context: Any) -> bool:
    """Run ``compiled`` on a CEL context; :class:`EvalError` with a readable reason."""
    result = _execute(compiled, context)
    if not isinstance(result, bool):
        raise EvalError(f"the expression gave {excerpt(repr(result), 80)}, "
                        "not true or false")
    return result


def measure(compiled: Compiled, context: Any) -> int | float:
    """Run a ``value`` expression: a number, else :class:`EvalError`."""
    result = _execute(compiled, context)
    if isinstance(result, bool) or not isinstance(result, int | float):
        raise EvalError(f"the value expression gave {excerpt(repr(result), 80)}, "
                        "not a number")
    if not math.isfinite(result):
        # Double arithmetic divides by zero without an error (0.0 / 0.0 is NaN, 1.0 /
        # 0.0 infinity); NaN lies within every min/max (each comparison is false), so
        # a fact measured as NaN passed the rule unseen.
        raise EvalError(f"the value expression gave {result}, {NOT_FINITE} "
                        "(a division by zero?)")
    return result


def _execute(compiled: Compiled, context: Any) -> Any:
    try:
        return compiled.program.execute(context)
    except Exception as exc:  # noqa: BLE001 - every runtime error is one fact's error
        raise EvalError(explain_runtime_error(exc)) from None


def context(values: Mapping[str, Any]) -> Any:
    """A CEL context of ``values`` converted once, for several programs."""
    return runtime().Context(dict(values))
