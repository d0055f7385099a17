"""``guardrails facts --compare gitlab-dora``: our DORA numbers beside GitLab's own.

GitLab Ultimate computes the four keys itself (``GET /projects/:id/dora/metrics``
or ``/groups/:id/dora/metrics``). Where that API answers, this module reads it
for the run's window and sets each beside the number the ``stability`` rules
compute from the gathered facts, with the definitional difference that
explains a gap. Elsewhere (Free or Premium: 403; several ``projects``: the API
answers per project or per group only) it says so instead of a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from guardrails.errors import SourceError, UsageError
from guardrails.sources import gitlab_shapes as shapes
from guardrails.sources.http import CacheMiss

if TYPE_CHECKING:
    from guardrails.session import Session
    from guardrails.sources.gitlab import GitLabSource

#: GitLab metric, our metric, how GitLab's definition differs
METRICS: tuple[tuple[str, str, str], ...] = (
    ("deployment_frequency", "dora.deployment_frequency",
     "GitLab counts successful deployments to every environment of tier production; "
     "guardrails counts those to the configured environment name."),
    ("lead_time_for_changes", "dora.lead_time",
     "GitLab measures from the merge of a merge request to its production deployment; "
     "guardrails from the first commit (else creation), so it is longer by the review time."),
    ("change_failure_rate", "dora.change_failure_rate",
     "GitLab divides the number of incidents by the number of deployments; guardrails "
     "counts deployments that caused an incident or were rolled back, each once."),
    ("time_to_restore_service", "dora.time_to_restore",
     "Both take the median time incidents stay open; GitLab counts incidents closed in "
     "the window, guardrails incidents opened in it."),
)


@dataclass
class Row:
    """One metric compared: our value, GitLab's (or why there is none), the difference."""

    metric: str
    unit: str
    ours: float | None
    gitlab: float | None
    note: str


def compare(session: Session) -> list[Row]:
    """Gather the facts the DORA metrics read, compute them, and ask GitLab for its own."""
    from guardrails.model import Rule

    state = session.sources.get("gitlab")
    if state is None and "gitlab" not in session.config.sources:
        raise UsageError("--compare gitlab-dora needs a gitlab source in the config",
                         fix="add sources: gitlab: {url: ..., project: ...}")
    session.gather({"deployments", "changes", "incidents"})
    source: GitLabSource = session.sources["gitlab"].source  # type: ignore[assignment]
    ctx = session.context()
    end = session.now
    start = end - session.config.window
    theirs = _gitlab_values(source, start.date().isoformat(), end.date().isoformat())
    rows = []
    for gl_name, ours_name, why in METRICS:
        metric = session.metrics[ours_name]
        rule = Rule(pack="compare", id=ours_name, title=ours_name, check="metric",
                    params={"metric": ours_name, "environment": source.environment})
        try:
            ours = metric.compute(ctx, rule, start, end).value
        except SourceError as exc:
            ours, why = None, f"{why} (ours: {exc})"
        value = theirs.get(gl_name)
        if isinstance(value, str):  # the reason GitLab gave none
            rows.append(Row(ours_name, metric.unit, ours, None, value))
            continue
        if gl_name == "deployment_frequency" and value is not None:
            value = value / max(1.0, (end - start) / timedelta(days=1)) * 7  # per week
        rows.append(Row(ours_name, metric.unit, ours, value, why))
    return rows


def _gitlab_values(source: GitLabSource, start: str, end: str) -> dict[str, Any]:
    """GitLab's value of each metric over [start, end], or the text saying why none."""
    o = source.options
    if "projects" in o:
        reason = "GitLab's DORA API answers per project or per group; configure one of them"
        return {name: reason for name, _, _ in METRICS}
    base = (f"/groups/{quote(str(o['group']), safe='')}" if "group" in o
            else f"/projects/{quote(str(o['project']), safe='')}")
    client = source.make_client()
    out: dict[str, Any] = {}
    try:
        for name, _, _ in METRICS:
            # deployment frequency per day, summed: a total; the others over the whole range
            interval = "daily" if name == "deployment_frequency" else "all"
            params = {"metric": name, "start_date": start, "end_date": end,
                      "interval": interval, "environment_tiers[]": "production"}
            try:
                points = [p for page in client.pages(f"{base}/dora/metrics", params,
                                                     purpose="DORA metrics",
                                                     shape=shapes.GL_DORA_POINT)
                          for p in page]
            except CacheMiss:  # a SourceError too: first
                return {n: "--offline, and GitLab's DORA answers are not in the cache"
                        for n, _, _ in METRICS}
            except SourceError as exc:
                if " answered 403" in str(exc) or " answered 404" in str(exc):
                    why = ("GitLab's DORA API did not answer (it needs GitLab Ultimate and "
                           "a token with read_api on this project or group)")
                else:
                    why = f"GitLab's DORA API failed: {exc}"
                return {n: why for n, _, _ in METRICS}
            values = [p["value"] for p in points if p["value"] is not None]
            if name == "deployment_frequency":
                out[name] = float(sum(values))
            else:
                out[name] = float(values[-1]) if values else None
    finally:
        client.close()
    return out


def render(rows: list[Row]) -> list[str]:
    """The comparison as text lines: one metric a line, then the reason of any gap."""
    from guardrails import fmt

    lines = [f"{'metric':<28} {'guardrails':>14} {'GitLab DORA':>14}"]
    for r in rows:
        ours = fmt.value(r.ours, r.unit) if r.ours is not None else "n/a"
        theirs = fmt.value(r.gitlab, r.unit) if r.gitlab is not None else "n/a"
        lines.append(f"{r.metric:<28} {ours:>14} {theirs:>14}")
        lines.append(f"    {r.note}")
    return lines
