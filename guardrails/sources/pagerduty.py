"""The ``pagerduty`` source: incidents from PagerDuty REST v2.

``GET /incidents`` with ``since``/``until`` (PagerDuty refuses ranges over six
months, so the window is read in chunks of at most 180 days),
``service_ids[]``, and ``offset``/``limit`` paging until ``more`` is false.

Mapping to DATA.md incidents:

- ``id`` is the ``incident_number`` as text (what people see as ``#1234`` and
  write in postmortem front matter); PagerDuty's own id is kept as
  ``pagerduty_id``. If a GitHub source also yields incidents, their numbers
  may collide: configure incidents from one source.
- ``severity``: ``priority.summary`` looked up in ``severity_map``, else
  ``urgency`` looked up there; absent when neither maps.
- ``resolved_at``: ``resolved_at``, or ``last_status_change_at`` when the
  status is ``resolved`` and the account's API does not send it.
- ``service``: ``service.id`` through ``service_map``, else the service's
  name (with a warning naming the unmapped id).
"""

from __future__ import annotations

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
from guardrails.timeutil import iso

#: longest since/until range per request (PagerDuty allows six months)
CHUNK = timedelta(days=180)


class PagerDutySource(Source):
    """Incidents of the configured PagerDuty services."""

    name: ClassVar[str] = "pagerduty"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service_ids"],
        "properties": {
            "service_ids": {"type": "array", "minItems": 1, "items": {"type": "string"},
                            "description": "PagerDuty service ids (PXXXXXX) to read."},
            "service_map": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "PagerDuty service id -> service id in org data."},
            "severity_map": {"type": "object", "additionalProperties": {
                "type": "string", "pattern": "^SEV[1-5]$"},
                "description": "Priority name or urgency -> SEV1..SEV5."},
            **COMMON_PROPERTIES,
        },
    }

    def __init__(self, options: Any, env: Any) -> None:
        super().__init__(options, env)
        o = self.options
        self.service_ids = [str(s) for s in o.get("service_ids") or []]
        self.service_map = {str(k): str(v) for k, v in (o.get("service_map") or {}).items()}
        self.severity_map = {str(k).lower(): str(v)
                             for k, v in (o.get("severity_map") or {}).items()}
        self.settings = HttpSettings.from_options(
            o, api_url="https://api.pagerduty.com", token_env="PAGERDUTY_TOKEN")
        self.client: HttpClient | None = None

    def validate(self) -> None:
        """Config checks a schema cannot make."""
        if not self.service_ids:
            raise config_error(self, "service_ids", "the list is empty",
                               "list the PagerDuty service ids to read, e.g. [PXXXXXX]")

    def provides(self) -> set[str]:
        return {"incidents"}

    def describe(self) -> str:
        return f"pagerduty {len(self.service_ids)} service(s)"

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Read incidents created in the window."""
        if "incidents" not in kinds:
            return {}
        self.validate()
        client = HttpClient(
            self.name, "PagerDuty", self.settings, self.env,
            headers={"Accept": "application/json"},
            auth_scheme=lambda token: f"Token token={token}",
            token_required=True,
        )
        self.client = client
        out: dict[str, list[dict[str, Any]]] = {}
        with gathering(client, self.warnings):
            out["incidents"] = self._incidents(client)
        return out

    def chunks(self) -> list[tuple[datetime, datetime]]:
        """since/until pairs covering the window, whole UTC days, each at most CHUNK."""
        end = self.env.now
        start = (end - self.env.window).replace(hour=0, minute=0, second=0, microsecond=0)
        stop = end.replace(hour=0, minute=0, second=0, microsecond=0)
        if stop < end:
            stop += timedelta(days=1)
        out = []
        while start < stop:
            out.append((start, min(start + CHUNK, stop)))
            start += CHUNK
        return out

    def _incidents(self, client: HttpClient) -> list[dict[str, Any]]:
        end = self.env.now
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        unmapped: dict[str, str] = {}
        for since, until in self.chunks():
            params = {
                "since": iso(since), "until": iso(until),
                "service_ids[]": self.service_ids,
                "statuses[]": ["triggered", "acknowledged", "resolved"],
                "time_zone": "UTC", "sort_by": "created_at:asc", "total": "false",
            }
            for items in client.offset_pages("/incidents", params, purpose="incidents",
                                             items_key="incidents", shape=shapes.PD_INCIDENT,
                                             page_shape=shapes.PD_INCIDENTS):
                for inc in items:
                    fact = self._fact(inc, end, unmapped)
                    if fact is not None and fact["id"] not in seen:
                        seen.add(fact["id"])
                        out.append(fact)
        for pd_id, name in sorted(unmapped.items()):
            self.warnings.append(
                f"pagerduty: service {pd_id} ({name}) is not in service_map; its incidents "
                f"name the service {name!r}")
        return out

    def _fact(self, inc: dict[str, Any], end: datetime, unmapped: dict[str, str]
              ) -> dict[str, Any] | None:
        """The fact of one incident (checked against http_shapes.PD_INCIDENT), or None
        when it was created after ``end`` or its dates contradict (with a warning)."""
        created = _ts(inc.get("created_at"))
        if created is None or created >= end:
            return None
        status = inc.get("status")
        resolved = _ts(inc.get("resolved_at"))
        if resolved is None and status == "resolved":
            resolved = _ts(inc.get("last_status_change_at"))
        number = inc.get("incident_number")
        if resolved is not None and resolved < created:
            self.warnings.append(
                f"pagerduty: incident #{number if number is not None else inc.get('id')} "
                f"(GET /incidents) was resolved ({iso(resolved)}) before it was created "
                f"({iso(created)}); excluded")
            return None
        if resolved is not None and resolved >= end:
            resolved = None  # resolved after --now: open as of then
        service = inc.get("service") or {}
        sid = str(service.get("id") or "")
        name = self.service_map.get(sid)
        if name is None:
            name = service.get("summary") or sid or None
            if sid:
                unmapped[sid] = str(name)
        fact = {
            "id": str(number) if number is not None else str(inc.get("id")),
            "pagerduty_id": inc.get("id"),
            "title": inc.get("title") or inc.get("summary"),
            "created_at": created,
            "resolved_at": resolved,
            "status": "resolved" if resolved else (
                "acknowledged" if status == "resolved" else status),
            "severity": self._severity(inc),
            "urgency": inc.get("urgency"),
            "service": name,
            "url": inc.get("html_url"),
        }
        return {k: v for k, v in fact.items() if v is not None}

    def _severity(self, inc: dict[str, Any]) -> str | None:
        priority = inc.get("priority")
        if isinstance(priority, dict):
            for key in (priority.get("summary"), priority.get("name")):
                if key and str(key).lower() in self.severity_map:
                    return self.severity_map[str(key).lower()]
        urgency = inc.get("urgency")
        if urgency and str(urgency).lower() in self.severity_map:
            return self.severity_map[str(urgency).lower()]
        return None


def _ts(value: Any) -> datetime | None:
    return shapes.api_time("pagerduty", value)


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    """The pagerduty source."""
    return [PagerDutySource]
