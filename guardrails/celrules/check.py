"""Load-time checks of a rule's CEL expression: names, fields and types.

The runtime (``common-expression-language``) checks nothing before it runs:
an unknown field is a ``KeyError`` on the first fact, ``timestamp < int`` a
``TypeError``. A rule must fail at load instead (exit 4, file, line and
column), so this module types the tree of :mod:`guardrails.celrules.parse`
against the fact kind: the kind's JSON Schema gives its fields and their
types, its ``timestamps``/``dates`` are ``timestamp``s, its ``links``
(:class:`guardrails.kinds.Link`) and ``joined`` fields are facts of another
kind. ``now`` is a timestamp, ``window`` a duration.

It is a small checker, not CEL's full one: ``dyn`` (a field whose schema
allows several types, an unknown kind's field, a map's value) passes every
check, as in CEL. The walk is bounded by the parser's node limit and visits
every node once. It also records which fields the expression reads (a
:class:`Uses` tree), so evaluation converts only those to CEL values.
"""

from __future__ import annotations

from collections.abc import Mapping

from guardrails.celrules.parse import Node
from guardrails.celrules.types import (
    ARITH,
    BOOL,
    CONVERSIONS,
    CONVERTS_FROM,
    DURATION,
    DYN,
    GLOBALS,
    INT,
    MACROS,
    MAP,
    METHODS,
    NUMERIC,
    STRING,
    TIMESTAMP,
    TYPE,
    CelTypeError,
    T,
    comparable,
    fix_for,
    join_types,
    literal_time,
    schema_type,
)
from guardrails.celrules.uses import Uses
from guardrails.checks.conditions import did_you_mean, kind_fields
from guardrails.kinds import KindRegistry
from guardrails.records import record


def an(t: object) -> str:
    """``a timestamp``, ``an int``."""
    text = str(t)
    return f"{'an' if text[:1] in 'aeiou' else 'a'} {text}"


__all__ = ["CelTypeError", "Checker", "T", "Uses", "variables"]

@record
class _Val:
    """The static type of a sub-expression, and where its fact reads are recorded."""

    type: T
    uses: Uses | None = None  # where this value's own reads are recorded (facts only)

    def __init__(self, type: T, uses: Uses | None = None) -> None:
        self.type = type
        self.uses = uses


