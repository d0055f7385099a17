"""Fact kinds, the fact store, and the joins every source relies on.

A fact is a plain ``dict`` (JSON-shaped, timestamps as aware UTC
``datetime``), so declarative rules can select and validate facts with JSON
Schema. Sources yield raw facts; the joins of DATA.md are made here, once,
after all sources gathered, so an incident from PagerDuty joins a deployment
from GitHub just as two files would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from guardrails.errors import SourceError
from guardrails.excerpt import excerpt
from guardrails.timeutil import iso


@dataclass(frozen=True)
class FactKind:
    name: str  # plural, as rules name it: "deployments"
    singular: str  # as evidence subjects name it: "deployment/dep-1"
    id_field: str | None = "id"
    timestamps: tuple[str, ...] = ()  # ISO timestamps with offset
    dates: tuple[str, ...] = ()  # dates (or timestamps) -> kept as datetime at 00:00 UTC
    lists: tuple[str, ...] = ()  # CSV cells holding whitespace-separated lists
    integers: tuple[str, ...] = ()  # CSV cells that are integers
    numbers: tuple[str, ...] = ()  # CSV cells that are numbers
    joined: Mapping[str, str] = field(default_factory=dict)  # field -> kind, set by joins
    requires: tuple[str, ...] = ()  # other kinds the joins of this kind read


KINDS: dict[str, FactKind] = {
    k.name: k
    for k in (
        FactKind("teams", "team", requires=("services",), joined={"services": "services"}),
        FactKind("services", "service"),
        FactKind(
            "deployments", "deployment",
            timestamps=("finished_at", "started_at"),
            lists=("changes",),
            joined={"incidents": "incidents", "remediated_by": "deployments"},
            requires=("incidents",),
        ),
        FactKind(
            "incidents", "incident",
            timestamps=("created_at", "resolved_at"),
            joined={"postmortem": "postmortems", "deployment": "deployments"},
            requires=("postmortems", "deployments"),
        ),
        FactKind(
            "changes", "change",
            timestamps=("created_at", "first_commit_at", "merged_at"),
            integers=("additions", "deletions"),
            joined={"deployment": "deployments"},
            requires=("deployments",),
        ),
        FactKind("ci_runs", "ci_run", timestamps=("started_at", "finished_at")),
        FactKind(
            "iterations", "iteration", id_field=None, dates=("start", "end"),
            numbers=("capacity", "committed", "unplanned"),
        ),
        FactKind("goals", "goal"),
        FactKind("postmortems", "postmortem", dates=("published_at",)),
        FactKind(
            "survey_answers", "survey_answer", id_field=None, dates=("date",),
            integers=("q1", "q2", "q3", "q4", "q5", "q6"),
        ),
        FactKind("commits", "commit", id_field="sha", timestamps=("authored_at", "committed_at")),
        FactKind("modules", "module"),
        FactKind("codeowners", "codeowners", id_field="pattern"),
    )
}


def subject(kind: str, fact: Mapping[str, Any]) -> str:
    """Evidence subject ``<singular>/<id>`` of a fact."""
    k = KINDS.get(kind)
    singular = k.singular if k else kind.rstrip("s")
    key = k.id_field if k else "id"
    ident = fact.get(key) if key else None
    if ident is None:
        ident = fact.get("id") or fact.get("file") or "?"
    return f"{singular}/{ident}"


def with_requirements(kinds: Iterable[str]) -> set[str]:
    """The kinds plus everything their joins read (transitively)."""
    out: set[str] = set()
    todo = list(kinds)
    while todo:
        k = todo.pop()
        if k in out:
            continue
        out.add(k)
        if k in KINDS:
            todo.extend(KINDS[k].requires)
    return out


class FactStore:
    """Facts by kind, with which source provided them and which sources failed."""

    def __init__(self) -> None:
        self._facts: dict[str, list[dict[str, Any]]] = {}
        self.provided_by: dict[str, list[str]] = {}
        self.failed: dict[str, SourceError] = {}
        self.warnings: list[str] = []
        #: Callables (kind, fact, field) -> "file:line" or None: sources that know
        #: where a fact was read (the files source) tell, so warnings name the row.
        self.locators: list[Callable[[str, Mapping[str, Any], str | None], str | None]] = []

    def where(self, kind: str, fact: Mapping[str, Any], field: str | None = None) -> str:
        """``"file:line: "`` of a fact (and field) when a source knows it, else ``""``."""
        for locate in self.locators:
            try:
                loc = locate(kind, fact, field)
            except Exception:  # noqa: BLE001 - a location is a courtesy, never a failure
                loc = None
            if loc:
                return f"{loc}: "
        return ""

    def add(self, kind: str, facts: list[dict[str, Any]], source: str) -> None:
        self._facts.setdefault(kind, []).extend(facts)
        self.provided_by.setdefault(kind, []).append(source)

    def fail(self, kind: str, error: SourceError) -> None:
        self.failed.setdefault(kind, error)

    def get(self, kind: str) -> list[dict[str, Any]]:
        """Facts of ``kind``; raises the SourceError if a source of it failed."""
        if kind in self.failed:
            raise self.failed[kind]
        return self._facts.get(kind, [])

    def has(self, kind: str) -> bool:
        return bool(self._facts.get(kind))

    def kinds(self) -> list[str]:
        return sorted(set(self._facts) | set(self.failed))

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._facts.items()}


def _warn(store: FactStore, msg: str) -> None:
    msg = excerpt(msg, 400)  # ids come from data: no escape sequences, no 10 kB id
    if msg not in store.warnings:
        store.warnings.append(msg)


def join(store: FactStore, now: datetime | None = None) -> None:
    """Make the joins of DATA.md in place. Dangling references become warnings.

    With ``now``, the failure joins are made as of now (METRICS.md): an
    incident opened, or a rollback/hotfix finishing, at or after ``now`` has
    not happened yet, so it does not mark a deployment failed.
    """
    facts = store._facts
    deployments = facts.get("deployments", [])
    incidents = facts.get("incidents", [])
    postmortems = facts.get("postmortems", [])
    dep_by_id = {d["id"]: d for d in deployments if "id" in d}
    inc_by_id = {i["id"]: i for i in incidents if "id" in i}

    if "teams" in facts:
        owned: dict[str, list[str]] = {}
        team_ids = {t["id"] for t in facts["teams"]} | {
            t["github"] for t in facts["teams"] if t.get("github")
        }
        for s in facts.get("services", []):
            owned.setdefault(s.get("owner"), []).append(s["id"])
            if s.get("owner") not in team_ids:
                _warn(store, f"{store.where('services', s, 'owner')}"
                      f"service {s['id']} names owner {s.get('owner')}, "
                      "which is not a team in the data")
        for t in facts["teams"]:
            t["size"] = len(t.get("members") or [])
            t["services"] = owned.get(t["id"], [])

    if "incidents" in facts:
        by_incident: dict[str, dict[str, Any]] = {}
        for pm in sorted(postmortems, key=lambda p: str(p.get("file", ""))):
            ref = pm.get("incident")
            if ref in inc_by_id:
                by_incident.setdefault(ref, pm)
            elif "incidents" in facts and ref is not None:
                _warn(store, f"{store.where('postmortems', pm, 'incident')}"
                      f"postmortem {pm.get('file', ref)} names incident {ref}, "
                      "which is not in the data")
        for inc in incidents:
            pm = by_incident.get(inc["id"])
            if pm is not None:
                inc["postmortem"] = pm
            else:
                inc.pop("postmortem", None)
            dep_id = inc.get("caused_by")
            if dep_id is not None:
                dep = dep_by_id.get(dep_id)
                if dep is not None:
                    inc["deployment"] = dep
                elif "deployments" in facts:
                    _warn(store, f"{store.where('incidents', inc, 'caused_by')}"
                          f"incident {inc['id']} names deployment {dep_id}, "
                          "which is not in the data")

    if "deployments" in facts:
        caused: dict[str, list[dict[str, Any]]] = {}
        for inc in incidents:
            if inc.get("caused_by") in dep_by_id and _known(inc.get("created_at"), now):
                caused.setdefault(inc["caused_by"], []).append(inc)
        remediated: dict[str, list[str]] = {}
        for d in deployments:
            target = d.get("remediates")
            if target is None or d.get("kind") not in ("rollback", "hotfix"):
                continue
            if target in dep_by_id:
                # "a later deployment": a remediation that finished before the
                # deployment it claims to fix cannot have fixed it.
                fixed = dep_by_id[target]
                if _later(d, fixed) and _known(d.get("finished_at"), now):
                    remediated.setdefault(target, []).append(d["id"])
            elif target not in inc_by_id:
                _warn(store, f"{store.where('deployments', d, 'remediates')}"
                      f"deployment {d['id']} remediates {target}, "
                      "which is not in the data")
        for d in deployments:
            d["incidents"] = caused.get(d["id"], [])
            d["remediated_by"] = remediated.get(d["id"], [])
            d["failed"] = bool(d["incidents"] or d["remediated_by"])

    if "changes" in facts and deployments:
        _join_changes(facts["changes"], deployments)
    _dangling(store)


def _dangling(store: FactStore) -> None:
    """Warn of references the joins above do not make: they point at nothing.

    A reference is only checked when the kind it points at has data (an org
    without services.yaml names services freely). Never fatal: exports are
    partial (DATA.md). At most :data:`DANGLING_SHOWN` warnings a reference
    field, then one line counting the rest.
    """
    facts = store._facts
    checks: list[tuple[str, str, str, set[str]]] = []  # kind, field, target kind, known ids
    if "teams" in facts:
        teams = {str(t["id"]) for t in facts["teams"]} | {
            str(t["github"]) for t in facts["teams"] if t.get("github")}
        checks += [(k, "team", "team", teams) for k in ("iterations", "survey_answers", "goals")]
    if "services" in facts:
        services = {str(s["id"]) for s in facts["services"]}
        checks += [(k, "service", "service", services) for k in ("incidents", "deployments")]
    if facts.get("changes"):
        known = {str(c["id"]) for c in facts["changes"] if "id" in c} | {
            str(c["merge_sha"]) for c in facts["changes"] if c.get("merge_sha")}
        checks.append(("deployments", "changes", "change", known))
    for kind, name, target, ids in checks:
        missing = 0
        for f in facts.get(kind, ()):
            value = f.get(name)
            refs = value if isinstance(value, list) else () if value is None else (value,)
            for ref in refs:
                if str(ref) in ids or (name == "changes" and _looks_like_sha(str(ref))):
                    continue
                missing += 1
                if missing <= DANGLING_SHOWN:
                    _warn(store, f"{store.where(kind, f, name)}{KINDS[kind].singular} "
                          f"{_label(kind, f)}names {target} {ref}, which is not in the data")
        if missing > DANGLING_SHOWN:
            _warn(store, f"... and {missing - DANGLING_SHOWN} more {KINDS[kind].singular} "
                  f"{name} reference(s) to a {target} that is not in the data")


#: Dangling-reference warnings shown a reference field before the rest are counted.
DANGLING_SHOWN = 20


def _looks_like_sha(ref: str) -> bool:
    """A commit sha: a deployment may name any commit it shipped, not only merge commits
    (a code host lists every commit between two deployments), so it is not dangling."""
    return (7 <= len(ref) <= 40 and all(c in "0123456789abcdef" for c in ref.lower())
            and (len(ref) == 40 or not ref.isdigit()))


def _label(kind: str, fact: Mapping[str, Any]) -> str:
    """``"<id> "`` of a fact that has an id, ``""`` for kinds without one."""
    id_field = KINDS[kind].id_field
    return f"{fact[id_field]} " if id_field and fact.get(id_field) is not None else ""


def _known(ts: Any, now: datetime | None) -> bool:
    """Whether a fact stamped ``ts`` has happened as of ``now`` (no stamp: in the data, so yes)."""
    return now is None or not isinstance(ts, datetime) or ts < now


def _later(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    ta, tb = a.get("finished_at"), b.get("finished_at")
    return ta is None or tb is None or ta > tb


def is_production_success(d: Mapping[str, Any], environment: str = "production") -> bool:
    return d.get("status") == "success" and d.get("environment", "production") == environment


def _natural(text: object) -> tuple[Any, ...]:
    """Sort key putting ``dep-9`` before ``dep-10``."""
    parts = re.split(r"(\d+)", str(text))
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def deployment_order(d: Mapping[str, Any]) -> tuple[Any, ...]:
    """Chronological order of deployments: finished_at, then natural id (dep-9 < dep-10)."""
    return (d["finished_at"], _natural(d.get("id")))


def first_by_ref(deployments: Iterable[Mapping[str, Any]],
                 environment: str = "production") -> dict[str, Any]:
    """Each shipped ref -> the earliest successful deployment to ``environment`` naming it."""
    first: dict[str, Any] = {}
    for d in deployments:
        if not (is_production_success(d, environment) and d.get("finished_at")):
            continue
        for ref in d.get("changes") or ():
            key = str(ref)
            known = first.get(key)
            if known is None or earlier(d, known):
                first[key] = d
    return first


def earlier(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``a`` before ``b`` in :func:`deployment_order`; the natural key only on ties."""
    ta, tb = a["finished_at"], b["finished_at"]
    if ta != tb:
        return bool(ta < tb)
    return _natural(a.get("id")) < _natural(b.get("id"))


