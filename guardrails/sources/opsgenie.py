"""The ``opsgenie`` source: incidents from the Opsgenie Incident API.

``GET /v1/incidents`` with ``query=createdAt>=<ms> AND createdAt<<ms>`` (the
window rounded to whole UTC days, so runs on the same day ask the same URLs
and the cache answers them), sorted by ``createdAt`` ascending, paged by
``offset``/``limit`` (at most 100 a page; the API serves no more than 20,000
results of one listing, so a longer one fails the source instead of ending
short). The resolution time of each resolved or closed incident comes from its
timeline, ``GET /v2/incident-timelines/<id>/entries`` (paged by the opaque
``nextOffset``), read on ``workers`` threads.

Mapping to DATA.md incidents:

- ``id`` is the ``tinyId`` (the number people see and write in postmortem
  front matter); Opsgenie's own id is kept as ``opsgenie_id``.
- ``resolved_at``: the last ``IncidentResolved`` entry of the timeline after
  the last ``IncidentReopened`` one, else the last ``IncidentClosed`` one
  (types matched by name, case-insensitively); when the timeline holds
  neither, ``impactEndDate``, else ``updatedAt`` (with one warning counting them).
- ``severity``: ``priority`` (P1..P5) through ``priority_map``.
- ``service``: the first impacted service through ``services``' mapping
  (all of them in ``services``); ``teams``: responder teams through ``teams``'
  mapping, the first of them in ``team``.
- ``postmortem_url``: the incident's ``postmortem_property`` extra property,
  when it holds an http(s) link. Opsgenie has no public postmortem API.

Alerts are not read: an alert is a signal (many per outage, opened and closed
by monitors, deduplicated by alias), an incident is the customer-facing event
that people declared and resolved. Counting alerts would inflate the change
failure rate and shrink time to restore to a monitor's flapping period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from guardrails.plugin import Source, hookimpl
from guardrails.sources import http_shapes as shapes
from guardrails.sources.http import (
    COMMON_PROPERTIES,
    HttpClient,
    HttpSettings,
    config_error,
    gathering,
)
from guardrails.sources.http_settings import API_URL_PATTERN
from guardrails.textsafe import printable
from guardrails.timeutil import iso

#: the API's cap on offset + limit of one listing
MAX_RESULTS = 20_000
#: the largest page the API serves
PAGE = 100
DEFAULT_PRIORITIES = {f"P{n}": f"SEV{n}" for n in range(1, 6)}

_NAMES = {"oneOf": [
    {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    {"type": "object", "minProperties": 1,
     "additionalProperties": {"type": "string", "minLength": 1}},
]}


class OpsgenieSource(Source):
    """Incidents of the configured Opsgenie services or teams."""

    name: ClassVar[str] = "opsgenie"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "pattern": API_URL_PATTERN,
                    "description": "API host: https://api.opsgenie.com, or "
                                   "https://api.eu.opsgenie.com for the EU instance."},
            "services": {**_NAMES, "description": "Opsgenie service ids whose incidents to "
                         "read: a list, or a mapping to the service ids of your org data."},
            "teams": {**_NAMES, "description": "Opsgenie teams (name or id) whose incidents "
                      "to read (as responders): a list, or a mapping to your team ids."},
            "priority_map": {"type": "object", "additionalProperties": {
                "type": "string", "pattern": "^SEV[1-5]$"},
                "description": "Priority (P1..P5) -> SEV1..SEV5 (default P1 -> SEV1 ...)."},
            "postmortem_property": {"type": "string", "minLength": 1,
                                    "description": "Extra property holding the postmortem "
                                                   "link (default postmortem)."},
            **COMMON_PROPERTIES,
        },
    }

    def __init__(self, options: Any, env: Any) -> None:
        super().__init__(options, env)
        o = self.options
        self.services = _mapping(o.get("services"))
        self.teams = _mapping(o.get("teams"))
        self.priority_map = {str(k).upper(): str(v) for k, v in
                             (o.get("priority_map") or DEFAULT_PRIORITIES).items()}
        self.postmortem_property = str(o.get("postmortem_property", "postmortem"))
        base = o.get("api_url") or o.get("url") or "https://api.opsgenie.com"
        self.settings = HttpSettings.from_options(
            {**o, "api_url": base}, api_url=base, token_env="OPSGENIE_API_KEY")
        self.client: HttpClient | None = None  # the last run's client, for its stats

    def validate(self) -> None:
        """Config checks a schema cannot make."""
        if "url" in self.options and "api_url" in self.options:
            raise config_error(self, "url", "both url and api_url are set",
                               "keep one of them (url is the documented name)")
        if not self.services and not self.teams:
            raise config_error(self, "services", "neither services nor teams is set",
                               "name the Opsgenie services (ids) or teams whose incidents "
                               "to read, e.g. services: [<service id>]")

    def provides(self) -> set[str]:
        return {"incidents"}

    def describe(self) -> str:
        what = [f"{len(self.services)} service(s)"] if self.services else []
        what += [f"{len(self.teams)} team(s)"] if self.teams else []
        return "opsgenie " + ", ".join(what)

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Read incidents created in the window and their resolution times."""
        if "incidents" not in kinds:
            return {}
        self.validate()
        client = HttpClient(
            self.name, "Opsgenie", self.settings, self.env,
            headers={"Accept": "application/json"},
            auth_scheme=lambda token: f"GenieKey {token}",
            token_required=True,
        )
        self.client = client
        out: dict[str, list[dict[str, Any]]] = {}
        with gathering(client, self.warnings):
            out["incidents"] = self._incidents(client)
        return out

    def query(self) -> str:
        """The search query: created in the window, in whole UTC days."""
        end = self.env.now
        start = (end - self.env.window).replace(hour=0, minute=0, second=0, microsecond=0)
        stop = end.replace(hour=0, minute=0, second=0, microsecond=0)
        if stop < end:
            stop += timedelta(days=1)
        return f"createdAt>={_ms(start)} AND createdAt<{_ms(stop)}"

    # -- reading -----------------------------------------------------------------

    def _incidents(self, client: HttpClient) -> list[dict[str, Any]]:
        end = self.env.now
        chosen: list[dict[str, Any]] = []
        seen: set[str] = set()
        params = {"query": self.query(), "sort": "createdAt", "order": "asc"}
        for items in client.offset_pages(
                "/v1/incidents", params, purpose="incidents", items_key="data", limit=PAGE,
                shape=shapes.OG_INCIDENT, page_shape=shapes.OG_INCIDENTS,
                more=_has_next, max_results=MAX_RESULTS):
            for inc in items:
                created = _ts(inc["createdAt"])
                if created is None or created >= end or inc["id"] in seen:
                    continue
                if self._selected(inc):
                    seen.add(inc["id"])
                    chosen.append(inc)
        done = [i for i in chosen if str(i.get("status") or "").lower() in ("resolved", "closed")]
        timelines = client.map(lambda inc: self._timeline(client, inc), done, label="timelines")
        resolved = {inc["id"]: entries for inc, entries in zip(done, timelines, strict=True)}
        unmapped: set[str] = set()
        guessed: list[str] = []
        out = []
        for inc in chosen:
            fact = incident_fact(inc, resolved.get(inc["id"]), end, services=self.services,
                                 teams=self.teams, priority_map=self.priority_map,
                                 postmortem_property=self.postmortem_property,
                                 warn=self.warnings.append, unmapped=unmapped,
                                 guessed=guessed)
            if fact is not None:
                out.append(fact)
        if unmapped:
            names = ", ".join(sorted(printable(u[:80]) for u in unmapped)[:10])
            self.warnings.append(
                f"opsgenie: impacted service(s) {names} are not mapped in services; their "
                "incidents name the Opsgenie service id")
        if guessed:
            self.warnings.append(
                f"opsgenie: {len(guessed)} resolved incident(s) have no resolve or close entry "
                f"in their timeline (e.g. #{guessed[0]}); their resolution time is "
                "impactEndDate, else updatedAt")
        return out

    def _selected(self, inc: dict[str, Any]) -> bool:
        if self.services and any(s in self.services for s in inc.get("impactedServices") or ()):
            return True
        if self.teams:
            for r in inc.get("responders") or ():
                if isinstance(r, dict) and r.get("type") in (None, "team") and (
                        r.get("id") in self.teams or r.get("name") in self.teams):
                    return True
        return False

    def _timeline(self, client: HttpClient, inc: dict[str, Any]) -> list[dict[str, Any]]:
        path = f"/v2/incident-timelines/{inc['id']}/entries"
        return [e for page in client.cursor_pages(
            path, {"order": "asc", "limit": PAGE}, purpose="incidents",
            items=lambda d: d["data"]["entries"],
            next_cursor=lambda d: d["data"].get("nextOffset"),
            shape=shapes.OG_TIMELINE_ENTRY, page_shape=shapes.OG_TIMELINE) for e in page]