class Checker:
    """Types one expression over a fact kind (or none), recording the fields it reads."""

    def __init__(self, kinds: KindRegistry, variables: Mapping[str, T]) -> None:
        self.kinds = kinds
        self.scope: dict[str, _Val] = {}
        self.uses: dict[str, Uses] = {}
        for name, typ in variables.items():
            uses = None
            if typ.name == "fact" or (typ.name == "list" and typ.elem is not None
                                      and typ.elem.name == "fact"):
                uses = self.uses[name] = Uses()
            self.scope[name] = _Val(typ, uses)

    # --- fields -------------------------------------------------------------------
    def field_type(self, owner: T, name: str, pos: int) -> T:
        """The type of ``owner.name``; CelTypeError when ``owner`` has no such field."""
        if owner.name == "fact":
            k = self.kinds.get(owner.kind)
            if k is None:
                return DYN
            link = k.links.get(name)
            if link is not None:
                target = T("fact", kind=link.kind)
                return T("list", target) if link.many else target
            if name in k.joined:
                return DYN  # a plugin's join without a declared link: shape unknown
            if name in (*k.timestamps, *k.dates):
                return TIMESTAMP
            fields = kind_fields(owner.kind, self.kinds)
            if fields is None:
                return DYN
            if name not in fields:
                raise CelTypeError(
                    f"{owner.kind} have no field {name!r}", pos,
                    fix=did_you_mean(name, fields)
                    or f"{owner.kind} fields: {', '.join(sorted(fields))}")
            schema = k.schema_dict() or {}
            return schema_type((schema.get("properties") or {}).get(name), schema)
        if owner.name == "object":
            props = owner.schema.get("properties") or {}
            if name not in props:
                if owner.schema.get("additionalProperties") is False or props:
                    title = owner.schema.get("title") or "object"
                    raise CelTypeError(
                        f"{title} has no field {name!r}", pos,
                        fix=did_you_mean(name, props) or f"{title} fields: "
                        f"{', '.join(sorted(props))}")
                return DYN
            return schema_type(props[name], owner.root)
        if owner.name in ("map", "dyn"):
            return DYN
        raise CelTypeError(f"{an(owner)} has no fields (.{name})", pos)

    # --- the walk ----------------------------------------------------------------
    def check(self, node: Node) -> T:
        """The type of ``node``; CelTypeError at the first problem."""
        return self.value(node, whole=True).type

    def value(self, node: Node, whole: bool = False) -> _Val:
        v = self._value(node)
        if whole and v.uses is not None:
            v.uses.whole = True
        return v

    def _value(self, n: Node) -> _Val:
        op = n.op
        if op == "lit":
            return _Val(T(n.kind))
        if op == "ident":
            got = self.scope.get(n.value)
            if got is None:
                raise CelTypeError(
                    f"unknown name {n.value!r}", n.pos,
                    fix=did_you_mean(n.value, self.scope)
                    or f"known names: {', '.join(sorted(self.scope))}")
            return got
        if op == "select":
            owner = self.value(n.args[0])
            typ = self.field_type(owner.type, n.value, n.pos)
            uses = owner.uses.child(n.value) if owner.uses is not None else None
            return _Val(typ, uses if _holds_facts(typ) else None)
        if op == "index":
            owner = self.value(n.args[0])
            key = self.value(n.args[1], whole=True).type
            t = owner.type
            if t.name == "list":
                if key.name not in ("int", "uint", "dyn"):
                    raise CelTypeError(f"a list is indexed by an int, not {an(key)}", n.args[1].pos)
                elem = t.elem or DYN
                return _Val(elem, owner.uses if elem.name == "fact" else None)
            if t.name in ("fact", "object") and n.args[1].op == "lit" and key.name == "string":
                typ = self.field_type(t, n.args[1].value, n.args[1].pos)
                uses = owner.uses.child(n.args[1].value) if owner.uses is not None else None
                return _Val(typ, uses if _holds_facts(typ) else None)
            if owner.uses is not None:
                owner.uses.whole = True
            if t.name in ("map", "dyn", "fact", "object"):
                return _Val(DYN)
            raise CelTypeError(f"{an(t)} cannot be indexed", n.pos)
        if op == "list":
            items = [self.value(a, whole=True).type for a in n.args]
            return _Val(T("list", join_types(items)))
        if op == "map":
            for a in n.args:
                self.value(a, whole=True)
            return _Val(MAP)
        if op == "unary":
            t = self.value(n.args[0], whole=True).type
            if n.value == "!":
                self._want_bool(t, n.args[0].pos, "'!'")
                return _Val(BOOL)
            if t.name not in ("int", "double", "duration", "dyn"):
                raise CelTypeError(f"'-' does not apply to {an(t)}", n.pos)
            return _Val(t)
        if op == "cond":
            c = self.value(n.args[0], whole=True).type
            self._want_bool(c, n.args[0].pos, "the condition of '?:'")
            yes = self.value(n.args[1], whole=True).type
            no = self.value(n.args[2], whole=True).type
            return _Val(join_types([yes, no]))
        if op == "binary":
            return _Val(self._binary(n))
        if op == "call":
            return self._call(n)
        raise CelTypeError(f"unexpected {op}", n.pos)  # pragma: no cover - parser's ops

    def _want_bool(self, t: T, pos: int, what: str) -> None:
        if t.name not in ("bool", "dyn"):
            raise CelTypeError(f"{what} needs true or false, not {an(t)}", pos,
                               fix="compare it: == , != , < , ... or use has()")

    def _binary(self, n: Node) -> T:
        op = n.value
        a = self.value(n.args[0], whole=True).type
        b = self.value(n.args[1], whole=True).type
        if op in ("&&", "||"):
            self._want_bool(a, n.args[0].pos, f"{op!r}")
            self._want_bool(b, n.args[1].pos, f"{op!r}")
            return BOOL
        if "dyn" in (a.name, b.name):
            return BOOL if op in ("<", "<=", ">", ">=", "==", "!=", "in") else DYN
        if op in ("==", "!="):
            if not comparable(a, b):
                raise CelTypeError(f"{op} compares {an(a)} with {an(b)}: never equal", n.pos,
                                   fix=fix_for(a, b))
            return BOOL
        if op in ("<", "<=", ">", ">="):
            if not (a.name in NUMERIC and b.name in NUMERIC
                    or a.name == b.name and a.name in ("string", "bytes", "bool",
                                                       "timestamp", "duration")):
                raise CelTypeError(f"{op} cannot order {an(a)} and {an(b)}", n.pos,
                                   fix=fix_for(a, b))
            return BOOL
        if op == "in":
            if b.name == "list":
                if b.elem is not None and not comparable(a, b.elem):
                    raise CelTypeError(f"'in' looks for {an(a)} in {an(b)}", n.pos,
                                       fix=fix_for(a, b.elem))
                return BOOL
            if b.name in ("map", "fact", "object"):
                return BOOL
            raise CelTypeError(f"'in' needs a list or a map on its right, not {an(b)}", n.pos)
        result = ARITH.get((op, a.name, b.name))
        if result is not None:
            return result
        if op in "+-*/" and a.name == b.name and a.name in ("int", "uint", "double") \
                or op == "%" and a.name == b.name and a.name in ("int", "uint"):
            return a
        if op == "+" and a.name == b.name and a.name in ("string", "bytes"):
            return a
        if op == "+" and a.name == b.name == "list":
            return T("list", join_types([a.elem or DYN, b.elem or DYN]))
        raise CelTypeError(f"{op} does not apply to {an(a)} and {an(b)}", n.pos, fix=fix_for(a, b))

    def _call(self, n: Node) -> _Val:
        name = n.value
        if n.target is None:
            return self._global(n)
        if name in MACROS:
            return self._macro(n)
        recv = self.value(n.target)
        t = recv.type
        family = "map" if t.name in ("fact", "object") else t.name
        if family == "dyn":
            for a in n.args:
                self.value(a, whole=True)
            if recv.uses is not None:
                recv.uses.whole = True
            return _Val(DYN)
        methods = METHODS.get(family, {})
        sig = methods.get(name)
        if sig is None:
            known = sorted(methods)
            raise CelTypeError(
                f"{an(t)} has no function {name}()", n.pos,
                fix=(did_you_mean(name, known) or "")
                + (f" functions of {an(t)}: {', '.join(known)}" if known else ""))
        self._args(n, sig[0])
        if name == "matches":
            self._regex(n.args[0])
        return _Val(sig[1])

    def _args(self, n: Node, want: tuple[T, ...]) -> None:
        if len(n.args) != len(want):
            raise CelTypeError(f"{n.value}() takes {len(want)} argument(s), not {len(n.args)}",
                               n.pos)
        for a, w in zip(n.args, want, strict=True):
            got = self.value(a, whole=True).type
            if got.name not in (w.name, "dyn"):
                raise CelTypeError(f"{n.value}() needs {an(w)} here, not {an(got)}", a.pos)

    def _regex(self, arg: Node) -> None:
        if arg.op == "lit" and isinstance(arg.value, str):
            from guardrails.saferegex import compile_pattern

            try:
                compile_pattern(arg.value)
            except ValueError as exc:
                raise CelTypeError(f"matches(): {exc}", arg.pos) from None

    def _global(self, n: Node) -> _Val:
        name = n.value
        if name not in GLOBALS:
            raise CelTypeError(f"unknown function {name}()", n.pos,
                               fix=did_you_mean(name, GLOBALS)
                               or f"functions: {', '.join(GLOBALS)}")
        if name == "has":
            if len(n.args) != 1 or n.args[0].op != "select":
                raise CelTypeError("has() takes one field: has(fact.postmortem)", n.pos)
            sel = n.args[0]
            owner = self.value(sel.args[0])
            typ = self.field_type(owner.type, sel.value, sel.pos)
            if owner.uses is not None:
                owner.uses.child(sel.value)
            del typ
            return _Val(BOOL)
        if len(n.args) != 1:
            raise CelTypeError(f"{name}() takes one argument", n.pos)
        arg = n.args[0]
        t = self.value(arg, whole=True).type
        if name == "size":
            if t.name not in ("string", "bytes", "list", "map", "fact", "object", "dyn"):
                raise CelTypeError(f"size() of {an(t)}", arg.pos)
            return _Val(INT)
        if name in ("dyn", "type"):
            return _Val(DYN if name == "dyn" else TYPE)
        if name in ("timestamp", "duration"):
            if t.name == name or t.name == "dyn":
                return _Val(T(name))
            if t.name != "string":
                raise CelTypeError(f"{name}() reads a string, not {an(t)}", arg.pos)
            if arg.op == "lit":
                literal_time(name, arg)
            return _Val(T(name))
        if t.name not in CONVERTS_FROM[name] | {"dyn"}:
            raise CelTypeError(f"{name}() cannot convert {an(t)}", arg.pos)
        return _Val(CONVERSIONS[name])

    def _macro(self, n: Node) -> _Val:
        name = n.value
        assert n.target is not None
        rng = self.value(n.target)
        t = rng.type
        if t.name == "list":
            elem = _Val(t.elem or DYN, rng.uses if (t.elem or DYN).name == "fact" else None)
        elif t.name in ("map", "fact", "object", "dyn"):
            elem = _Val(STRING if t.name != "dyn" else DYN)
            if rng.uses is not None:
                rng.uses.whole = True
        else:
            raise CelTypeError(f"{name}() needs a list or a map, not {an(t)}", n.target.pos)
        arity = (2, 3) if name == "map" else (2,)
        if len(n.args) not in arity or n.args[0].op != "ident":
            raise CelTypeError(f"{name}() takes a variable name and an expression: "
                               f"{name}(x, ...)", n.pos)
        var = n.args[0].value
        if var in ("fact", "now", "window") or var in self.uses:
            raise CelTypeError(f"{name}(): {var!r} is taken, name the variable otherwise",
                               n.args[0].pos)
        outer = self.scope.get(var)
        self.scope[var] = elem
        try:
            body = [self.value(a, whole=True).type for a in n.args[1:]]
        finally:
            if outer is None:
                del self.scope[var]
            else:
                self.scope[var] = outer
        if name in ("all", "exists", "exists_one", "filter") or len(body) == 2:
            self._want_bool(body[0], n.args[1].pos, f"{name}()")
        if name == "map":
            return _Val(T("list", body[-1]))
        if name == "filter":
            return _Val(t if t.name == "list" else T("list", elem.type), rng.uses)
        return _Val(BOOL)


def _holds_facts(t: T) -> bool:
    return t.name == "fact" or t.name == "list" and t.elem is not None and t.elem.name == "fact"


def variables(kind: str | None, kinds: KindRegistry, *,
              lists: tuple[str, ...] = ()) -> dict[str, T]:
    """What an expression sees: ``now``, ``window`` and ``fact`` (or, with ``lists``,
    each of those kinds' facts as a list named after the kind)."""
    out = {"now": TIMESTAMP, "window": DURATION}
    if lists:
        for name in lists:
            out[name] = T("list", T("fact", kind=name) if name in kinds else MAP)
    else:
        out["fact"] = T("fact", kind=kind) if kind is not None and kind in kinds else MAP
    return out
