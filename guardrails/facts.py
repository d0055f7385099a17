"""The fact store and the joins run over it.

A fact is a plain ``dict`` (JSON-shaped, timestamps as aware UTC
``datetime``), so declarative rules can select and validate facts with JSON
Schema. Sources yield facts already normalised; once all sources gathered,
:func:`join` runs the joins of the kinds registered through the
``guardrails_fact_kinds`` hook (DATA.md's are in :mod:`guardrails.datakinds`)
and warns of references to facts that are not in the data. Facts are read-only
after that (and the ``guardrails_gather_finish`` hook): joined values are shared
between facts (docs/plugins.md, "Facts"). Facts as JSON, for output and for
JSON Schema conditions, are :mod:`guardrails.factjson`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import datetime
from itertools import compress, repeat
from operator import contains
from typing import TYPE_CHECKING, Any

from guardrails.datakinds import BUILTIN
from guardrails.errors import SourceError
from guardrails.factindex import FactIndex
from guardrails.kinds import FactKind, KindRegistry
from guardrails.textsafe import excerpt

if TYPE_CHECKING:
    from guardrails.deferredfacts import DeferredFacts

#: (file as shown, line counted from 1 or None) where a source read a fact
Location = tuple[str, int | None]


def kinds_or_builtin(kinds: KindRegistry | None) -> KindRegistry:
    """The run's fact kinds, else DATA.md's builtin ones."""
    return BUILTIN if kinds is None else kinds


def subject(kind: str, fact: Mapping[str, Any], kinds: KindRegistry | None = None) -> str:
    """Evidence subject ``<singular>/<id>`` of a fact (``kinds``: the run's, else DATA.md's)."""
    return kinds_or_builtin(kinds).subject(kind, fact)


def is_bot(name: str, email: str, patterns: Sequence[str] = ()) -> bool:
    """True for an automated author.

    A name or login ending in ``[bot]`` (GitHub apps: ``pre-commit-ci[bot]``) or
    in the word ``bot`` (``Release Bot``, ``ci bot``) is a bot whatever the
    patterns; otherwise a pattern occurring (case-insensitively) in the name or
    email makes one.
    """
    n = name.lower()
    if n.rstrip().endswith(("[bot]", " bot")):
        return True
    if not patterns:  # the usual case, asked once per author: no generator to build
        return False
    e = email.lower()
    return any(p.lower() in n or p.lower() in e for p in patterns)


def bots_by_name(names: Iterable[str]) -> list[str]:
    """The ``names`` that :func:`is_bot` calls bots by name alone (no patterns, no
    email), in their order.

    Such a name, lowered, holds ``bot``: that test is one C call a name, so
    :func:`is_bot` is asked only of the few that pass it (a warm git run's bus
    factor asks this of every distinct author: ~1,000 for pytest's ten years).
    """
    names = list(names)
    holding = compress(names, map(contains, map(str.lower, names), repeat("bot")))
    return [a for a in holding if is_bot(a, "", ())]


class FactStore:
    """Facts by kind, with which source provided them and which sources failed."""

    def __init__(self, kinds: KindRegistry | None = None) -> None:
        #: the kinds this run knows (from ``guardrails_fact_kinds``); DATA.md's by default
        self.kinds = kinds_or_builtin(kinds)
        #: kind -> facts; becomes a FactsByKind (deferredfacts: built on first read)
        #: when a source hands over DeferredFacts
        self._facts: dict[str, list[dict[str, Any]]] = {}
        self.provided_by: dict[str, list[str]] = {}
        self.failed: dict[str, SourceError] = {}
        self.warnings: list[str] = []
        #: Callables (kind, fact, field) -> (file, line or None), or None: sources that
        #: know where a fact was read (the files source) tell, so warnings and evidence
        #: name the row.
        self.locators: list[Callable[[str, Mapping[str, Any], str | None], Location | None]] = []
        self._subjects: dict[str, dict[str, Mapping[str, Any]]] = {}
        #: kind -> whether its id table (made with it) holds every fact by an id of its
        #: own: each fact has the kind's id field, not null, and no two the same text
        self._plain_ids: dict[str, bool] = {}
        #: singular -> the gathered kinds named so (for record(); reset by add())
        self._by_singular: dict[str, list[str]] | None = None
        self._index: FactIndex | None = None

    @property
    def index(self) -> FactIndex:
        """The run's :class:`~guardrails.factindex.FactIndex` of these facts (built lazily)."""
        if self._index is None:
            # Through get(), so a store showing a subset (a group of group_by) indexes
            # that subset; a kind whose source failed indexes as empty.
            self._index = FactIndex(lambda kind: [] if kind in self.failed else self.get(kind),
                                    self.distinct_ids)
        return self._index

    def locate(self, kind: str, fact: Mapping[str, Any],
               field: str | None = None) -> Location | None:
        """(file, line) of a fact (and field) when a source knows it, else None."""
        for locate in self.locators:
            try:
                loc = locate(kind, fact, field)
            except Exception:  # noqa: BLE001 - a location is a courtesy, never a failure
                loc = None
            if loc:
                return loc
        return None

    def where(self, kind: str, fact: Mapping[str, Any], field: str | None = None) -> str:
        """``"file:line: "`` of a fact (and field) when a source knows it, else ``""``."""
        loc = self.locate(kind, fact, field)
        if loc is None:
            return ""
        file, line = loc
        return f"{file}:{line}: " if line else f"{file}: "

    def record(self, subj: str) -> tuple[str, Mapping[str, Any]] | None:
        """(kind, fact) an evidence subject (``deployment/dep-5560``) names, or None.

        Facts are indexed by id lazily, one kind at a time, on the first
        question about that kind: a run with no evidence of a kind pays
        nothing for it. Where two facts share an id, the first gathered
        answers.
        """
        singular, sep, ident = subj.partition("/")
        if not sep:
            return None
        by_singular = self._by_singular
        if by_singular is None:
            by_singular = self._by_singular = {}
            for kind in self._facts:
                by_singular.setdefault(self.kinds.singular(kind), []).append(kind)
        tables = self._subjects
        for kind in by_singular.get(singular, ()):
            table = tables.get(kind)  # id_table(kind)[0], without a call a subject
            if table is None:
                table = self.id_table(kind)[0]
            fact = table.get(ident)
            if fact is not None:
                return kind, fact
        return None

    def id_table(self, kind: str) -> tuple[dict[str, Mapping[str, Any]], bool]:
        """The id part of each subject of ``kind`` -> the first fact with it, and whether
        every fact has an id of its own (then the first is also the last: the team
        index uses the same table). Built once per kind, on the first question."""
        facts = self._facts.get(kind, [])
        index = self._subjects.get(kind)
        if index is None:
            index = self._subjects[kind] = self._id_index(kind, facts)
        return index, len(index) == len(facts)

    def id_texts(self, kind: str) -> Mapping[str, Mapping[str, Any]] | None:
        """The id table of ``kind`` (:meth:`id_table`, made now if not yet) when its keys
        are exactly the texts of its facts' ids: every fact has the kind's id field,
        none null, no two alike as text. Else None (a kind without ids, a fact without
        one, a duplicate, a failed source)."""
        if kind in self.failed:
            return None
        table = self.id_table(kind)[0]
        return table if self._plain_ids.get(kind, False) else None

    def distinct_ids(self, kind: str, facts: Sequence[Mapping[str, Any]]) -> bool:
        """Whether ``facts``, this store's own list of ``kind`` (not a copy, not a part),
        each have an ``id`` of their own: the id field is ``id``, no fact's is null and
        no two are the same, even as text. False when the kind's id table
        (:meth:`id_table`) is not made yet: then it is not known here.

        So the fact index's ``unique`` needs no list and set of 100,000 ids beside a
        table a 100k run made for evidence (benchmarks/RESULTS.md, "s25-cold100k").
        Made for it instead, the deployments' table lived from the joins on and a
        cold run at a million facts peaked ~30 MiB higher.
        """
        own = self._facts.get(kind)
        if (own is None or facts is not own or type(own) is not list or kind in self.failed
                or kind not in self._subjects):
            return False
        k = self.kinds.get(kind)
        return (k.id_field if k else "id") == "id" and self._plain_ids.get(kind, False)

    def _id_index(self, kind: str, facts: list[dict[str, Any]]) -> dict[str, Mapping[str, Any]]:
        """The id part of each fact's subject -> the fact (KindRegistry.subject's rule).

        One comprehension over the id field: calling ``subject()`` per fact
        took three times as long on 100,000 deployments. Facts without that
        field are named as ``subject()`` names them.
        """
        k = self.kinds.get(kind)
        key = k.id_field if k else "id"
        # reversed: the first fact with an id is the one left in the index
        index = ({str(v): f for f in reversed(facts) if (v := f.get(key)) is not None}
                 if key else {})
        self._plain_ids[kind] = bool(key) and len(index) == len(facts)
        if len(index) < len(facts):  # facts without the id field (or duplicates)
            for f in reversed(facts):
                if not key or f.get(key) is None:
                    index[self.kinds.subject(kind, f).partition("/")[2]] = f
        return index

    @property
    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """Gathered facts by kind, for joins (a kind whose source failed is absent)."""
        return self._facts

    def warn(self, msg: str) -> None:
        """Add a warning once; ids come from data, so it is cut short and made inert."""
        msg = excerpt(msg, 400)  # no escape sequences, no 10 kB id
        if msg not in self.warnings:
            self.warnings.append(msg)

    def add(self, kind: str, facts: list[dict[str, Any]] | DeferredFacts, source: str) -> None:
        """Add a source's facts of ``kind`` (a list, or DeferredFacts kept unbuilt)."""
        if type(facts) is not list:
            # Imported here: only a warm git run hands over deferred facts.
            from guardrails.deferredfacts import DeferredFacts, FactsByKind

            if isinstance(facts, DeferredFacts):
                if not isinstance(self._facts, FactsByKind):
                    self._facts = FactsByKind(self._facts)
                self._facts.put(kind, facts)
                self._index = None
                self._by_singular = None
                self._subjects.pop(kind, None)
                self._plain_ids.pop(kind, None)
                self.provided_by.setdefault(kind, []).append(source)
                return
        self._facts.setdefault(kind, []).extend(facts)
        self._index = None  # answers about the facts so far no longer hold
        self._by_singular = None
        self._subjects.pop(kind, None)  # its id table too: built again on the next question
        self._plain_ids.pop(kind, None)
        self.provided_by.setdefault(kind, []).append(source)

    def fail(self, kind: str, error: SourceError) -> None:
        self.failed.setdefault(kind, error)

    def get(self, kind: str) -> list[dict[str, Any]]:
        """Facts of ``kind``; raises the SourceError if a source of it failed."""
        if kind in self.failed:
            raise self.failed[kind]
        return self._facts.get(kind, [])

    def columns(self, kind: str) -> DeferredFacts | None:
        """The facts of ``kind`` as columns (``.column(field)``), or None: read the facts.

        Only while they are as the one source that gave them handed them over,
        deferred and not yet read by anyone (see :mod:`guardrails.deferredfacts`);
        raises the SourceError if a source of ``kind`` failed, as :meth:`get`.
        A store that shows a subset of the facts (a subclass overriding
        :meth:`get`) has no columns.
        """
        if kind in self.failed:
            raise self.failed[kind]
        deferred = getattr(self._facts, "deferred", None)  # a FactsByKind's
        if type(self).get is not FactStore.get or deferred is None:
            return None
        return deferred(kind)  # type: ignore[no-any-return]

    def gathered(self) -> list[str]:
        return sorted(set(self._facts) | set(self.failed))

    def counts(self) -> dict[str, int]:
        by_kind = self._facts
        count = getattr(by_kind, "count", None)  # a FactsByKind's: builds nothing
        if count is not None:
            return {k: count(k) for k in by_kind}
        return {k: len(v) for k, v in by_kind.items()}


def join(store: FactStore, now: datetime | None = None) -> None:
    """Make the joins of the store's kinds in place, then warn of dangling references.

    Each kind's ``join`` runs, in registration order, when the store holds
    that kind. With ``now``, the joins are made as of now (METRICS.md): what
    happens at or after ``now`` has not happened yet.
    """
    for k in store.kinds.values():
        if k.join is not None and k.name in store._facts:
            k.join(store, now)
    _dangling(store)


def _dangling(store: FactStore) -> None:
    """Warn of references (``FactKind.references``) the joins do not make: they point at nothing.

    A reference is only checked when the kind it points at has data (an org
    without services.yaml names services freely). Never fatal: exports are
    partial (DATA.md). At most :data:`DANGLING_SHOWN` warnings a reference
    field, then one line counting the rest.
    """
    facts = store._facts
    kinds = store.kinds
    checks: list[tuple[str, str, FactKind, Container[str], _Aliases]] = []
    for target in kinds.values():
        present = facts.get(target.name) if target.commit_refs else target.name in facts
        if not present:
            continue
        referring = [(k.name, name) for k in kinds.values()
                     for name, to in k.references.items() if to == target.name]
        if not referring:
            continue  # nothing names this kind: its ids are not needed
        rows = facts[target.name]
        ids = _known_ids(store, target, rows)
        aliases = _Aliases(target, rows)
        checks += [(kind, name, target, ids, aliases) for kind, name in referring]
    for kind, name, target, ids, aliases in checks:
        missing = 0
        singular = kinds.singular(kind)
        has = ids.__contains__
        for f in facts.get(kind, ()):
            value = f.get(name)
            if value is None or (type(value) is str and has(value)):
                continue  # the usual case, without building a tuple
            if type(value) is list:
                try:
                    if all(map(has, value)):
                        continue  # a list of known ids (only strings are in ``ids``)
                except TypeError:
                    pass  # an unhashable item: named below
            refs = value if isinstance(value, list) else (value,)
            for ref in refs:
                text = str(ref)
                if (has(text) or text in aliases.texts()
                        or (target.commit_refs and _looks_like_sha(text))):
                    continue
                missing += 1
                if missing <= DANGLING_SHOWN:
                    store.warn(f"{store.where(kind, f, name)}{singular} "
                               f"{_label(kinds[kind], f)}names {target.singular} {ref}, "
                               "which is not in the data")
        if missing > DANGLING_SHOWN:
            store.warn(f"... and {missing - DANGLING_SHOWN} more {singular} "
                       f"{name} reference(s) to a {target.singular} that is not in the data")


def _known_ids(store: FactStore, target: FactKind,
               rows: list[dict[str, Any]]) -> Container[str]:
    """The texts of ``target``'s ids: the store's id table of the kind when it holds
    exactly them (made here if not yet: the run reads it for evidence and teams),
    else a set of them. A set of the 100,000 change ids was made for this check
    alone (benchmarks/RESULTS.md, "s28-cold100k")."""
    id_field = target.id_field
    if not id_field:
        return frozenset()
    table = store.id_texts(target.name)  # keyed by the same id field: target is the store's
    if table is not None:
        return table
    return {str(f[id_field]) for f in rows if id_field in f}


class _Aliases:
    """The texts of a kind's aliases (a change's ``merge_sha``, a team's ``github``),
    made on the first reference its ids do not name: data that names changes by id
    never needs a set of every merge sha."""

    def __init__(self, target: FactKind, rows: list[dict[str, Any]]) -> None:
        self._target, self._rows = target, rows
        self._texts: set[str] | None = None

    def texts(self) -> set[str]:
        if self._texts is None:
            self._texts = set()
            for alias in self._target.aliases:
                self._texts |= {str(f[alias]) for f in self._rows if f.get(alias)}
        return self._texts


#: Dangling-reference warnings shown a reference field before the rest are counted.
DANGLING_SHOWN = 20


def _looks_like_sha(ref: str) -> bool:
    """A commit sha: a deployment may name any commit it shipped, not only merge commits
    (a code host lists every commit between two deployments), so it is not dangling.
    SHA-1 (40 digits) or SHA-256 (64) whole, or abbreviated with a letter in it."""
    return (7 <= len(ref) <= 64 and all(c in "0123456789abcdef" for c in ref.lower())
            and (len(ref) in (40, 64) or not ref.isdigit()))


def _label(kind: FactKind, fact: Mapping[str, Any]) -> str:
    """``"<id> "`` of a fact that has an id, ``""`` for kinds without one."""
    id_field = kind.id_field
    return f"{fact[id_field]} " if id_field and fact.get(id_field) is not None else ""