def shipping_deployment(change: Mapping[str, Any], first: Mapping[str, Any]) -> Any:
    """The earliest deployment naming the change by its id or by its merge sha."""
    found = [first[str(k)] for k in (change.get("id"), change.get("merge_sha"))
             if k is not None and str(k) in first]
    if not found:
        return None
    return found[1] if len(found) == 2 and earlier(found[1], found[0]) else found[0]


def _join_changes(changes: list[dict[str, Any]], deployments: list[dict[str, Any]]) -> None:
    """change.deployment: the earliest successful production deployment that shipped it.

    A deployment may name the change by its id or by its merge sha; whichever
    deployment finished first ships it (equal times: the natural id order).
    """
    first = first_by_ref(deployments)
    for c in changes:
        dep = shipping_deployment(c, first)
        if dep is not None:
            c["deployment"] = dep


def to_jsonable(kind: str, fact: Mapping[str, Any]) -> dict[str, Any]:
    """A fact for output: timestamps as ISO text, joined facts as their subjects."""
    k = KINDS.get(kind)
    joined = k.joined if k else {}
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if key.startswith("_"):
            continue
        if key in joined and value is not None:
            target = joined[key]
            if isinstance(value, list):
                out[key] = [subject(target, v) if isinstance(v, Mapping) else v for v in value]
            elif isinstance(value, Mapping):
                out[key] = subject(target, value)
            else:
                out[key] = value
        else:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    return value


