"""The YAML loader: PyYAML's (libyaml's where it can), bounded, positions kept.

:mod:`guardrails.yamlio` is the API; it imports this module (and PyYAML) for
the first text it parses, not before: a warm run reads its config, rule packs
and org data from caches and never needs it.
"""

from __future__ import annotations

import gc
import math
from typing import Any

import yaml

from guardrails.errors import UsageError, end_of_text
from guardrails.yamlbase import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_NODES,
    PathKey,
    Position,
    _no_lone_surrogates,
    deep_offset,
    within_bounds,
)

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader: no timestamp resolution, duplicate keys are errors."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class BoundError(yaml.MarkedYAMLError):
    """A document asks for more work than guardrails allows (``fix``: the way out)."""

    def __init__(self, problem: str, mark: yaml.Mark, fix: str) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_INT_DIGITS:
        raise BoundError(
            f"an integer of {len(node.value)} characters is larger than guardrails accepts "
            f"(at most {MAX_INT_DIGITS} digits)",
            node.start_mark,
            "write a number of at most 100 digits, or quote it if it is an id or other text",
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[no-any-return]


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if ":" in node.value or "_" in node.value:  # YAML 1.1's base 60 and separators
        raise _yaml11_number(node, "a base-60 (sexagesimal) number" if ":" in node.value
                             else "a number with '_' separators", value)
    if not math.isfinite(value):
        raise BoundError(
            f"{_short(node.value)} is NaN or infinite; guardrails accepts only finite numbers",
            node.start_mark,
            "write a finite number, or leave the field out where it has no value",
        )
    return value  # type: ignore[no-any-return]


def _quoted(value: Any) -> str:
    from guardrails.textsafe import quoted

    return quoted(value, 60) if isinstance(value, str) else _short(repr(value), 60)


def _short(text: str, limit: int = 40) -> str:
    from guardrails.textsafe import excerpt

    return excerpt(text, limit)


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data: dict[Any, Any] = {}
    yield data
    # Keys pulled in by a '<<' merge may be overridden by explicit keys; only
    # two explicit keys with one name are a duplicate.
    explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Mark] = {}
    seen_explicit: dict[Any, bool] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark,
            ) from None
        if key in seen and id(key_node) in explicit and seen_explicit.get(key):
            first = seen[key]
            error = DuplicateKeyError(
                None, None,
                f"duplicate key {_quoted(key)} (first defined on line {first.line + 1})",
                key_node.start_mark,
            )
            error.fix = "remove one of them"  # type: ignore[attr-defined]
            raise error
        seen[key] = key_node.start_mark
        seen_explicit[key] = id(key_node) in explicit
        data[key] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _FiniteLoader(_Loader):
    """For org data: NaN and infinity are refused where they are written.

    Config and rule files keep them as floats: their validation reports a
    NaN with every other load error at once (all-errors listing).
    """


_FiniteLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _construct_plain_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An org data integer written as JSON, a spreadsheet or a person writes one.

    YAML 1.1 (PyYAML's reading) also takes ``4:05`` as the base-60 integer 245,
    ``017`` as octal 15, ``0x1F`` as 31 and ``1_000`` as 1000: a survey answer,
    a count or an id (``id: 017`` became the id "15") silently read as a number
    nobody meant. Refused at its position, with the value YAML 1.1 saw and the fix.
    """
    value = _construct_int(loader, node)
    text = node.value
    body = text.lstrip("+-")
    if ":" in text:
        what = "a base-60 (sexagesimal) integer"
    elif body[:2].lower() == "0x":
        what = "a hexadecimal integer"
    elif body[:2].lower() == "0b":
        what = "a binary integer"
    elif len(body) > 1 and body[0] == "0":
        what = "an octal integer (a leading 0)"
    elif "_" in text:
        what = "an integer with '_' separators"
    else:
        return value
    raise _yaml11_number(node, what, value)


def _yaml11_number(node: yaml.ScalarNode, what: str, value: float) -> BoundError:
    """The error for a plain scalar YAML 1.1 reads as a number nobody meant (``what``:
    how it read it; ``value``: what it made of it), with the fix."""
    return BoundError(
        f"{_short(node.value)} is read by YAML 1.1 as {what}, {value!r}, which is rarely "
        "what an org data file means", node.start_mark,
        f"quote it if it is text ('{_short(node.value)}'), or write the plain number {value!r}")


_FiniteLoader.add_constructor("tag:yaml.org,2002:int", _construct_plain_int)


def _pure_python(cls: type) -> type:
    """``cls`` with PyYAML's Python parser instead of libyaml's (same constructors)."""
    py = type(cls.__name__ + "Py", (yaml.SafeLoader,), {"__doc__": cls.__doc__})
    py.yaml_constructors = cls.yaml_constructors  # type: ignore[attr-defined]
    py.yaml_implicit_resolvers = cls.yaml_implicit_resolvers  # type: ignore[attr-defined]
    return py


# libyaml composes nested collections by C recursion: before libyaml bounded
# it (PyYAML < 6.0.4 ships an older one), a 100k-deep document overflowed
# the C stack and killed the process. A text that *may* nest deeper than
# MAX_DEPTH is parsed by the Python parser, whose recursion is caught.
_LoaderPy = _pure_python(_Loader)
_FiniteLoaderPy = _pure_python(_FiniteLoader)
def check_bounds(root: yaml.Node) -> None:
    """Refuse a node graph nested too deep or expanding (through aliases) too far.

    Aliased nodes are shared in the graph PyYAML composes, so the graph stays
    small while the tree it stands for can be exponential. Each distinct node
    is visited once (post-order, no recursion), its expanded size and height
    computed from its children's.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    distinct = 0
    scalar = yaml.ScalarNode
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size and not done:
            continue
        if isinstance(node, yaml.ScalarNode):
            size[key], height[key] = 1, 0
            distinct += 1
            continue
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = list(node.value)
        if not done:
            size[key] = -1  # in progress: met again below it, it contains itself
            stack.append((node, True))
            for c in children:
                ck = id(c)
                if ck in size:
                    continue
                if type(c) is scalar:  # leaves inline: most nodes are scalars
                    size[ck], height[ck] = 1, 0
                    distinct += 1
                else:
                    stack.append((c, False))
            continue
        distinct += 1
        if any(size[id(c)] < 0 for c in children):
            raise BoundError(
                "an alias refers to a node that contains it (a cycle)", node.start_mark,
                "write the value out where the alias (*name) stands inside its own anchor",
            )
        total = 1 + sum(size[id(c)] for c in children)
        up = 1 + max((height.get(id(c), 0) for c in children), default=0)
        size[key], height[key] = total, up
        if up > MAX_DEPTH:
            raise BoundError(
                f"the document nests mappings and sequences more than {MAX_DEPTH} levels deep",
                node.start_mark, _NEST_FIX,
            )
        if total - distinct > MAX_NODES:
            raise BoundError(
                f"aliases expand the document to more than {MAX_NODES} nodes "
                "(an alias bomb such as 'billion laughs')",
                node.start_mark, "write the records out instead of repeating aliases of aliases",
            )


#: the way out of a document nested too deep (the walk's bound and the parser's)
_NEST_FIX = f"flatten the document: nest mappings and lists at most {MAX_DEPTH} levels deep"

#: the way out of a syntax error PyYAML describes in its own words
_SYNTAX_FIX = ("correct the YAML there or just above it: quote a value that holds ': ' or ' #' or "
               "starts with one of *&!|>'\"%@`, close every quote and bracket, and line up "
               "the indentation")

#: the way out of a bad backslash escape inside double quotes
_ESCAPE_FIX = ("write the character itself; inside double quotes a backslash is written \\\\ "
               "(in single quotes it is plain)")


def _yaml_error(exc: yaml.YAMLError, display: str, text: str = "") -> UsageError:
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.position, int):
        return _reader_error(exc, display, text)
    context_mark = getattr(exc, "context_mark", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    problem = getattr(exc, "problem", None) or str(exc)
    if context_mark is not None and ("end of stream" in str(problem) or (
            mark is not None and text and mark.index >= len(text.rstrip()))):
        # An unclosed quote or bracket (the file ends inside it): where it was opened
        # is what needs fixing, not the line after the last one.
        mark = context_mark
    context = getattr(exc, "context", None)
    msg = f"invalid YAML: {problem}"
    if context and not isinstance(exc, DuplicateKeyError | BoundError):
        msg += f" ({context})"
    fix: str | None = getattr(exc, "fix", None)
    if mark is not None and fix is None:
        lines = text.split("\n", mark.line + 1)
        row = lines[mark.line] if mark.line < len(lines) else ""
        if "\t" in row[:len(row) - len(row.lstrip())] or row[mark.column:mark.column + 1] == "\t":
            # a tab indenting the line: "cannot start any token", or odd indentation
            fix = "indent with spaces: YAML does not allow tabs for indentation"
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    if mark is not None and text and mark.index >= len(text.rstrip()):
        line, column = end_of_text(text)  # not the line after the last one
    return UsageError(
        msg,
        file=display,
        line=line,
        column=column,
        fix=fix or (_ESCAPE_FIX if "escape" in str(problem) or "hexdecimal" in str(problem)
                    else _SYNTAX_FIX),
    )


def _reader_error(exc: yaml.reader.ReaderError, display: str, text: str) -> UsageError:
    """A character YAML does not allow in its text (a raw NUL, BEL, ESC...): where it
    is, by line and column, not PyYAML's offset into '<unicode string>'."""
    at = min(exc.position, len(text))
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return UsageError(
        f"invalid YAML: U+{code:04X}, a control or special character, is not allowed in "
        "YAML text",
        file=display, line=text.count("\n", 0, at) + 1,
        column=at - (text.rfind("\n", 0, at) + 1) + 1,
        fix="remove it, or write it as an escape inside double quotes (\"\\x07\"); a NUL "
            "usually means a binary file, or text saved as UTF-16",
    )


def load(
    text: str, display: str, *, positions: bool = False, finite: bool = False
) -> tuple[Any, dict[PathKey, Position]]:
    """Parse one YAML document. With ``positions`` also map each path to (line, col).

    With ``finite`` (org data), ``.nan`` and ``.inf`` are refused at their position.
    """
    deep = deep_offset(text)
    if deep is not None:
        loader = (_FiniteLoaderPy if finite else _LoaderPy)(text)
    else:
        loader = (_FiniteLoader if finite else _Loader)(text)
    was_on = gc.isenabled()  # gc_paused() inline: a generator's cost on each small text
    gc.disable()
    try:
        node = loader.get_single_node()
        if node is not None and not within_bounds(text):
            check_bounds(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, display, text) from None
    except RecursionError:  # the pure-Python composer, without libyaml's own limit
        at = deep or 0
        line = text.count("\n", 0, at) + 1
        raise UsageError(
            "invalid YAML: exceeded maximum nesting depth: the document nests mappings "
            f"and sequences more than {MAX_DEPTH} levels deep",
            file=display, line=line, column=at - (text.rfind("\n", 0, at) + 1) + 1,
            fix=_NEST_FIX,
        ) from None
    finally:
        loader.dispose()
        if was_on:
            gc.enable()
    if "\\u" in text or "\\U" in text:
        _no_lone_surrogates(data, text, display)
    pos: dict[PathKey, Position] = {}
    if positions and node is not None:
        _walk(node, (), pos)
    return data, pos


def _walk(node: yaml.Node, path: PathKey, pos: dict[PathKey, Position]) -> None:
    pos.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            sub = (*path, key)
            # Point at the key: that is the line the user wrote the entry on.
            pos[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, sub, pos)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), pos)


def node_at(text: str, path: PathKey) -> yaml.Node | None:
    """The node at ``path`` of a YAML text, with its marks and style; None when absent.

    For messages that point inside a value (a character of a rule's CEL
    expression). Composed under the same bounds as :func:`load`.
    """
    loader = (_LoaderPy if deep_offset(text) is not None else _Loader)(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            check_bounds(node)
    except (yaml.YAMLError, UsageError, RecursionError):
        return None
    finally:
        loader.dispose()
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value
                         if isinstance(k, yaml.ScalarNode) and k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node
