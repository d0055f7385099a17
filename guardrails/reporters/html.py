"""``--format html``: one self-contained page for a lead to read and share.

The page holds the summary, every rule's outcome and evidence, the four
DORA keys as charts (value, threshold line, DORA performance bands shaded),
team sizes and bus factors as bar charts, and a view per team. It loads
nothing: CSS, SVG and a few lines of script (sorting tables, opening folded
sections before printing) are inline, and a Content-Security-Policy with
their hashes forbids the browser any other load. Evidence links go only to
``http``/``https`` addresses, with ``rel="noopener noreferrer"``.

It is rendered with Jinja2, autoescaping on: every string of the report is
data a stranger may have written (a team named ``<script>`` stays text).
The page is built from the report as written to JSON (floats rounded as the
JSON reporter rounds them), so ``guardrails report REPORT.json --format
html`` gives the same bytes as the live run; nothing in it depends on the
clock or the run's duration, only on the report (``--now``).
docs/html.md describes the page and why the charts are drawn by
:mod:`guardrails.reporters.svgchart`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guardrails import fmt
from guardrails.model import Outcome, Report, Result, Severity
from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.reporters.htmlorg import number, org_view
from guardrails.reporters.svgchart import Band, Bar, Point, bar_chart, metric_chart
from guardrails.textsafe import printable

if TYPE_CHECKING:
    import jinja2

#: evidence rows listed per rule before "... N more" (the JSON report has all)
EVIDENCE_SHOWN = 500
#: evidence rows per rule in a team's section (the rule's own section lists more)
TEAM_EVIDENCE_SHOWN = 50
#: longest evidence URL made a link
URL_LIMIT = 2048
# An absolute http(s) URL with a host, and none of: whitespace, control and
# bidi characters, lone surrogates, quotes, angle brackets, backslashes. One
# bounded regex: urllib's urlsplit cost ten times as much per evidence row.
_SAFE = "[^\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\\\\\"'<>`"
_URL = re.compile(f"(?i:https?)://{_SAFE}/?#@]+(?:[/?#]{_SAFE}]*)?")

DAY, WEEK = 86400.0, 7 * 86400.0
MONTH = 30 * DAY
PER_MONTH = 7 / 30  # once a month, in deployments per week


@dataclass(frozen=True)
class DoraKey:
    """One of the four keys: the rule that measures it, how to plot it, its bands.

    Bands follow the DORA research programme's performance clusters
    (State of DevOps reports 2021-2023), rounded to the edges they publish:
    on demand / daily / weekly / monthly deployments; lead time and time to
    restore under an hour or a day, a week, a month; change failure rate
    5% / 10% / 15%. They are context for the eye; the rule's threshold
    decides pass or fail.
    """

    rule: str
    title: str
    bands: tuple[Band, ...]
    log: bool


DORA_KEYS = (
    DoraKey("deployment-frequency", "Deployment frequency", (
        Band("elite", 7.0, None), Band("high", 1.0, 7.0), Band("medium", PER_MONTH, 1.0),
        Band("low", None, PER_MONTH)), log=True),
    DoraKey("lead-time", "Lead time for changes", (
        Band("elite", None, DAY), Band("high", DAY, WEEK), Band("medium", WEEK, MONTH),
        Band("low", MONTH, None)), log=True),
    DoraKey("change-failure-rate", "Change failure rate", (
        Band("elite", None, 0.05), Band("high", 0.05, 0.10), Band("medium", 0.10, 0.15),
        Band("low", 0.15, None)), log=False),
    DoraKey("time-to-restore", "Time to restore service", (
        Band("elite", None, 3600.0), Band("high", 3600.0, DAY), Band("medium", DAY, WEEK),
        Band("low", WEEK, None)), log=True),
)

#: the rules whose measures are charted, by their id inside the pack
TEAM_SIZE_RULE, BUS_FACTOR_RULE = "two-pizza-teams", "bus-factor"

_SCRIPT = """\
document.querySelectorAll("table.sortable th button").forEach(function (b) {
  b.addEventListener("click", function () {
    var th = b.parentNode, table = th.closest("table"), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var up = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    var key = function (row) {
      var c = row.children[col];
      return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent;
    };
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      var d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
"""


def safe_url(url: object) -> str | None:
    """``url`` when it is an absolute http(s) address fit for a link, else None.

    Data is hostile: ``javascript:``, ``data:``, relative paths, addresses
    with spaces, quotes or control characters never become links.
    """
    if not isinstance(url, str) or len(url) > URL_LIMIT or not _URL.fullmatch(url):
        return None
    return url


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _local(rule_id: str) -> str:
    return rule_id.split("::", 1)[-1]


def _word(r: Result) -> str:
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return "failed (warning)"
    return r.outcome.value


def _threshold_text(r: Result) -> str:
    t = r.threshold or {}
    parts = [f"{k} {fmt.value(v, r.unit)}" for k, v in t.items()
             if k in ("min", "max") and isinstance(v, int | float)]
    return ", ".join(parts)


def _limits(threshold: Mapping[str, Any] | None) -> dict[str, float]:
    return {k: float(v) for k, v in (threshold or {}).items()
            if k in ("min", "max") and isinstance(v, int | float) and not isinstance(v, bool)}


def _rule_view(i: int, r: Result) -> dict[str, Any]:
    evidence = [{"subject": e.subject, "detail": e.detail, "team": e.team,
                 "url": safe_url(e.url), "file": e.file, "line": e.line}
                for e in r.evidence[:EVIDENCE_SHOWN]]
    return {
        "anchor": f"rule-{i}", "id": r.id, "title": r.title or r.id, "outcome": r.outcome.value,
        "word": _word(r), "severity": r.severity.value, "message": r.message,
        "value": number(r.value), "value_text": fmt.value(r.value, r.unit) if number(r.value)
        else "", "threshold": _threshold_text(r), "samples": number(r.samples),
        "details": r.details, "evidence": evidence,
        "more": max(len(r.evidence) - EVIDENCE_SHOWN, 0), "waiver": r.waiver,
        "longrepr": r.longrepr, "open": r.is_failure, "file": r.file, "line": r.line,
        "tags": r.tags,
    }


def dora_charts(report: Report, history: Mapping[str, Sequence[Point]] | None = None
                ) -> list[dict[str, Any]]:
    """One chart per DORA key the report measured (by the rule's id inside its pack).

    ``history`` maps a rule id to earlier points; today the series is the
    report's one value at ``now``, and a history of reports adds its points.
    """
    out = []
    for key in DORA_KEYS:
        r = next((r for r in report.results if _local(r.id) == key.rule), None)
        if r is None:
            continue
        points = list((history or {}).get(r.id, ()))
        if isinstance(r.value, int | float) and not isinstance(r.value, bool):
            points.append(Point(report.now, float(r.value)))
        unit = r.unit

        def show(v: float, unit: str | None = unit) -> str:
            return fmt.value(v, unit)

        svg = metric_chart(points, title=f"{key.title} ({r.id})", ident=f"dora-{key.rule}",
                           fmt=show, threshold=_limits(r.threshold), bands=key.bands,
                           log=key.log)
        out.append({"title": key.title, "id": r.id, "svg": svg, "outcome": r.outcome.value,
                    "word": _word(r), "value": number(r.value),
                    "value_text": show(r.value) if isinstance(r.value, int | float) else "",
                    "threshold": _threshold_text(r), "message": r.message,
                    "samples": number(r.samples),
                    "bands": [(b.name, _band_text(b, unit)) for b in key.bands]})
    return out


def _band_text(b: Band, unit: str | None) -> str:
    if b.low is None and b.high is not None:
        return f"below {fmt.value(b.high, unit)}"
    if b.high is None and b.low is not None:
        return f"{fmt.value(b.low, unit)} and above"
    return f"{fmt.value(b.low, unit)} to {fmt.value(b.high, unit)}"


def _measure_chart(report: Report, rule: str, title: str, word: str, *,
                   lowest_first: bool = False) -> dict[str, Any] | None:
    """A bar chart and table of a rule's measures; ``lowest_first`` for "higher is safer"."""
    r = next((r for r in report.results if _local(r.id) == rule), None)
    if r is None:
        return None
    offenders = {e.subject for e in r.evidence}
    measures = list(r.measures)
    if lowest_first:
        # Only the first bars fit the chart: show the riskiest (a bus factor of 1) first.
        measures.sort(key=lambda m: (m.value, m.subject))
    rows = [{"subject": m.subject, "label": m.subject.split("/", 1)[-1], "team": m.team,
             "value": number(m.value), "value_text": fmt.value(m.value, None),
             "over": m.subject in offenders} for m in measures]
    bars = [Bar(m.subject.split("/", 1)[-1], float(m.value),
                "bar-over" if m.subject in offenders else "bar") for m in measures]
    svg = (bar_chart(bars, title=f"{title} ({r.id})", ident=f"bars-{rule}",
                     fmt=lambda v: fmt.value(v, None), limits=_param_limits(r))
           if rows else "")
    return {"title": title, "id": r.id, "svg": svg, "rows": rows, "word": word,
            "outcome": r.outcome.value, "message": r.message}


def _param_limits(r: Result) -> dict[str, float]:
    """The per-subject bounds a rule states in its evidence ("(max 8)", "(min 2)")."""
    out: dict[str, float] = {}
    for e in r.evidence:
        for kind in ("min", "max"):
            marker = f"({kind} "
            if marker in e.detail:
                text = e.detail.split(marker, 1)[1].split(")", 1)[0]
                try:
                    out.setdefault(kind, float(text))
                except ValueError:
                    continue
    return out


def team_views(report: Report) -> list[dict[str, Any]]:
    """Per team: its size, its modules' bus factors, and the evidence that names it."""
    teams: dict[str, dict[str, Any]] = {}

    def team(name: str) -> dict[str, Any]:
        return teams.setdefault(name, {"name": name, "size": "", "modules": [], "rules": {}})

    for i, r in enumerate(report.results):
        for m in r.measures:
            if m.team is None:
                continue
            if _local(r.id) == TEAM_SIZE_RULE:
                team(m.team)["size"] = number(m.value)
            elif _local(r.id) == BUS_FACTOR_RULE:
                team(m.team)["modules"].append({"name": m.subject.split("/", 1)[-1],
                                                "value": number(m.value)})
        for e in r.evidence[:EVIDENCE_SHOWN]:
            if e.team:
                entry = team(e.team)["rules"].setdefault(
                    r.id, {"id": r.id, "title": r.title or r.id, "word": _word(r),
                           "outcome": r.outcome.value, "evidence": [], "more": 0,
                           "anchor": f"rule-{i}"})
                if len(entry["evidence"]) >= TEAM_EVIDENCE_SHOWN:
                    entry["more"] += 1
                    continue
                entry["evidence"].append({"subject": e.subject, "detail": e.detail,
                                          "url": safe_url(e.url)})
    out = []
    for i, name in enumerate(sorted(teams)):
        t = teams[name]
        t["anchor"] = f"team-{i}"
        t["rules"] = list(t["rules"].values())
        t["failing"] = sum(1 for x in t["rules"] if x["outcome"] in ("failed", "error"))
        out.append(t)
    return out


def context(report: Report, history: Mapping[str, Sequence[Point]] | None = None
            ) -> dict[str, Any]:
    """Everything the template shows, from the report alone."""
    counts = report.counts()
    code = report.exit_code
    verdict = "gate fails" if code == 1 else ("gate passes" if code == 0 else
                                              f"exit code {code}")
    return {
        "now": report.now, "focus": report.focus, "exit_code": number(code),
        "verdict": verdict, "failing": code == 1,
        "counts": [(k, number(n)) for k, n in counts.items()],
        "total": number(len(report.results)), "no_data": number(report.no_data_count()),
        "header": report.header, "sources": report.sources, "warnings": report.warnings,
        "stopped_early": report.stopped_early, "deselected": report.deselected,
        "dora": dora_charts(report, history),
        "sizes": _measure_chart(report, TEAM_SIZE_RULE, "Team sizes", "members"),
        "bus": _measure_chart(report, BUS_FACTOR_RULE, "Bus factor per module", "bus factor",
                              lowest_first=True),
        "rules": [_rule_view(i, r) for i, r in enumerate(report.results)],
        "teams": team_views(report),
        "baseline": report.baseline,
        "org": org_view(report.org),
    }


def _finalize(value: Any) -> Any:
    # Every string printed is data: control characters and lone surrogates shown,
    # not obeyed (and a lone surrogate could not be written as UTF-8 at all).
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return printable(value, newlines=True)
    return "" if value is None else value


def environment() -> jinja2.Environment:
    """The Jinja2 environment: the package's templates, autoescaping on, strict undefined."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("guardrails.reporters", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(report: Report, history: Mapping[str, Sequence[Point]] | None = None) -> str:
    """The HTML page of a report."""
    from markupsafe import Markup

    from guardrails.reporters.json import stable

    # As saved: floats rounded the way the JSON report writes them, so a report
    # read back renders byte for byte as the live run did.
    saved = Report.from_json(stable(report.to_json()))
    env = environment()
    css = env.get_template("report.css").render()
    if history is None and saved.history:
        # The earlier values the run found in the project's history store.
        history = {rule: [Point(at, float(v)) for at, v in points]
                   for rule, points in saved.history.items()}
    ctx = context(saved, history)
    for item in ctx["dora"]:
        item["svg"] = Markup(item["svg"])  # built by svgchart: escaped by ElementTree
    for key in ("sizes", "bus"):
        if ctx[key]:
            ctx[key]["svg"] = Markup(ctx[key]["svg"])
    csp = (f"default-src 'none'; style-src '{_csp_hash(css)}'; "
           f"script-src '{_csp_hash(_SCRIPT)}'; base-uri 'none'; form-action 'none'")
    return env.get_template("report.html.j2").render(
        **ctx, css=Markup(css), script=Markup(_SCRIPT), csp=csp)


class HtmlReporter(DocumentReporter):
    """Writes the HTML page once the run is over."""

    name = "html"

    def render(self, report: Report) -> str:
        return render(report)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [HtmlReporter]