def json_view(kind: str, fact: Mapping[str, Any], depth: int = 1,
              memo: dict[tuple[int, int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """A JSON-shaped copy of a fact for JSON Schema conditions.

    Timestamps become ISO text; joined facts are included ``depth`` levels
    deep (so ``expect`` can look at ``incident.postmortem.status``) and named
    by their subject below that, which keeps the cyclic joins finite. ``memo``
    shares the views of joined facts between calls (a deployment joined by
    several incidents is converted once).
    """
    k = KINDS.get(kind)
    joined = k.joined if k else {}
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if key[:1] == "_":
            continue
        if key in joined and value is not None:
            target = joined[key]
            if isinstance(value, list):
                out[key] = [_joined(target, v, depth, memo) for v in value]
            else:
                out[key] = _joined(target, value, depth, memo)
        elif type(value) in _SCALARS:
            out[key] = value
        else:
            out[key] = _plain(value)
    return out


def _joined(kind: str, value: Any, depth: int,
            memo: dict[tuple[int, int], dict[str, Any]] | None) -> Any:
    if not isinstance(value, Mapping):
        return value
    if depth <= 0:
        return subject(kind, value)
    if memo is None:
        return json_view(kind, value, depth - 1)
    key = (id(value), depth - 1)
    view = memo.get(key)
    if view is None:
        view = memo[key] = json_view(kind, value, depth - 1, memo)
    return view


_SCALARS = frozenset({str, int, float, bool, type(None)})


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

    def __init__(self, store: FactStore) -> None:
        self._facts = store._facts
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
        self._singular = {KINDS[k].singular: k for k in self._KINDS}

    def _person(self, who: Any) -> str | None:
        found = self._member_of.get(str(who).lower()) if who else None
        return next(iter(found)) if found and len(found) == 1 else None

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
            table = self._by_id[kind] = {
                subject(kind, f).split("/", 1)[1]: f for f in self._facts.get(kind, [])}
        return table.get(ident)

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



def team_index(store: FactStore) -> TeamIndex:
    """The lazy subject -> team index of a store (see :class:`TeamIndex`)."""
    return TeamIndex(store)
