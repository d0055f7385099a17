"""GitHub's incident signals: labelled issues as incidents, for the ``github`` source.

GitHub has no incident object; teams open an issue and label it. With the
source's ``incidents`` option, every issue carrying one of ``labels`` (any of
them: GitHub's own ``labels`` filter means all of them, so each label is
listed on its own and the issues merged) becomes an incident:

- ``created_at`` is when the issue was opened, ``resolved_at`` when it was
  closed (an issue reopened and still open is open);
- ``severity`` comes from the first label matching ``severity_label_pattern``
  (group 1: a digit makes ``SEV<digit>``, anything else is upper-cased);
- ``caused_by`` comes from the issue body, by ``caused_by_pattern``, whose
  group 1 is a *reference* read by :func:`parse_reference`: a deployment id
  (``caused-by: 502``, ``caused-by: deployment 502``), a pull request
  (``caused-by: #123``, ``caused-by: PR 123``, or the pull request's URL in
  this repository), or a commit sha (``caused-by: 3f9c2e1``). A pull request
  is resolved to its merge commit here; the commit is joined to the first
  successful production deployment that shipped it before the incident
  opened when all facts are joined (:mod:`guardrails.datakinds`).

Patterns from the config run on RE2 (linear time): they meet issue bodies
from the network, up to 100,000 characters each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from guardrails.saferegex import Pattern, compile_pattern
from guardrails.sources import http_shapes as shapes
from guardrails.textsafe import printable
from guardrails.timeutil import iso

Warn = Callable[[str], None]

DEFAULT_SEVERITY = r"^sev(\d)$"
DEFAULT_CAUSED_BY = (r"caused[- ]by:\s*((?:(?:deployment|deploy|pull request|pr)\s*)?"
                     r"#?[^\s,;]+)")

#: JSON Schema of the ``incidents`` option
SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "boolean"},
        {"type": "object", "additionalProperties": False, "properties": {
            "labels": {"type": "array", "minItems": 1, "maxItems": 20,
                       "items": {"type": "string", "minLength": 1, "maxLength": 100,
                                 "pattern": "^[^,]+$"},
                       "description": "An issue with any of these labels is an incident."},
            "severity_label_pattern": {"type": "string", "description":
                                       "RE2, one group: the severity in a label."},
            "caused_by_pattern": {"type": "string", "description":
                                  "RE2, one group: the reference in the body."},
        }},
    ],
    "description": "Labelled issues as incidents (false: this repository yields none).",
}

# re.ASCII: "PR #١٢" (Arabic-Indic digits) is no reference to pull request 12;
# \Z: "$" would also match before a final newline.
_PR_WORDS = re.compile(r"^(?:pull request|pull|pr)\s*#?\s*(\d{1,12})\Z", re.IGNORECASE | re.ASCII)
_HASH = re.compile(r"^#(\d{1,12})\Z", re.ASCII)
_DEPLOY_WORDS = re.compile(r"^(?:deployment|deploy)\s*#?\s*(\S{1,200})$", re.IGNORECASE)
_SHA = re.compile(r"^[0-9a-f]{7,64}$", re.IGNORECASE)  # SHA-1 or SHA-256
_PULL_PATH = re.compile(r"^/([^/]+)/([^/]+)/pull/(\d{1,12})(?:/.*)?\Z", re.ASCII)


@dataclass(frozen=True)
class Reference:
    """What an incident names as its cause: ``kind`` deployment, change or commit."""

    kind: str
    value: str


def parse_reference(text: str, repo: str) -> Reference | None:
    """The cause an issue body names (``text`` is the pattern's group 1).

    None for a pull request URL of another repository (its merge commit cannot
    have shipped with this repository's deployments).
    """
    text = text.strip().rstrip(".)")[:300]
    if text.lower().startswith(("https://", "http://")):
        m = _PULL_PATH.match(urlsplit(text).path)
        if m and f"{m.group(1)}/{m.group(2)}".lower() == repo.lower():
            return Reference("change", m.group(3))
        return None
    for pattern, kind in ((_PR_WORDS, "change"), (_HASH, "change"),
                          (_DEPLOY_WORDS, "deployment")):
        m = pattern.match(text)
        if m:
            return Reference(kind, m.group(1))
    # a sha has a letter (or is full length): "502" stays a deployment id
    if _SHA.match(text) and (not text.isdigit() or len(text) in (40, 64)):
        return Reference("commit", text.lower())
    return Reference("deployment", text)


@dataclass(frozen=True)
class IncidentOptions:
    """The ``incidents`` option (or the older flat keys), compiled."""

    enabled: bool
    labels: tuple[str, ...]
    severity_re: Pattern
    caused_by_re: Pattern


def incident_options(options: Mapping[str, Any],
                     error: Callable[[str, str, str], Exception]) -> IncidentOptions:
    """Read the ``incidents`` option; ``error(key, message, fix)`` builds config errors.

    The flat keys ``incident_label``, ``severity_label_pattern`` and
    ``caused_by_pattern`` of earlier versions still work, but not mixed with
    ``incidents``.
    """
    flat = [k for k in ("incident_label", "severity_label_pattern", "caused_by_pattern")
            if k in options]
    block = options.get("incidents", True)
    if flat and "incidents" in options:
        raise error(flat[0], f"{flat[0]} and incidents are both set",
                    f"move {flat[0]} into the incidents block (incidents: {{labels: [...], "
                    "severity_label_pattern: ..., caused_by_pattern: ...})")
    if block is False:
        return IncidentOptions(False, (), _compile(DEFAULT_SEVERITY), _compile(DEFAULT_CAUSED_BY))
    settings = dict(block) if isinstance(block, dict) else {
        k: options[k] for k in flat}
    if "incident_label" in settings:
        settings["labels"] = [settings.pop("incident_label")]
    labels = tuple(str(x) for x in settings.get("labels") or ["incident"])
    for label in labels:
        if "," in label:
            raise error("incidents", f"label {printable(label[:80])!r} holds a comma",
                        "GitHub's labels filter splits at commas; rename the label")
    key = "incidents" if "incidents" in options else None

    def regex(name: str, default: str) -> Pattern:
        text = str(settings.get(name, default))
        try:
            pattern = compile_pattern("(?i)" + text)
        except ValueError as exc:
            raise error(key or name, f"{name} {printable(text[:80])!r} is not a valid regular "
                        f"expression ({exc})", "write an RE2 regular expression with one "
                        "group") from None
        if pattern.groups < 1:
            raise error(key or name, f"{name} {text!r} has no group",
                        "put the part to keep in parentheses, e.g. ^sev(\\d)$")
        return pattern

    return IncidentOptions(True, labels, regex("severity_label_pattern", DEFAULT_SEVERITY),
                           regex("caused_by_pattern", DEFAULT_CAUSED_BY))


def _compile(text: str) -> Pattern:
    return compile_pattern("(?i)" + text)


def incident_fact(issue: dict[str, Any], end: datetime, *, severity_re: Pattern,
                  caused_by_re: Pattern, service: str, warn: Warn, where: str = "",
                  repo: str = "") -> dict[str, Any] | None:
    """The ``incidents`` fact of one labelled issue (None: a pull request, created after
    the window, or dates that contradict).

    The cause lands in ``caused_by`` (a deployment id), ``caused_by_change`` (a
    pull request number) or ``caused_by_commit`` (a sha), as the body names it.
    """
    if "pull_request" in issue:  # the issues listing includes pull requests
        return None
    created = _ts(issue.get("created_at"))
    if created is None or created >= end:
        return None
    labels = shapes.label_names(issue.get("labels"))
    severity = shapes.severity_from_labels(labels, severity_re)
    m = caused_by_re.search((issue.get("body") or "")[:100_000])
    ref = parse_reference(str(m.group(1) or ""), repo) if m else None
    if m and ref is None:
        warn(f"github: incident issue #{issue['number']} ({where}) names a cause outside "
             f"{repo or 'this repository'} ({printable(str(m.group(1))[:80])}); ignored")
    closed = _ts(issue.get("closed_at")) if issue.get("state") == "closed" else None
    if closed is not None and closed < created:
        warn(f"github: incident issue #{issue['number']} ({where}) was closed "
             f"({iso(closed)}) before it was created ({iso(created)}); excluded")
        return None
    if closed is not None and closed >= end:
        closed = None  # resolved after --now: still open as of then
    fact = {
        "id": str(issue["number"]),
        "title": issue.get("title"),
        "created_at": created,
        "resolved_at": closed,
        "status": "resolved" if closed else "open",
        "severity": severity,
        "caused_by": ref.value if ref and ref.kind == "deployment" else None,
        "caused_by_change": ref.value if ref and ref.kind == "change" else None,
        "caused_by_commit": ref.value if ref and ref.kind == "commit" else None,
        "service": service,
        "url": issue.get("html_url"),
    }
    return shapes.compact(fact)


def _ts(value: Any) -> datetime | None:
    return shapes.api_time("github", value)
