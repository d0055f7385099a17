"""What a fact kind is, and the registry of the kinds a run knows.

Kinds are registered through the ``guardrails_fact_kinds`` hook (see
:mod:`guardrails.hookspec`), the DATA.md kinds included (by
:mod:`guardrails.datakinds`), so a plugin's kind is named, validated,
shown and joined like a builtin one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from datetime import datetime
from typing import Any, Protocol

from guardrails.errors import PluginError
from guardrails.records import FACTORY, record


class JoinStore(Protocol):
    """What a join reads and writes of the fact store (:class:`guardrails.facts.FactStore`)."""

    kinds: KindRegistry

    @property
    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """Gathered facts by kind (a kind whose source failed is absent)."""

    def where(self, kind: str, fact: Mapping[str, Any], field: str | None = None) -> str:
        """``"file:line: "`` of a fact when a source knows it, else ``""``."""

    def warn(self, msg: str) -> None:
        """Add a warning (once)."""


#: A join: fills joined fields of the facts in a store once every source gathered.
#: It receives the store and the run's "now" (None: every fact in the data counts).
JoinFn = Callable[[JoinStore, "datetime | None"], None]


@record(frozen=True)
class Link:
    """A field that expressions read as facts of another kind (``incident.postmortem``).

    ``kind`` is the kind it holds, ``many`` whether it is a list. Without
    ``via`` the kind's join puts the fact(s) in the field; with ``via`` the
    fact's ``via`` field holds the id(s), resolved by id (or an alias of the
    target kind) when an expression reads the field (``service.team`` from
    ``owner``, ``team.services`` from the ids the join lists).
    """

    kind: str
    many: bool = False
    via: str | None = None

    def __init__(self, kind: str, many: bool = False, via: str | None = None) -> None:
        _set = object.__setattr__
        _set(self, "kind", kind)
        _set(self, "many", many)
        _set(self, "via", via)


@record(frozen=True)
class FactKind:
    """One kind of fact, as a rule names it in ``facts:``.

    ``name`` is plural (``deployments``); ``singular`` names evidence subjects
    (``deployment/dep-1``). ``schema`` is the JSON Schema of one fact as data
    holds it (a mapping), the name of a schema guardrails ships, or None.
    ``joined`` maps the fields a join sets to the kind they hold, ``requires``
    lists the kinds those joins read, ``references`` maps fields that name
    facts of another kind (checked for dangling references after the joins)
    to that kind. ``join`` makes this kind's joins. The tuples of field names
    tell sources how to read cells (timestamps, dates, lists, numbers).
    """

    name: str
    singular: str
    id_field: str | None = "id"
    schema: Mapping[str, Any] | str | None = None
    timestamps: tuple[str, ...] = ()  # ISO timestamps with offset
    dates: tuple[str, ...] = ()  # dates (or timestamps) -> kept as datetime at 00:00 UTC
    lists: tuple[str, ...] = ()  # CSV cells holding whitespace-separated lists
    integers: tuple[str, ...] = ()  # CSV cells that are integers
    numbers: tuple[str, ...] = ()  # CSV cells that are numbers
    joined: Mapping[str, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    #: other fields a reference to this kind may name it by (a team's ``github`` slug)
    aliases: tuple[str, ...] = ()
    #: a reference to this kind may be any commit sha (a deployment names the commits
    #: it shipped), and references are checked only when at least one fact exists
    commit_refs: bool = False
    join: JoinFn | None = field(default=None, compare=False)
    #: fields sources and joins add beyond ``schema`` (for rules' field-name checks)
    extra_fields: tuple[str, ...] = ()
    #: fields CEL expressions read as facts of another kind (see :class:`Link`)
    links: Mapping[str, Link] = field(default_factory=dict)

    def __init__(self, name: str, singular: str, id_field: str | None = "id",
                 schema: Mapping[str, Any] | str | None = None, timestamps: tuple[str, ...] = (),
                 dates: tuple[str, ...] = (), lists: tuple[str, ...] = (),
                 integers: tuple[str, ...] = (), numbers: tuple[str, ...] = (),
                 joined: Mapping[str, str] = FACTORY, requires: tuple[str, ...] = (),
                 references: Mapping[str, str] = FACTORY, aliases: tuple[str, ...] = (),
                 commit_refs: bool = False, join: JoinFn | None = None,
                 extra_fields: tuple[str, ...] = (), links: Mapping[str, Link] = FACTORY) -> None:
        _set = object.__setattr__
        _set(self, "name", name)
        _set(self, "singular", singular)
        _set(self, "id_field", id_field)
        _set(self, "schema", schema)
        _set(self, "timestamps", timestamps)
        _set(self, "dates", dates)
        _set(self, "lists", lists)
        _set(self, "integers", integers)
        _set(self, "numbers", numbers)
        _set(self, "joined", {} if joined is FACTORY else joined)
        _set(self, "requires", requires)
        _set(self, "references", {} if references is FACTORY else references)
        _set(self, "aliases", aliases)
        _set(self, "commit_refs", commit_refs)
        _set(self, "join", join)
        _set(self, "extra_fields", extra_fields)
        _set(self, "links", {} if links is FACTORY else links)

    def schema_dict(self) -> Mapping[str, Any] | None:
        """The JSON Schema of one fact, loading a shipped one by name."""
        if isinstance(self.schema, str):
            from guardrails.validation import load_schema

            return load_schema(self.schema)
        return self.schema


#: FactKind's fields but ``join`` (a function: see :attr:`KindRegistry.stable_fingerprint`)
_KIND_FIELDS = tuple(f for f in FactKind.__dataclass_fields__ if f != "join")


class KindRegistry(Mapping[str, FactKind]):
    """Fact kinds by plural name, in registration order (joins run in that order)."""

    def __init__(self, kinds: Iterable[FactKind] = ()) -> None:
        self._kinds: dict[str, FactKind] = {}
        for k in kinds:
            known = self._kinds.get(k.name)
            if known is not None and known != k:
                raise PluginError(f"fact kind {k.name!r} is registered twice, differently")
            self._kinds.setdefault(k.name, k)

    @classmethod
    def from_hook(cls, results: Iterable[Iterable[FactKind] | None]) -> KindRegistry:
        """The registry from ``guardrails_fact_kinds`` results (pluggy: last registered first)."""
        return cls(k for group in reversed(list(results)) for k in group or ())

    def __getitem__(self, name: str) -> FactKind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    @functools.cached_property
    def fingerprint(self) -> str:
        """Text that differs between registries whose kinds differ (a cache key)."""
        return repr(sorted((n, repr(k)) for n, k in self._kinds.items()))

    @functools.cached_property
    def stable_fingerprint(self) -> str:
        """As :attr:`fingerprint`, but the same text in every process (a key kept across
        runs, guardrails/celrules/typecache.py): a join function by its name, not its
        address."""
        def shown(k: FactKind) -> str:
            join = None if k.join is None else (
                f"{getattr(k.join, '__module__', '?')}.{getattr(k.join, '__qualname__', '?')}")
            return repr([*((f, getattr(k, f)) for f in _KIND_FIELDS), ("join", join)])

        return repr(sorted((n, shown(k)) for n, k in self._kinds.items()))

    def singular(self, name: str) -> str:
        """The singular of a kind; an unknown kind loses one trailing ``s``."""
        k = self._kinds.get(name)
        return k.singular if k else name.rstrip("s")

    def subject(self, name: str, fact: Mapping[str, Any]) -> str:
        """Evidence subject ``<singular>/<id>`` of a fact of kind ``name``.

        The id is the kind's ``id_field``, else the fact's ``id`` or ``file``,
        else, for a kind without ids, its team and name or date
        (``iteration/mobile:Mobile 60``, ``survey_answer/search:2026-10-12``),
        else ``?``; an unknown kind names facts by ``id``.
        """
        k = self._kinds.get(name)
        singular = k.singular if k else name.rstrip("s")
        key = k.id_field if k else "id"
        ident = fact.get(key) if key else None
        if ident is None:
            ident = fact.get("id") or fact.get("file") or _named_by(fact)
        return f"{singular}/{ident}"

    def with_requirements(self, kinds: Iterable[str]) -> set[str]:
        """The kinds plus everything their joins read (transitively)."""
        out: set[str] = set()
        todo = list(kinds)
        while todo:
            k = todo.pop()
            if k in out:
                continue
            out.add(k)
            if k in self._kinds:
                todo.extend(self._kinds[k].requires)
        return out


def _named_by(fact: Mapping[str, Any]) -> str:
    """A fact without an id named by its team and its name, else its date or start
    (an ``each`` rule over iterations listed every offender as ``iteration/?``,
    all located at the first iteration's line)."""
    parts = [str(fact[f]) for f in ("team", "name") if fact.get(f) is not None]
    if len(parts) < 2:
        when = fact.get("date") or fact.get("start")
        if isinstance(when, datetime):  # a day, held as the instant it starts: UTC text
            from guardrails.timeutil import iso

            when = iso(when).removesuffix("T00:00:00Z")  # type: ignore[union-attr]
        if when is not None:
            parts.append(str(when))
    return ":".join(parts) or "?"
