"""The fact kinds of DATA.md and their joins: a builtin plugin.

It implements ``guardrails_fact_kinds`` like any plugin that brings a kind;
it is essential (``-p no:`` cannot block it) because the files source reads
exactly these kinds. The joins are made here, once, after all sources
gathered, so an incident from PagerDuty joins a deployment from GitHub just as
two files would: a team carries its size and services, an incident its
postmortem and the deployment that caused it, a deployment the incidents it
caused and the deployments that remediated it, a change the deployment that
shipped it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pluggy

from guardrails.kinds import FactKind, JoinStore, KindRegistry, Link

hookimpl = pluggy.HookimplMarker("guardrails")


# ---------------------------------------------------------------------------
# joins
# ---------------------------------------------------------------------------


def _join_teams(store: JoinStore, now: datetime | None) -> None:
    """team.size (members) and team.services (services it owns, by id)."""
    facts = store.by_kind
    owned: dict[Any, list[Any]] = {}  # owner as the data writes it
    # .get: a store built outside gathering (its facts unchecked); a null id names nothing
    team_ids = {t.get("id") for t in facts["teams"]} | {
        t["github"] for t in facts["teams"] if t.get("github")
    }
    team_ids.discard(None)
    for s in facts.get("services", []):
        owned.setdefault(s.get("owner"), []).append(s.get("id"))
        if s.get("owner") not in team_ids:
            store.warn(f"{store.where('services', s, 'owner')}"
                       f"service {s.get('id')} names owner {s.get('owner')}, "
                       "which is not a team in the data")
    for t in facts["teams"]:
        t["size"] = len(t.get("members") or [])
        ident = t.get("id")
        t["services"] = owned.get(ident, []) if ident is not None else []


def _join_incidents(store: JoinStore, now: datetime | None) -> None:
    """incident.postmortem (the first by file name) and incident.deployment (caused_by)."""
    facts = store.by_kind
    incidents = facts.get("incidents", [])
    inc_by_id = _by_id(store, "incidents")
    dep_by_id = _by_id(store, "deployments")
    by_incident: dict[Any, dict[str, Any]] = {}
    for pm in sorted(facts.get("postmortems", []), key=lambda p: str(p.get("file", ""))):
        ref = pm.get("incident")
        if ref in inc_by_id:
            by_incident.setdefault(ref, pm)
        elif ref is not None:
            store.warn(f"{store.where('postmortems', pm, 'incident')}"
                       f"postmortem {pm.get('file', ref)} names incident {ref}, "
                       "which is not in the data")
    deployments = facts.get("deployments")
    cause = _CauseIndex(deployments) if deployments is not None else None
    for inc in incidents:
        found = by_incident.get(inc.get("id"))
        if found is not None:
            inc["postmortem"] = found
        else:
            inc.pop("postmortem", None)
        if cause is not None and inc.get("caused_by") is None:
            cause.resolve(store, inc)
        dep_id = inc.get("caused_by")
        if dep_id is not None:
            dep = dep_by_id.get(dep_id)
            if dep is not None:
                inc["deployment"] = dep
            elif "deployments" in facts:
                store.warn(f"{store.where('incidents', inc, 'caused_by')}"
                           f"incident {inc.get('id')} names deployment {dep_id}, "
                           "which is not in the data")
    if "deployments" not in facts:
        _drop_by_id(store)  # no deployment join to read them


class _CauseIndex:
    """An incident that names the change or commit that caused it (GitHub incident
    signals: ``caused_by_change``, ``caused_by_commit``) gets ``caused_by``: the first
    successful production deployment that shipped it, if that finished before the
    incident opened (a later one cannot have caused it)."""

    def __init__(self, deployments: list[dict[str, Any]]) -> None:
        self._deployments = deployments
        self._first: dict[str, Any] | None = None

    @property
    def first(self) -> dict[str, Any]:
        """Each shipped ref and sha -> its first deployment (made on the first incident
        that names a change or commit: most data names the deployment itself)."""
        if self._first is None:
            first = self._first = first_by_ref(self._deployments)
            # a deployment ships its own sha too (the first one read has no `changes`)
            for d in self._deployments:
                sha = d.get("sha")
                if sha and is_production_success(d) and d.get("finished_at"):
                    known = first.get(str(sha))
                    if known is None or earlier(d, known):
                        first[str(sha)] = d
        return self._first

    def resolve(self, store: JoinStore, inc: dict[str, Any]) -> None:
        refs = [str(r) for r in (inc.get("caused_by_change"), inc.get("caused_by_commit"))
                if r is not None]
        if not refs:
            return
        dep = None
        for ref in refs:
            dep = self.first.get(ref)
            if dep is None and re.match(_ABBREV, ref) and len(ref) not in (40, 64):
                # an abbreviated sha: the first whole SHA-1 or SHA-256 it starts
                dep = next((d for k, d in sorted(self.first.items())
                            if len(k) in (40, 64) and k.startswith(ref.lower())), None)
            if dep is not None:
                break
        created = inc.get("created_at")
        if dep is not None and (created is None or dep["finished_at"] <= created):
            inc["caused_by"] = dep["id"]
            return
        what = (f"pull request {inc['caused_by_change']}" if inc.get("caused_by_change")
                else f"commit {inc.get('caused_by_commit')}")
        store.warn(f"{store.where('incidents', inc, 'caused_by')}incident {inc.get('id')} names "
                   f"{what} as its cause, but no successful production deployment in the data "
                   "shipped it before the incident opened; its cause is unknown")


_ABBREV = r"^[0-9a-fA-F]{7,64}$"  # compiled at first use (re's cache): few incidents name one


def _join_deployments(store: JoinStore, now: datetime | None) -> None:
    """deployment.incidents, .remediated_by and .failed, as of ``now`` (METRICS.md).

    An incident opened, or a rollback/hotfix finishing, at or after ``now``
    has not happened yet, so it does not mark a deployment failed.
    """
    facts = store.by_kind
    deployments = facts["deployments"]
    incidents = facts.get("incidents", [])
    dep_by_id = _by_id(store, "deployments")
    inc_by_id = _by_id(store, "incidents")
    _drop_by_id(store)  # read by the incidents join (before) and this one only
    caused: dict[Any, list[dict[str, Any]]] = {}
    for inc in incidents:
        if inc.get("caused_by") in dep_by_id and _known(inc.get("created_at"), now):
            caused.setdefault(inc["caused_by"], []).append(inc)
    remediated: dict[Any, list[Any]] = {}
    for d in deployments:
        target = d.get("remediates")
        if target is None or d.get("kind") not in ("rollback", "hotfix"):
            continue
        if target in dep_by_id:
            # "a later deployment": a remediation that finished before the
            # deployment it claims to fix cannot have fixed it.
            fixed = dep_by_id[target]
            if _later(d, fixed) and _known(d.get("finished_at"), now):
                remediated.setdefault(target, []).append(d.get("id"))
        elif target not in inc_by_id:
            store.warn(f"{store.where('deployments', d, 'remediates')}"
                       f"deployment {d.get('id')} remediates {target}, "
                       "which is not in the data")
    # Most deployments caused nothing and were not remediated: they share one
    # empty list (a list each was ~11 MiB at 100,000 deployments). Facts are
    # read-only once gathered (docs/plugins.md, "Facts"), and this one says so.
    none = NO_ITEMS
    for d in deployments:
        ident = d.get("id")  # None (a store built outside gathering) joins nothing
        incs = caused.get(ident, none)
        fixes = remediated.get(ident, none)
        d["incidents"] = incs
        d["remediated_by"] = fixes
        d["failed"] = bool(incs or fixes)


def _by_id(store: JoinStore, kind: str) -> dict[Any, dict[str, Any]]:
    """Id -> the last fact of ``kind`` with that id (facts without one, or with a
    null one, left out: a null id names nothing, so an incident with no
    ``caused_by`` is no incident of a deployment whose id is null).

    The incident join and the deployment join both read the deployments and the
    incidents by id: made once, in the run's fact index, for the two (a table
    of 100,000 deployments was made twice), then dropped (:func:`_drop_by_id`)
    so it is not kept for the run.
    """
    facts = store.by_kind.get(kind, [])
    index = getattr(store, "index", None)

    def build() -> dict[Any, dict[str, Any]]:
        table = {f["id"]: f for f in facts if "id" in f}
        if None in table:  # a null id names nothing (stores built outside gathering)
            del table[None]
        # A fact each, none null: every fact has an id of its own, what the index's
        # unique() would learn again from a list and a set of the ids (FactIndex.known_unique)
        known = getattr(index, "known_unique", None)
        if known is not None and len(table) == len(facts):
            known(kind, facts)
        return table

    if index is None:
        return build()
    # keyed by the list too: a join store whose facts of the kind changed since
    # (a later join of another store) never reads an older table
    table = index.memo(("datakinds.by_id", kind), lambda: (facts, build()))
    return table[1] if table[0] is facts else build()


def _drop_by_id(store: JoinStore) -> None:
    index = getattr(store, "index", None)
    if index is not None:
        index.drop(("datakinds.by_id", "deployments"))
        index.drop(("datakinds.by_id", "incidents"))


class _NoItems(list):  # type: ignore[type-arg]
    """The empty list joins share between facts: changing it raises instead of
    changing every fact that holds it. Otherwise a list (``[]``, JSON, CEL)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a joined list is shared between facts and read-only once facts "
                        "are gathered (docs/plugins.md, \"Facts\"): assign a new list")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