# -- answers -> facts (pure: the answers were checked against http_shapes) -------------


def resolution(entries: list[dict[str, Any]]) -> datetime | None:
    """When the incident was resolved, from its timeline entries (any order).

    The last resolve after the last reopen wins; without a resolve, the last
    close after the last reopen. Custom (user-written) entries never count.
    """
    resolved = closed = None
    timed = sorted(((t, e) for e in entries if (t := _ts(e.get("eventTime"))) is not None),
                   key=lambda pair: pair[0])
    for at, e in timed:
        if str(e.get("group") or "").lower() == "custom":
            continue
        kind = str(e.get("type") or "").lower()
        if "reopen" in kind:
            resolved = closed = None
        elif "resolve" in kind:
            resolved = at
        elif "close" in kind:
            closed = at
    return resolved or closed


def incident_fact(inc: dict[str, Any], timeline: list[dict[str, Any]] | None, end: datetime,
                  *, services: dict[str, str], teams: dict[str, str],
                  priority_map: dict[str, str], postmortem_property: str,
                  warn: Callable[[str], None], unmapped: set[str], guessed: list[str]
                  ) -> dict[str, Any] | None:
    """The ``incidents`` fact of one Opsgenie incident (None: dates that contradict)."""
    created = _ts(inc["createdAt"])
    assert created is not None  # required by the shape
    ident = str(inc.get("tinyId") or inc["id"])
    resolved = None
    if timeline is not None:
        resolved = resolution(timeline)
        if resolved is None:
            resolved = _ts(inc.get("impactEndDate")) or _ts(inc.get("updatedAt"))
            guessed.append(ident)
    if resolved is not None and resolved < created:
        warn(f"opsgenie: incident #{ident} (GET /v1/incidents) was resolved ({iso(resolved)}) "
             f"before it was created ({iso(created)}); excluded")
        return None
    if resolved is not None and resolved >= end:
        resolved = None  # resolved after --now: open as of then
    impacted = [str(s) for s in inc.get("impactedServices") or ()]
    mapped = []
    for sid in impacted:
        name = services.get(sid)
        if name is None:
            unmapped.add(sid)
            name = sid
        mapped.append(name)
    responder_teams = []
    for r in inc.get("responders") or ():
        if not isinstance(r, dict) or r.get("type") not in (None, "team"):
            continue
        key = r.get("name") if r.get("name") in teams else r.get("id")
        team = teams.get(str(key)) if key is not None else None
        responder_teams.append(team or r.get("name") or r.get("id"))
    link = (inc.get("extraProperties") or {}).get(postmortem_property)
    priority = str(inc.get("priority") or "").upper() or None
    fact = {
        "id": ident,
        "opsgenie_id": inc["id"],
        "title": inc.get("message"),
        "created_at": created,
        "resolved_at": resolved,
        "status": "resolved" if resolved else "open",
        "severity": priority_map.get(priority) if priority else None,
        "priority": priority,
        "service": mapped[0] if mapped else None,
        "services": mapped or None,
        "team": next((t for t in responder_teams if t), None),
        "teams": [t for t in responder_teams if t] or None,
        "postmortem_url": link if isinstance(link, str)
        and link.lower().startswith(("https://", "http://")) else None,
        "url": (inc.get("links") or {}).get("web"),
    }
    return {k: v for k, v in fact.items() if v is not None}


def _has_next(data: Any) -> bool:
    paging = data.get("paging") if isinstance(data, dict) else None
    return bool(isinstance(paging, dict) and paging.get("next"))


def _mapping(value: Any) -> dict[str, str]:
    """A list of names (each maps to itself) or a mapping, as a mapping."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {str(v): str(v) for v in value or ()}


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def _ts(value: Any) -> datetime | None:
    return shapes.api_time("opsgenie", value)


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    """The opsgenie source."""
    return [OpsgenieSource]
