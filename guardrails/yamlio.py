"""YAML loading that keeps line numbers and refuses duplicate keys.

PyYAML keeps the last of two equal keys silently; guardrails refuses them.
Timestamps and dates stay strings (as they are in JSON and CSV), so every
format reaches validation in the same shape. Positions are computed from the
node tree: exact lines for error messages, never guesses.

Every YAML text guardrails reads (config, rules, data files, postmortem front
matter) goes through :func:`load`, which bounds the work a document can ask
for before anything is built from it:

- aliases: the node tree a document expands to (each ``*alias`` counting the
  whole subtree it names) holds at most :data:`MAX_NODES` nodes beyond the
  nodes actually written, so a "billion laughs" is refused at once, in flat
  memory (the check walks each written node once);
- nesting: at most :data:`MAX_DEPTH` levels of mappings and sequences;
- numbers: no integer written with more than :data:`MAX_INT_DIGITS`
  characters (Python refuses to print integers of more than 4300 digits;
  nobody needs more than 100); with ``finite=True`` (org data) no NaN or
  infinity (``.nan``, ``.inf``, ``1e999``) either. Config and rule files
  check NaN in their validation, which lists every load error at once.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from guardrails.errors import UsageError

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Position = tuple[int, int]
PathKey = tuple[Any, ...]


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader: no timestamp resolution, duplicate keys are errors."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


#: Nodes an alias expansion may add beyond the nodes written in the text.
MAX_NODES = 100_000
#: Levels of nested mappings and sequences.
MAX_DEPTH = 100
#: Characters of an integer scalar.
MAX_INT_DIGITS = 100
#: Bytes of a text file guardrails reads (config, rules, data).
MAX_FILE_BYTES = 1 << 30


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class BoundError(yaml.MarkedYAMLError):
    """A document asks for more work than guardrails allows."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_INT_DIGITS:
        raise BoundError(
            None, None,
            f"an integer of {len(node.value)} characters is larger than guardrails accepts "
            f"(at most {MAX_INT_DIGITS} digits)",
            node.start_mark,
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[no-any-return]


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise BoundError(
            None, None,
            f"{_short(node.value)} is NaN or infinite; guardrails accepts only finite numbers",
            node.start_mark,
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
            raise DuplicateKeyError(
                None, None,
                f"duplicate key {_quoted(key)} (first defined on line {first.line + 1}); "
                "remove one of them",
                key_node.start_mark,
            )
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
_DEEP_LINE = re.compile(rf"^[ \t?:-]{{{MAX_DEPTH},}}", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")


def deep_offset(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Where ``text`` may start nesting collections more than ``limit`` deep, else None.

    Over-approximates (brackets inside strings count too): an offset only
    sends the text to the slower Python parser, which then judges exactly.
    """
    m = _DEEP_LINE.search(text)  # block nesting needs indentation or "- - -"
    if m:
        return m.start()
    depth = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif depth:
            depth -= 1
    return None


def within_bounds(text: str) -> bool:
    """Whether ``text`` surely composes within :func:`check_bounds`'s limits (no walk needed).

    Without an alias (``*``) the node graph is a tree: nothing expands and
    nothing contains itself, so only the height can exceed its bound. Every
    mapping and sequence needs an indicator of its own (``:``, ``?``, ``-``,
    ``[`` or ``{``), so a text with at most MAX_DEPTH of them cannot nest
    deeper. A postmortem's front matter passes (the walk was ~18 µs of a
    ~80 µs parse, 5,000 times at 100k facts); anything else is walked.
    """
    if "*" in text:
        return False
    count = text.count
    return count(":") + count("?") + count("-") + count("[") + count("{") <= MAX_DEPTH


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
                None, None, "an alias refers to a node that contains it (a cycle)",
                node.start_mark,
            )
        total = 1 + sum(size[id(c)] for c in children)
        up = 1 + max((height.get(id(c), 0) for c in children), default=0)
        size[key], height[key] = total, up
        if up > MAX_DEPTH:
            raise BoundError(
                None, None,
                f"the document nests mappings and sequences more than {MAX_DEPTH} levels deep",
                node.start_mark,
            )
        if total - distinct > MAX_NODES:
            raise BoundError(
                None, None,
                f"aliases expand the document to more than {MAX_NODES} nodes "
                "(an alias bomb such as 'billion laughs')",
                node.start_mark,
            )


def read_bytes(path: Path, display: str | None = None) -> bytes:
    """The bytes of a regular file; a FIFO, device or socket is refused, never waited on.

    The file is opened without blocking (a FIFO with no writer would hang a
    plain ``open``) and checked on the open descriptor, so nothing can swap
    it between the check and the read.
    """
    shown = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(f"cannot read file: {exc.strerror}", file=shown) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            from guardrails.paths import kind_of

            raise UsageError(
                f"{kind_of(st.st_mode)}, not a regular file; guardrails reads only files",
                file=shown, fix="replace it with a regular file",
            )
        if st.st_size > MAX_FILE_BYTES:
            raise UsageError(
                f"the file has {st.st_size} bytes, more than guardrails reads "
                f"({MAX_FILE_BYTES} bytes)", file=shown, fix="split or trim the file",
            )
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise UsageError(
                f"the file has more than {MAX_FILE_BYTES} bytes", file=shown,
                fix="split or trim the file",
            )
        return b"".join(chunks)
    except OSError as exc:
        raise UsageError(f"cannot read file: {exc.strerror}", file=shown) from None
    finally:
        os.close(fd)


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file (a BOM is tolerated); anything else is a UsageError."""
    shown = display or str(path)
    return decode_text(read_bytes(path, shown), shown)


def decode_text(raw: bytes, shown: str) -> str:
    """The bytes of file ``shown`` as UTF-8 text (a BOM is tolerated), as :func:`read_text`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=shown, line=line, fix="save the file as UTF-8",
        ) from None


def _yaml_error(exc: yaml.YAMLError, display: str) -> UsageError:
    context_mark = getattr(exc, "context_mark", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    problem = getattr(exc, "problem", None) or str(exc)
    if "end of stream" in str(problem) and context_mark is not None:
        # An unclosed quote or bracket: where it was opened is what needs fixing.
        mark = context_mark
    context = getattr(exc, "context", None)
    msg = f"invalid YAML: {problem}"
    if context and not isinstance(exc, DuplicateKeyError | BoundError):
        msg += f" ({context})"
    return UsageError(
        msg,
        file=display,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a parser builds many objects.

    Parsing allocates containers by the hundred thousand and frees none, so
    every collection the allocations trigger walks a growing heap for
    nothing: a 44,000-record YAML file took 40-55 s with the collector on and
    about 4 s with it off. Reference counting still frees what dies; the
    collector is switched back on (only if it was on) when the block ends.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


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
        raise _yaml_error(exc, display) from None
    except RecursionError:  # the pure-Python composer, without libyaml's own limit
        at = deep or 0
        line = text.count("\n", 0, at) + 1
        raise UsageError(
            "invalid YAML: exceeded maximum nesting depth: the document nests mappings "
            f"and sequences more than {MAX_DEPTH} levels deep",
            file=display, line=line, column=at - (text.rfind("\n", 0, at) + 1) + 1,
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


def _no_lone_surrogates(data: Any, text: str, display: str) -> None:
    """Refuse a ``"\\ud800"`` escape (libyaml does; PyYAML's Python scanner does not)."""
    import json
    import re

    try:
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        m = re.search(r"\\[uU]0{0,4}[dD][89a-fA-F]", text)
        raise UsageError(
            "invalid YAML: a \\u escape names half of a UTF-16 surrogate pair, "
            "which is not a character", file=display,
            line=text.count("\n", 0, m.start()) + 1 if m else None,
            fix="write the character itself",
        ) from None
    except (TypeError, ValueError):  # not JSON-shaped (e.g. non-string keys): nothing to say
        pass


def load_file(path: Path, display: str | None = None, *, positions: bool = False):  # type: ignore[no-untyped-def]
    shown = display or str(path)
    return load(read_text(path, shown), shown, positions=positions)


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


def positions_of(text: str) -> dict[PathKey, Position]:
    """Positions of every node in a YAML (or JSON) text; empty when unparseable."""
    try:
        return load(text, "<text>", positions=True)[1]
    except UsageError:
        return {}


def nearest(pos: dict[PathKey, Position], path: PathKey) -> Position | None:
    """The position of ``path`` or of its closest ancestor that has one."""
    path = tuple(path)
    while True:
        if path in pos:
            return pos[path]
        if not path:
            return None
        path = path[:-1]

