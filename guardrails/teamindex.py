"""Evidence subject -> owning team: the index behind ``--group-by team``.

The JSON evidence's ``team`` and waivers with ``subject: team/<id>`` read it
too. It is made once a run, when a result first asks for a team
(:meth:`guardrails.plugin.EvalContext.team_index`), from the joined facts of
:mod:`guardrails.datakinds`'s kinds; it reads facts and never joins them, so
it lives apart from the kinds and their joins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.kinds import JoinStore


class TeamIndex:
    """Evidence subject -> owning team, through services, membership and joins.

    Used to attribute evidence to teams (``--group-by team``, the JSON
    evidence's ``team``, waivers with ``subject: team/<id>``). A subject maps
    when its fact names a team, a service with an owner, or an author who is a
    member of exactly one team. Lookups are lazy: only the kinds of the
    subjects asked about are indexed, so a run with little evidence pays
    little.
    """

    _KINDS = ("deployments", "incidents", "changes", "goals", "iterations", "ci_runs",
              "services", "postmortems")

    def __init__(self, store: JoinStore) -> None:
        self._facts = store.by_kind
        self._kinds = store.kinds
        # The fact store's own subject table, when it has one (FactStore.id_table)
        self._shared_ids = getattr(store, "id_table", None)
        teams = self._facts.get("teams", [])
        self._team_ids = {str(t["id"]) for t in teams}
        by_slug = {str(t["github"]): str(t["id"]) for t in teams if t.get("github")}
        self._member_of: dict[str, set[str]] = {}
        for t in teams:
            for m in t.get("members") or ():
                for key in (m.get("handle"), m.get("email")):
                    if key:
                        self._member_of.setdefault(str(key).lower(), set()).add(str(t["id"]))
        self._owner_of_service = {
            str(sv["id"]): by_slug.get(str(sv.get("owner")), str(sv.get("owner")))
            for sv in self._facts.get("services", []) if sv.get("owner") is not None
        }
        self._by_id: dict[str, dict[str, Mapping[str, Any]]] = {}
        self._singular = {store.kinds.singular(k): k for k in self._KINDS}
        self._people: dict[str, object] = {}  # author as written -> their one team or None

    def _person(self, who: Any) -> str | None:
        if not who:
            return None
        # A few hundred authors write tens of thousands of changes: each is asked once.
        key = who if type(who) is str else str(who)
        known = self._people.get(key, _UNASKED)
        if known is _UNASKED:
            found = self._member_of.get(key.lower())
            known = self._people[key] = (next(iter(found)) if found and len(found) == 1
                                         else None)
        return known  # type: ignore[return-value]

    def of_fact(self, f: Mapping[str, Any]) -> str | None:
        """The team a fact belongs to, if it says or implies one."""
        team = f.get("team")
        if team is not None and str(team) in self._team_ids:
            return str(team)
        svc = f.get("service")
        if svc is not None and str(svc) in self._owner_of_service:
            return self._owner_of_service[str(svc)]
        return self._person(f.get("author"))

    def _fact(self, kind: str, ident: str) -> Mapping[str, Any] | None:
        table = self._by_id.get(kind)
        if table is None:
            table = self._by_id[kind] = self._id_table(kind)
        return table.get(ident)

    def _id_table(self, kind: str) -> dict[str, Mapping[str, Any]]:
        """The id part of each fact's subject -> the fact (the last with an id wins).

        The id field read directly (``subject()`` per fact took most of the
        time); facts without it are named as ``subject()`` names them.
        """
        if self._shared_ids is not None:
            shared, distinct = self._shared_ids(kind)
            if distinct:  # one fact per id: the first with an id is also the last
                return shared
        k = self._kinds.get(kind)
        key = k.id_field if k else "id"
        subj = self._kinds.subject
        table: dict[str, Mapping[str, Any]] = {}
        for f in self._facts.get(kind, []):
            v = f.get(key) if key else None
            table[f"{v}" if v is not None else subj(kind, f).split("/", 1)[1]] = f
        return table

    def get(self, subj: str, default: str | None = None) -> str | None:
        singular, _, ident = subj.partition("/")
        if singular == "team":
            return ident if ident in self._team_ids else default
        if singular == "service":
            return self._owner_of_service.get(ident, default)
        kind = self._singular.get(singular)
        fact = self._fact(kind, ident) if kind else None
        if fact is None:
            return default
        team = self.of_fact(fact)
        if team is None and kind == "postmortems":
            inc = self._fact("incidents", str(fact.get("incident")))
            team = self.of_fact(inc) if inc is not None else None
        return team if team is not None else default


_UNASKED = object()


def team_index(store: JoinStore) -> TeamIndex:
    """The lazy subject -> team index of a store (see :class:`TeamIndex`)."""
    return TeamIndex(store)