#: The one empty list the builtin joins put where a fact has nothing joined.
NO_ITEMS: list[Any] = _NoItems()


def _join_changes(store: JoinStore, now: datetime | None) -> None:
    """change.deployment: the earliest successful production deployment that shipped it.

    A deployment may name the change by its id or by its merge sha; whichever
    deployment finished first ships it (equal times: the natural id order).
    """
    deployments = store.by_kind.get("deployments", [])
    if not deployments:
        return
    # The run's fact index (FactStore.index) makes the same table for lead time:
    # when every deployment has an id of its own, its unique deployments are
    # these, so the table is made once a run, here.
    index = getattr(store, "index", None)
    if index is not None and index.unique("deployments") is deployments:
        first = index.first_by_ref("production")
    else:
        first = first_by_ref(deployments)
    get = first.get
    for c in store.by_kind["changes"]:
        # shipping_deployment(c, first) inlined (keep the two alike): one call per
        # change was a third of this join
        ident, sha = c.get("id"), c.get("merge_sha")
        by_id = None if ident is None else get(ident if type(ident) is str else str(ident))
        by_sha = None if sha is None else get(sha if type(sha) is str else str(sha))
        if by_sha is None:
            if by_id is not None:
                c["deployment"] = by_id
        elif by_id is None or (by_sha is not by_id and earlier(by_sha, by_id)):
            c["deployment"] = by_sha
        else:
            c["deployment"] = by_id


