"""The shapes HTTP sources expect of API answers, checked before a field is read.

An API answer is data, not trust: a proxy, a broken server or an attacker
can send a list where an object belongs, a pull request without a
``number``, a timestamp that is a number or lies in the year 60000. Each
endpoint's answer (or each item of a listing) is checked against a small JSON
Schema of exactly the fields the source reads, with their types; timestamps
must parse (ISO 8601 with an offset) and lie between 1970 and 2199. An answer
that does not fit becomes one SourceError naming the URL path, the item and
the field, so the code that turns answers into facts can index and compare
without guarding every access, and no answer can make it raise anything else.

The schemas are written by hand from the fields the sources read (GitHub REST
``2022-11-28``, PagerDuty REST v2, Opsgenie Incident API v1 and
Incident Timeline API v2); fields they do not read are not checked,
so an API that adds fields keeps working.

Also here, for the code that turns checked answers into facts in every HTTP
source: :func:`api_time` (a timestamp field, None when empty), :func:`dig`
(nested fields) and :func:`compact` (absent fields dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from guardrails.errors import SourceError
from guardrails.textsafe import printable as _escape

#: earliest and latest timestamp an answer may carry
TS_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TS_MAX = datetime(2200, 1, 1, tzinfo=UTC)

_FORMAT = "api-timestamp"


def parse_api_timestamp(value: Any) -> datetime | None:
    """An API timestamp as an aware UTC datetime, or None when it is not a usable one."""
    from guardrails.timeutil import parse_timestamp

    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        ts = parse_timestamp(value)
    except (ValueError, OverflowError, TypeError):
        return None
    if not TS_MIN <= ts < TS_MAX:
        return None
    return ts



def api_time(source: str, value: Any) -> datetime | None:
    """A timestamp field of a checked answer as an aware UTC datetime (None when empty).

    The shapes let no unparsable timestamp through, so the SourceError of
    ``source`` raised for one here is a guard, not a path.
    """
    if not value:
        return None
    ts = parse_api_timestamp(value)
    if ts is None:
        raise SourceError(source, f"the API answered a timestamp that does not parse: "
                          f"{str(value)[:40]!r}")
    return ts


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]...``, None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def compact(fact: dict[str, Any]) -> dict[str, Any]:
    """Drop absent fields: DATA.md treats a missing field and null alike, rules read less."""
    return {k: v for k, v in fact.items() if v is not None}


def label_names(labels: Any) -> list[str]:
    """An issue's labels as names: GitHub and GitLab give objects or plain strings."""
    return [lb.get("name") or "" if isinstance(lb, dict) else str(lb) for lb in labels or []]


def severity_from_labels(labels: list[str], pattern: Any) -> str | None:
    """The first label the severity pattern matches: its group 1, ``SEV<n>`` for a digit
    (``sev1``, ``S1``), else upper-cased (``critical``). ``pattern`` is an RE2 pattern."""
    for label in labels:
        m = pattern.search(label[:200])
        if m:
            level = m.group(1) or ""
            return f"SEV{level}" if level.isdigit() else level.upper()
    return None


