"""A bounded parser for the Common Expression Language, for load-time checks.

The runtime (``common-expression-language``, Rust) compiles and evaluates
expressions but shows no syntax tree, so nothing could tell a rule's author
that ``fact.severty`` names no field, or that ``fact.resolved_at < 5``
compares a timestamp with a number, before a run. This module parses the
grammar of the CEL specification (langdef.md: ternary, ``||``, ``&&``,
relations with ``in``, arithmetic, unary ``!``/``-``, member access, calls,
indexing, list and map literals, every literal form) into :class:`Node`
trees that :mod:`guardrails.celrules.check` walks (the tokens it parses come
from :mod:`guardrails.celrules.lexer`). Message construction
(``Type{field: value}``) is refused: facts are maps, no rule needs it.

Hostile input is bounded before any work: at most :data:`MAX_LENGTH`
characters, :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` nodes,
so no expression reaches Python's recursion limit here, nor the Rust
parser's (which refuses deep nesting with an error of its own).
"""

from __future__ import annotations

from typing import Any

from guardrails.celrules.lexer import CelSyntaxError, Token, tokens
from guardrails.records import record

#: Longest expression, deepest nesting, most nodes a rule's expression may have.
MAX_LENGTH = 2000
MAX_DEPTH = 24
MAX_NODES = 1000

RESERVED = frozenset({
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
    "loop", "package", "namespace", "return", "var", "void", "while",
})


@record(frozen=True, slots=True)
class Node:
    """One node of an expression.

    ``op`` is one of ``lit`` (``value`` the Python value, ``kind`` its CEL
    type), ``ident`` (``value`` the name), ``select`` (``value`` the field,
    ``args[0]`` the operand), ``call`` (``value`` the function; ``target``
    the receiver of a member call), ``index``, ``list``, ``map`` (args are
    key, value, key, value...), ``unary``/``binary`` (``value`` the
    operator) and ``cond`` (args: condition, then, else). ``pos`` is the
    character offset where the node starts (an operator's node starts at the
    operator, so errors point at it).
    """

    op: str
    pos: int
    value: Any = None
    args: tuple[Node, ...] = ()
    target: Node | None = None
    kind: str = ""

    def __init__(self, op: str, pos: int, value: Any = None, args: tuple[Node, ...] = (),
                 target: Node | None = None, kind: str = "") -> None:
        _set = object.__setattr__
        _set(self, "op", op)
        _set(self, "pos", pos)
        _set(self, "value", value)
        _set(self, "args", args)
        _set(self, "target", target)
        _set(self, "kind", kind)


