"""YAML loading that keeps line numbers and refuses duplicate keys.

PyYAML keeps the last of two equal keys silently; guardrails refuses them.
Timestamps and dates stay strings (as they are in JSON and CSV), so every
format reaches validation in the same shape. Positions are computed from the
node tree: exact lines for error messages, never guesses.
"""

from __future__ import annotations

from collections.abc import Callable
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


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


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
                f"duplicate key {key!r} (first defined on line {first.line + 1}); "
                "remove one of them",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
        seen_explicit[key] = id(key_node) in explicit
        data[key] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file (a BOM is tolerated); anything else is a UsageError."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read file: {exc.strerror}", file=shown) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=shown, line=line, fix="save the file as UTF-8",
        ) from None


def _yaml_error(exc: yaml.YAMLError, display: str) -> UsageError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if "end of stream" in str(problem) and getattr(exc, "context_mark", None) is not None:
        # An unclosed quote or bracket: where it was opened is what needs fixing.
        mark = exc.context_mark
    context = getattr(exc, "context", None)
    msg = f"invalid YAML: {problem}"
    if context and not isinstance(exc, DuplicateKeyError):
        msg += f" ({context})"
    return UsageError(
        msg,
        file=display,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def load(
    text: str, display: str, *, positions: bool = False
) -> tuple[Any, dict[PathKey, Position]]:
    """Parse one YAML document. With ``positions`` also map each path to (line, col)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, display) from None
    finally:
        loader.dispose()
    pos: dict[PathKey, Position] = {}
    if positions and node is not None:
        _walk(node, (), pos)
    return data, pos


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


LazyPositions = Callable[[], dict[PathKey, Position]]