def _known(ts: Any, now: datetime | None) -> bool:
    """Whether a fact stamped ``ts`` has happened as of ``now`` (no stamp: in the data, so yes)."""
    return now is None or not isinstance(ts, datetime) or ts < now


def _later(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    ta, tb = a.get("finished_at"), b.get("finished_at")
    return ta is None or tb is None or ta > tb


# ---------------------------------------------------------------------------
# deployments in time order (the joins above, DORA metrics, lead time through git)
# ---------------------------------------------------------------------------


def is_production_success(d: Mapping[str, Any], environment: str = "production") -> bool:
    """A successful deployment to ``environment`` (no environment: production)."""
    return d.get("status") == "success" and d.get("environment", "production") == environment


def natural_key(text: object) -> tuple[Any, ...]:
    """Sort key putting ``dep-9`` before ``dep-10``."""
    # The digit runs are every other part; a compiled pattern and one map, no
    # generator: ~1 us a key instead of ~4.5 (evidence sorts make thousands).
    parts = _DIGITS.split(text if type(text) is str else str(text))
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


# At most 1,000 digits a run: int() refuses over 4,300 (Python's limit), and an id
# of data written as 5,000 digits crashed every evidence sort; a longer run is
# read as several numbers in a row (still one total order).
_DIGITS = re.compile(r"(\d{1,1000})")


def first_by_ref(deployments: Iterable[Mapping[str, Any]],
                 environment: str = "production", *, successful: bool = False,
                 ) -> dict[str, Any]:
    """Each shipped ref -> the earliest successful deployment to ``environment`` naming it.

    ``successful``: every deployment given is known to be a successful one to
    ``environment`` (the fact index's production list), so only ``finished_at``
    is tested (two lookups and comparisons a deployment fewer).
    """
    first: dict[str, Any] = {}
    get = first.get
    for d in deployments:
        if not (d.get("finished_at") if successful else (
                d.get("status") == "success" and d.get("environment", "production")
                == environment and d.get("finished_at"))):
            continue
        for ref in d.get("changes") or ():
            key = ref if type(ref) is str else str(ref)
            known = get(key)
            if known is None or earlier(d, known):
                first[key] = d
    return first


def earlier(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``a`` finished before ``b``; on equal times, the natural id order (dep-9 < dep-10)."""
    ta, tb = a["finished_at"], b["finished_at"]
    if ta != tb:
        return bool(ta < tb)
    return natural_key(a.get("id")) < natural_key(b.get("id"))


def shipping_deployment(change: Mapping[str, Any], first: Mapping[str, Any]) -> Any:
    """The earliest deployment naming the change by its id or by its merge sha (by
    its id when both name the same time). Inlined in :func:`_join_changes`."""
    get = first.get
    ident, sha = change.get("id"), change.get("merge_sha")
    by_id = None if ident is None else get(ident if type(ident) is str else str(ident))
    by_sha = None if sha is None else get(sha if type(sha) is str else str(sha))
    if by_sha is None:
        return by_id
    if by_id is None or (by_sha is not by_id and earlier(by_sha, by_id)):
        return by_sha
    return by_id


# ---------------------------------------------------------------------------
# the kinds
# ---------------------------------------------------------------------------

_TEAM_REF = {"team": "teams"}
_SERVICE_REF = {"service": "services"}

#: DATA.md's kinds, in the order their joins run and their dangling references
#: are reported (teams, then services, then changes are the referenced kinds).
BUILTIN = KindRegistry((
    FactKind("teams", "team", schema="teams", requires=("services",),
             joined={"services": "services"}, aliases=("github",), join=_join_teams,
             extra_fields=("size",),
             links={"services": Link("services", many=True, via="services")}),
    FactKind("services", "service", schema="services",
             links={"team": Link("teams", via="owner")}),
    FactKind(
        "incidents", "incident", schema="incidents",
        timestamps=("created_at", "resolved_at"),
        joined={"postmortem": "postmortems", "deployment": "deployments"},
        links={"postmortem": Link("postmortems"), "deployment": Link("deployments")},
        requires=("postmortems", "deployments"), references=_SERVICE_REF,
        join=_join_incidents,
    ),
    FactKind(
        "deployments", "deployment", schema="deployments",
        timestamps=("finished_at", "started_at"),
        lists=("changes",),
        joined={"incidents": "incidents", "remediated_by": "deployments"},
        links={"incidents": Link("incidents", many=True),
               "remediated_by": Link("deployments", many=True, via="remediated_by"),
               "changes": Link("changes", many=True, via="changes")},
        requires=("incidents",), references={**_SERVICE_REF, "changes": "changes"},
        join=_join_deployments, extra_fields=("failed",),
    ),
    FactKind(
        "changes", "change", schema="changes",
        timestamps=("created_at", "first_commit_at", "merged_at"),
        integers=("additions", "deletions"),
        joined={"deployment": "deployments"},
        links={"deployment": Link("deployments")},
        requires=("deployments",), aliases=("merge_sha",), commit_refs=True,
        join=_join_changes,
    ),
    FactKind("ci_runs", "ci_run", schema="ci_runs", timestamps=("started_at", "finished_at")),
    FactKind(
        "iterations", "iteration", schema="iterations", id_field=None, dates=("start", "end"),
        numbers=("capacity", "committed", "unplanned"), references=_TEAM_REF,
    ),
    FactKind(
        "survey_answers", "survey_answer", schema="survey_answers", id_field=None,
        dates=("date",), integers=("q1", "q2", "q3", "q4", "q5", "q6"), references=_TEAM_REF,
    ),
    FactKind("goals", "goal", schema="goals", references=_TEAM_REF),
    FactKind("postmortems", "postmortem", schema="postmortems", dates=("published_at",),
             extra_fields=("id", "file", "sections", "section_lines", "sections_normalized",
                           "lines", "body_line")),
    FactKind("commits", "commit", id_field="sha", timestamps=("authored_at", "committed_at")),
    FactKind("modules", "module"),
    FactKind("codeowners", "codeowners", id_field="pattern"),
))


@hookimpl
def guardrails_fact_kinds() -> list[FactKind]:
    """The kinds of DATA.md, with their joins."""
    return list(BUILTIN.values())