class Shape:
    """A JSON Schema for one answer, or for each item of a listing.

    :param name: what the answer is ("pull request", "incident"), for messages.
    :param schema: the JSON Schema (draft 2020-12); ``format: api-timestamp``
        marks timestamps.
    """

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self._validator: Any = None
        self._list_validator: Any = None

    def _validators(self) -> tuple[Any, Any]:
        if self._validator is None:
            # imported here so guardrails starts fast without HTTP sources
            from jsonschema import Draft202012Validator, FormatChecker

            checker = FormatChecker(formats=())
            checker.checks(_FORMAT)(lambda v: not isinstance(v, str)
                                    or parse_api_timestamp(v) is not None)
            self._validator = Draft202012Validator(self.schema, format_checker=checker)
            self._list_validator = Draft202012Validator(
                {"type": "array", "items": self.schema}, format_checker=checker)
        return self._validator, self._list_validator

    def check(self, data: Any, shown: str, purpose: str,
              error: Callable[[str], SourceError]) -> None:
        """Raise ``error(text)`` unless ``data`` has this shape."""
        self._raise(self._validators()[0], data, shown, purpose, error, listing=False)

    def check_items(self, items: list[Any], shown: str, purpose: str,
                    error: Callable[[str], SourceError]) -> None:
        """Raise ``error(text)`` unless every item of a listing page has this shape."""
        self._raise(self._validators()[1], items, shown, purpose, error, listing=True)

    def _raise(self, validator: Any, data: Any, shown: str, purpose: str,
               error: Callable[[str], SourceError], *, listing: bool) -> None:
        from jsonschema.exceptions import best_match

        try:
            errors = list(islice(validator.iter_errors(data), 50))
        except RecursionError:
            raise error(f"GET {shown} ({purpose}) answered JSON nested too deep") from None
        if not errors:
            return
        worst = best_match(errors)
        path = list(worst.absolute_path)
        where = ""
        if listing and path and isinstance(path[0], int):
            where = f"item {path[0] + 1} "
            path = path[1:]
        field = ".".join(str(p) for p in path)
        if field:
            where += f"field {field!r} "
        if worst.validator == "format":
            what = ("is not an ISO 8601 timestamp with an offset between "
                    f"{TS_MIN.year} and {TS_MAX.year - 1}")
            got = f"{_escape(repr(worst.instance)[:60])} "
        elif worst.validator == "required":
            what = _escape(worst.message[:120])
            got = ""
        else:
            what = _escape(worst.message[:160])
            got = ""
        raise error(f"GET {shown} ({purpose}) answered JSON of an unexpected shape: "
                    f"{self.name} {where}{got}{what}".replace("  ", " "))


# -- schema pieces ----------------------------------------------------------------

TS: dict[str, Any] = {"type": "string", "format": _FORMAT}
TS_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": _FORMAT}
STR: dict[str, Any] = {"type": "string", "maxLength": 100_000}
STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "maxLength": 100_000}
COUNT_OR_NULL: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0,
                                 "maximum": 2**53}
ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**53}
SHA: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-fA-F]{4,64}$"}
LOGIN: dict[str, Any] = {"type": ["object", "null"], "properties": {"login": STR_OR_NULL}}
# used in URL paths: no '/', no '..', nothing a URL would need to escape
SLUG: dict[str, Any] = {"type": "string", "pattern": r"^(?!\.\.?$)[A-Za-z0-9_.-]{1,200}$"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}}


# -- GitHub -----------------------------------------------------------------------

GH_PULL_LISTED = Shape("pull request", _object(
    {"number": ID, "updated_at": TS}, {"merged_at": TS_OR_NULL}))
GH_PULL = Shape("pull request", _object(
    {"number": ID, "created_at": TS},
    {"merged_at": TS_OR_NULL, "title": STR_OR_NULL, "user": LOGIN,
     "merge_commit_sha": {"anyOf": [SHA, {"type": "null"}]},
     "additions": COUNT_OR_NULL, "deletions": COUNT_OR_NULL, "html_url": STR_OR_NULL}))
GH_REVIEW = Shape("review", _object(
    {"state": STR}, {"user": LOGIN, "submitted_at": TS_OR_NULL}))
GH_PR_COMMIT = Shape("commit", _object(
    {"commit": {"type": "object", "properties": {
        "author": {"type": ["object", "null"], "properties": {"date": TS_OR_NULL}}}}}))
GH_DEPLOYMENT = Shape("deployment", _object(
    {"id": ID, "created_at": TS},
    {"sha": {"anyOf": [SHA, {"type": "null"}]}, "ref": STR_OR_NULL, "environment": STR,
     "production_environment": {"type": "boolean"}, "creator": LOGIN}))
GH_DEPLOYMENT_STATUS = Shape("deployment status", _object(
    {"state": STR, "created_at": TS},
    {"log_url": STR_OR_NULL, "target_url": STR_OR_NULL, "environment_url": STR_OR_NULL}))
