"""What a rule's conditions may say, checked when rule files load.

``where`` and ``expect`` are JSON Schemas embedded in a rule: they must be
valid Draft 2020-12, use only the keywords a condition needs, keep their
``$ref`` inside the rule and finite, and name only fields the fact kind has
(its registered schema, joins and source fields); ``evidence`` templates name
fields the same way (:mod:`guardrails.checks.templates`). A wrong rule is a
rule-file error at load, with its line, not an ``error`` outcome at evaluation.
"""

from __future__ import annotations

from typing import Any

from guardrails.datakinds import BUILTIN
from guardrails.kinds import KindRegistry


class RuleParamError(ValueError):
    """A rule parameter is wrong; ``key`` names it so the error points at its line.

    ``path`` (below ``key``) narrows the place further, ``fix`` is the hint.
    """

    def __init__(self, key: str, message: str, fix: str | None = None,
                 path: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.key = key
        self.fix = fix
        self.path = path


class RuleParamErrors(ValueError):
    """Several wrong parameters of one rule, all reported."""

    def __init__(self, errors: list[RuleParamError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def did_you_mean(name: str, known: Any) -> str | None:
    """``did you mean 'x'?`` for the closest of ``known``, or None."""
    import difflib  # only for an error message

    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


# --- fields of a fact kind -------------------------------------------------------

#: Fields the HTTP sources add to any kind beyond its data schema.
_COMMON_FIELDS = frozenset({"url", "title"})


def kind_fields(kind: str, kinds: KindRegistry | None = None) -> frozenset[str] | None:
    """Field names a fact of ``kind`` may have; None when its kind declares no schema.

    The schema's properties, the fields the kind's joins set, and the
    fields its sources add (``FactKind.extra_fields``).
    """
    k = (BUILTIN if kinds is None else kinds).get(kind)
    schema = k.schema_dict() if k is not None else None
    if k is None or schema is None:
        return None
    props = set(schema.get("properties", {}))
    return frozenset(props | set(k.joined) | _COMMON_FIELDS | set(k.extra_fields))


def joined_kind(kind: str, name: str, kinds: KindRegistry) -> str | None:
    """The kind a joined field ``name`` of ``kind`` holds, or None."""
    k = kinds.get(kind)
    return k.joined.get(name) if k else None


def timestamp_fields(kind: str, kinds: KindRegistry) -> frozenset[str] | None:
    """Timestamp and date fields of a registered kind (None for an unknown kind)."""
    k = kinds.get(kind)
    if k is None:
        return None
    return frozenset((*k.timestamps, *k.dates))


# --- embedded JSON Schemas (where, expect) ---------------------------------------

#: Draft 2020-12 keywords a rule's ``where``/``expect`` may use. Not here: ``$id``,
#: ``$anchor``, ``$dynamicRef``, ``$dynamicAnchor``, ``$vocabulary``: they move the
#: base URI or reach outside the schema, which a condition never needs.
ALLOWED_KEYWORDS = frozenset({
    "$schema", "$ref", "$defs", "$comment", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "format", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
    "dependentRequired",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties",
    "patternProperties", "additionalProperties", "propertyNames", "dependentSchemas",
    "items", "prefixItems", "contains", "unevaluatedItems", "unevaluatedProperties",
})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = ("not", "if", "then", "else", "items", "contains", "additionalProperties",
               "propertyNames", "unevaluatedItems", "unevaluatedProperties")
#: Same-instance applicators: their ``properties``/``required`` name fields of the fact.
_SAME_INSTANCE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
_MAX_SCHEMA_NODES = 5000
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


_checked: dict[str, list[RuleParamError]] = {}


def condition_problems(key: str, schema: Any, kind: str | None,
                       kinds: KindRegistry | None = None) -> list[RuleParamError]:
    """Everything wrong with a rule's ``where`` or ``expect`` JSON Schema (cached).

    The metaschema check costs milliseconds; packs repeat conditions, and each
    focus variant of a rule repeats its own, so results are kept by value
    (and by the kinds known: a plugin's kind has its own fields).
    """
    kinds = BUILTIN if kinds is None else kinds
    memo = f"{key}\0{kind}\0{kinds.fingerprint}\0{schema!r}"
    if memo not in _checked:
        if len(_checked) >= 2048:
            _checked.clear()
        _checked[memo] = _condition_problems(key, schema, kind, kinds)
    return list(_checked[memo])


def _condition_problems(key: str, schema: Any, kind: str | None,
                        kinds: KindRegistry) -> list[RuleParamError]:
    """Everything wrong with a rule's ``where`` or ``expect`` JSON Schema.

    Checked at load: the Draft 2020-12 metaschema, an allow-list of keywords
    (a misspelt keyword would otherwise be ignored and accept everything),
    ``$ref`` only inside the schema, regular expressions RE2 can run, and the
    field names the schema gives against the fact kind.
    """
    out: list[RuleParamError] = []
    nodes = 0
    stack: list[tuple[tuple[Any, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        nodes += 1
        if nodes > _MAX_SCHEMA_NODES:
            out.append(RuleParamError(key, f"{key} has more than {_MAX_SCHEMA_NODES} "
                                      "subschemas", path=path))
            break
        if not isinstance(node, dict):
            continue
        for word, value in node.items():
            if word not in ALLOWED_KEYWORDS:
                hint = did_you_mean(word, ALLOWED_KEYWORDS)
                out.append(RuleParamError(
                    key, f"{key}: unknown JSON Schema keyword {word!r}",
                    fix=hint or "see https://json-schema.org/draft/2020-12 for keywords",
                    path=(*path, word)))
                continue
            if word == "$ref" and (not isinstance(value, str) or not value.startswith("#")):
                out.append(RuleParamError(
                    key, f"{key}: $ref {str(value)[:80]!r} points outside the schema",
                    fix="a $ref may only point inside the rule's schema ('#/$defs/...'); "
                        "guardrails never fetches schemas", path=(*path, word)))
            elif word == "$schema" and value not in (_DRAFT, _DRAFT + "#"):
                out.append(RuleParamError(
                    key, f"{key}: $schema {str(value)[:80]!r} is not Draft 2020-12",
                    fix=f"remove $schema or write {_DRAFT!r}", path=(*path, word)))
            elif word == "pattern" and isinstance(value, str):
                from guardrails.saferegex import compile_pattern

                try:
                    compile_pattern(value)
                except ValueError as exc:
                    out.append(RuleParamError(key, f"{key}: pattern {value[:80]!r}: {exc}",
                                              path=(*path, word)))
            elif word == "patternProperties" and isinstance(value, dict):
                from guardrails.saferegex import compile_pattern

                for pat in value:
                    try:
                        compile_pattern(pat)
                    except ValueError as exc:
                        out.append(RuleParamError(
                            key, f"{key}: patternProperties {pat[:80]!r}: {exc}",
                            path=(*path, word, pat)))
            if word in _SCHEMA_MAPS and isinstance(value, dict):
                stack.extend(((*path, word, k), v) for k, v in value.items())
            elif word in _SCHEMA_LISTS and isinstance(value, list):
                stack.extend(((*path, word, i), v) for i, v in enumerate(value))
            elif word in _SCHEMA_ONE:
                stack.append(((*path, word), value))
    if not out:
        out.extend(_ref_problems(key, schema))
    if not out and not _meta_valid(schema):
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = tuple(exc.path)
            out.append(RuleParamError(key, f"{key} is not a valid JSON Schema: {exc.message}",
                                      path=where))
    if not out and kind is not None:
        out.extend(_field_problems(key, schema, kind, (), kinds))
    return out


#: Keywords whose metaschema entry has a ``format`` (regex, uri, ...): jsonschema
#: checks those formats, jsonschema-rs may not, so such schemas go to jsonschema.
_FORMATTED = frozenset({"$id", "$schema", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor",
                        "$vocabulary", "pattern", "patternProperties"})


def _meta_valid(schema: Any) -> bool:
    """A fast yes from jsonschema-rs that ``schema`` is a valid Draft 2020-12
    schema; False means "ask jsonschema", which also words the error."""
    from guardrails.fastvalid import mentions

    if mentions(schema, _FORMATTED):
        return False
    try:
        import jsonschema_rs

        return bool(jsonschema_rs.meta.is_valid(schema))
    except Exception:  # noqa: BLE001 - an older jsonschema-rs, an unreadable value
        return False


def _pointer(root: Any, ref: str) -> Any:
    """The subschema a local ``$ref`` names; LookupError when there is none."""
    from urllib.parse import unquote

    if ref in ("#", "#/"):
        return root
    if not ref.startswith("#/"):
        raise LookupError(ref)
    node = root
    for raw in ref[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise LookupError(ref)
    return node


#: Keywords whose subschemas apply to the same instance: a $ref cycle through
#: only these never reaches a smaller part of the fact, so it never ends.
_SAME_INSTANCE_REF = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                      "dependentSchemas")


def _ref_problems(key: str, schema: Any) -> list[RuleParamError]:
    """Local ``$ref`` that point at nothing, or loop without consuming the fact."""
    out: list[RuleParamError] = []
    edges: dict[int, list[Any]] = {}
    nodes: dict[int, tuple[Any, tuple[Any, ...]]] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict) or id(node) in nodes:
            continue
        nodes[id(node)] = (node, path)
        same: list[Any] = []
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                same.append(_pointer(schema, ref))
            except LookupError:
                out.append(RuleParamError(key, f"{key}: $ref {ref[:80]!r} points to nothing in "
                                          "the schema", path=(*path, "$ref")))
        for word in _SAME_INSTANCE_REF:
            value = node.get(word)
            if isinstance(value, list):
                same.extend(value)
            elif isinstance(value, dict):
                same.extend(value.values() if word == "dependentSchemas" else [value])
        edges[id(node)] = same
        for word, value in node.items():
            if word in _SCHEMA_MAPS and isinstance(value, dict):
                stack.extend((v, (*path, word, k)) for k, v in value.items())
            elif word in _SCHEMA_LISTS and isinstance(value, list):
                stack.extend((v, (*path, word, i)) for i, v in enumerate(value))
            elif word in _SCHEMA_ONE:
                stack.append((value, (*path, word)))
    if out:
        return out
    # A cycle in the same-instance graph: iterative three-colour depth-first search.
    colour: dict[int, int] = {}
    for start in edges:
        if colour.get(start):
            continue
        todo: list[tuple[int, int]] = [(start, 0)]
        while todo:
            nid, i = todo.pop()
            colour[nid] = 1
            nexts = [n for n in edges.get(nid, []) if isinstance(n, dict)]
            if i < len(nexts):
                todo.append((nid, i + 1))
                child = id(nexts[i])
                if colour.get(child) == 1:
                    path = nodes.get(nid, (None, ()))[1]
                    return [RuleParamError(
                        key, f"{key}: $ref makes the schema refer to itself without end",
                        fix="a $ref cycle must pass through properties or items", path=path)]
                if not colour.get(child):
                    todo.append((child, 0))
            else:
                colour[nid] = 2
    return out


def _field_problems(key: str, schema: Any, kind: str, path: tuple[Any, ...],
                    kinds: KindRegistry, depth: int = 0) -> list[RuleParamError]:
    """``properties``/``required`` names the fact kind does not have."""
    fields = kind_fields(kind, kinds)
    if fields is None or not isinstance(schema, dict) or depth > 50:
        return []
    out: list[RuleParamError] = []
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            if name not in fields:
                out.append(_unknown_field(key, kind, name, fields, (*path, "properties", name)))
                continue
            target = joined_kind(kind, name, kinds)
            if target is not None and isinstance(sub, dict):
                out.extend(_field_problems(key, sub, target, (*path, "properties", name),
                                           kinds, depth + 1))
    required = schema.get("required")
    if isinstance(required, list):
        for i, name in enumerate(required):
            if isinstance(name, str) and name not in fields:
                out.append(_unknown_field(key, kind, name, fields, (*path, "required", i)))
    for word in _SAME_INSTANCE:
        value = schema.get(word)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                out.extend(_field_problems(key, sub, kind, (*path, word, i), kinds,
                                           depth + 1))
        elif isinstance(value, dict):
            out.extend(_field_problems(key, value, kind, (*path, word), kinds, depth + 1))
    return out


def _unknown_field(key: str, kind: str, name: str, fields: frozenset[str],
                   path: tuple[Any, ...]) -> RuleParamError:
    return RuleParamError(
        key, f"{key}: {kind} have no field {name!r}",
        fix=did_you_mean(name, fields) or f"{kind} fields: {', '.join(sorted(fields))}",
        path=path)