_RELATIONS = ("<", "<=", ">", ">=", "==", "!=", "in")


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = tokens(src)
        self.i = 0
        self.depth = 0
        self.nodes = 0

    # --- helpers ------------------------------------------------------------------
    def peek(self) -> Token:
        return self.toks[self.i]

    def at(self, *texts: str) -> bool:
        t = self.toks[self.i]
        return t.kind in ("op", "ident") and t.text in texts

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str, what: str) -> Token:
        t = self.peek()
        if t.kind == "op" and t.text == text:
            return self.take()
        got = "the end of the expression" if t.kind == "end" else repr(t.text)
        raise CelSyntaxError(f"expected {text!r} {what}, found {got}", t.pos)

    def node(self, *a: Any, **k: Any) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CelSyntaxError(f"the expression has more than {MAX_NODES} parts", a[1],
                                 fix="split the rule in two")
        return Node(*a, **k)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CelSyntaxError(f"the expression nests deeper than {MAX_DEPTH} levels", pos,
                                 fix="flatten it: fewer parentheses, brackets or '?:'")

    # --- grammar ------------------------------------------------------------------
    def expr(self) -> Node:
        start = self.peek().pos
        self.enter(start)
        cond = self.binary_or()
        if self.at("?"):
            q = self.take()
            then = self.binary_or()
            self.expect(":", "after the '?' branch")
            other = self.expr()
            cond = self.node("cond", q.pos, "?:", (cond, then, other))
        self.depth -= 1
        return cond

    def binary_or(self) -> Node:
        left = self.binary_and()
        while self.at("||"):
            op = self.take()
            left = self.node("binary", op.pos, "||", (left, self.binary_and()))
        return left

    def binary_and(self) -> Node:
        left = self.relation()
        while self.at("&&"):
            op = self.take()
            left = self.node("binary", op.pos, "&&", (left, self.relation()))
        return left

    def relation(self) -> Node:
        left = self.addition()
        while self.at(*_RELATIONS) and (self.peek().kind == "op" or self.peek().text == "in"):
            op = self.take()
            left = self.node("binary", op.pos, op.text, (left, self.addition()))
        return left

    def addition(self) -> Node:
        left = self.multiplication()
        while self.at("+", "-"):
            op = self.take()
            left = self.node("binary", op.pos, op.text, (left, self.multiplication()))
        return left

    def multiplication(self) -> Node:
        left = self.unary()
        while self.at("*", "/", "%"):
            op = self.take()
            left = self.node("binary", op.pos, op.text, (left, self.unary()))
        return left

    def unary(self) -> Node:
        if self.at("!", "-"):
            op = self.take()
            self.enter(op.pos)
            operand = self.unary()
            self.depth -= 1
            if op.text == "-" and operand.op == "lit" and operand.kind in ("int", "double") \
                    and isinstance(operand.value, int | float) and operand.pos == op.pos + 1:
                return self.node("lit", op.pos, -operand.value, kind=operand.kind)
            return self.node("unary", op.pos, op.text, (operand,))
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            if self.at("."):
                dot = self.take()
                name = self.take()
                if name.kind != "ident":
                    raise CelSyntaxError("expected a field name after '.'", name.pos)
                if name.text in RESERVED or name.text in ("in", "true", "false", "null"):
                    raise CelSyntaxError(f"{name.text!r} is a reserved word", name.pos,
                                         fix=f"index the field: x[\"{name.text}\"]")
                if self.at("("):
                    args = self.arguments()
                    node = self.node("call", name.pos, name.text, args, target=node)
                else:
                    node = self.node("select", dot.pos + 1, name.text, (node,))
            elif self.at("["):
                b = self.take()
                self.enter(b.pos)
                index = self.expr()
                self.depth -= 1
                self.expect("]", "to close the index")
                node = self.node("index", b.pos, "[]", (node, index))
            elif self.at("{"):
                raise CelSyntaxError("message construction is not available in rules",
                                     self.peek().pos, fix="facts are maps: build a map {...}")
            else:
                return node

    def arguments(self) -> tuple[Node, ...]:
        open_ = self.take()
        self.enter(open_.pos)
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.take()
                args.append(self.expr())
        self.expect(")", "to close the call")
        self.depth -= 1
        return tuple(args)

    def primary(self) -> Node:
        t = self.peek()
        if t.kind == "num":
            self.take()
            return self.node("lit", t.pos, t.value, kind=t.lit)
        if t.kind == "str":
            self.take()
            return self.node("lit", t.pos, t.value, kind=t.lit)
        if t.kind == "ident":
            self.take()
            if t.text in ("true", "false"):
                return self.node("lit", t.pos, t.text == "true", kind="bool")
            if t.text == "null":
                return self.node("lit", t.pos, None, kind="null")
            if t.text in RESERVED or t.text == "in":
                raise CelSyntaxError(f"{t.text!r} is a reserved word", t.pos)
            if self.at("("):
                return self.node("call", t.pos, t.text, self.arguments())
            return self.node("ident", t.pos, t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            inner = self.expr()
            self.expect(")", "to close the parenthesis")
            return inner
        if t.kind == "op" and t.text == "[":
            self.take()
            self.enter(t.pos)
            items: list[Node] = []
            while not self.at("]"):
                items.append(self.expr())
                if not self.at(","):
                    break
                self.take()
            self.expect("]", "to close the list")
            self.depth -= 1
            return self.node("list", t.pos, None, tuple(items))
        if t.kind == "op" and t.text == "{":
            self.take()
            self.enter(t.pos)
            entries: list[Node] = []
            while not self.at("}"):
                entries.append(self.expr())
                self.expect(":", "between a map key and its value")
                entries.append(self.expr())
                if not self.at(","):
                    break
                self.take()
            self.expect("}", "to close the map")
            self.depth -= 1
            return self.node("map", t.pos, None, tuple(entries))
        if t.kind == "op" and t.text == ".":
            raise CelSyntaxError("a leading '.' (root namespace) is not available in rules",
                                 t.pos)
        if t.kind == "end":
            raise CelSyntaxError("the expression ends where a value is expected", t.pos,
                                 fix="complete it: an operator ('>', '&&', '+', ...) needs a "
                                 "value on its right, e.g. fact.members.size() > 2")
        raise CelSyntaxError(f"unexpected {t.text!r} where a value is expected", t.pos,
                             fix="write a value there: a field (fact.severity), a number, "
                             "'text', a list [..] or a call such as size(x)")


def parse(src: str) -> Node:
    """The syntax tree of ``src``; :class:`CelSyntaxError` (with its offset) when invalid."""
    if len(src) > MAX_LENGTH:
        raise CelSyntaxError(f"the expression is longer than {MAX_LENGTH} characters",
                             MAX_LENGTH, fix="split the rule in two")
    if not src.strip():
        raise CelSyntaxError("the expression is empty", 0)
    p = _Parser(src)
    tree = p.expr()
    t = p.peek()
    if t.kind != "end":
        raise CelSyntaxError(f"unexpected {t.text!r} after a complete expression", t.pos,
                             fix="join conditions with && or ||")
    return tree