GH_COMPARE_COMMIT = Shape("commit", _object({"sha": SHA}))
GH_ISSUE = Shape("issue", _object(
    {"number": ID, "created_at": TS},
    {"closed_at": TS_OR_NULL, "state": STR_OR_NULL, "title": STR_OR_NULL,
     "body": STR_OR_NULL, "html_url": STR_OR_NULL,
     "labels": {"type": ["array", "null"], "items": {"anyOf": [
         STR, {"type": "object", "properties": {"name": STR_OR_NULL}}]}}}))
GH_RUN = Shape("workflow run", _object(
    {"id": ID},
    {"status": STR_OR_NULL, "conclusion": STR_OR_NULL, "run_started_at": TS_OR_NULL,
     "created_at": TS_OR_NULL, "updated_at": TS_OR_NULL, "name": STR_OR_NULL,
     "head_branch": STR_OR_NULL, "head_sha": STR_OR_NULL, "event": STR_OR_NULL,
     "html_url": STR_OR_NULL}))
GH_TEAM = Shape("team", _object(
    {"slug": SLUG},
    {"name": STR_OR_NULL, "description": STR_OR_NULL, "html_url": STR_OR_NULL,
     "parent": {"type": ["object", "null"], "properties": {"slug": STR_OR_NULL}}}))
GH_MEMBER = Shape("team member", _object({}, {"login": STR_OR_NULL}))

# -- PagerDuty --------------------------------------------------------------------

PD_INCIDENTS = Shape("incidents page", _object(
    {"incidents": {"type": "array"}}, {"more": {"type": ["boolean", "null"]}}))
PD_INCIDENT = Shape("incident", _object(
    {"id": {"type": "string", "minLength": 1, "maxLength": 200}, "created_at": TS},
    {"incident_number": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**53},
     "status": STR_OR_NULL, "resolved_at": TS_OR_NULL, "last_status_change_at": TS_OR_NULL,
     "title": STR_OR_NULL, "summary": STR_OR_NULL, "urgency": STR_OR_NULL,
     "html_url": STR_OR_NULL,
     "service": {"type": ["object", "null"],
                 "properties": {"id": STR_OR_NULL, "summary": STR_OR_NULL}},
     "priority": {"type": ["object", "null"],
                  "properties": {"summary": STR_OR_NULL, "name": STR_OR_NULL}}}))

# -- Opsgenie ---------------------------------------------------------------------

_OG_NAMED = {"type": ["object", "null"],
             "properties": {"type": STR_OR_NULL, "id": STR_OR_NULL, "name": STR_OR_NULL}}
OG_INCIDENTS = Shape("incidents page", _object(
    {"data": {"type": "array"}},
    {"paging": {"type": ["object", "null"], "properties": {"next": STR_OR_NULL}}}))
OG_INCIDENT = Shape("incident", _object(
    # the id goes into the timeline's URL path: a UUID, so a slug
    {"id": SLUG, "createdAt": TS},
    {"tinyId": {"type": ["string", "null"], "maxLength": 200}, "message": STR_OR_NULL,
     "status": STR_OR_NULL, "priority": STR_OR_NULL, "updatedAt": TS_OR_NULL,
     "impactEndDate": TS_OR_NULL, "ownerTeam": STR_OR_NULL,
     "impactedServices": {"type": ["array", "null"], "items": STR},
     "responders": {"type": ["array", "null"], "items": _OG_NAMED},
     "extraProperties": {"type": ["object", "null"], "additionalProperties": STR_OR_NULL},
     "links": {"type": ["object", "null"], "properties": {"web": STR_OR_NULL}}}))
OG_TIMELINE = Shape("timeline page", _object(
    {"data": _object({"entries": {"type": "array"}},
                     {"nextOffset": {"type": ["string", "null"], "maxLength": 1000}})}))
OG_TIMELINE_ENTRY = Shape("timeline entry", _object(
    {"type": STR, "eventTime": TS},
    {"group": STR_OR_NULL, "hidden": {"type": ["boolean", "null"]}}))
