"""One org report from many repositories' reports (``guardrails merge``).

Files are read one at a time (guardrails/mergeread.py checks each as
untrusted input) and folded into running totals, so memory holds the pooled
metric samples (16 bytes each, 24 when weighted) and small per-repository
summaries, never more than one parsed document.

How results combine, per rule id (docs/ci.md, "One report for the whole
organisation"):

- a metric rule (its results carry samples) is **recomputed from all the
  samples**: the median of every repository's samples, a rate as the summed
  numerators over the summed counts, deployment frequency as the sum of each
  repository's deployments per week. Never an average of the repositories'
  values. Its threshold is the strictest the reports used.
- any other rule combines outcomes: error, else failed, else waived, else
  passed, else skipped; a ``count`` value is the sum of the repositories'.
- a repository where the rule errored makes the org rule ``error``: a gate
  never passes on data some repository could not read.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from guardrails import fmt
from guardrails.mergepool import Pool, iso_ts
from guardrails.mergeread import Loaded, Samples, Unusable, read_report
from guardrails.model import (
    SERIES_CAP,
    Evidence,
    ExitCode,
    Header,
    Outcome,
    Report,
    Result,
    RuleSummary,
    Severity,
    SourceSummary,
    WaiverSummary,
)
from guardrails.timeutil import iso, parse_timestamp

LOG = logging.getLogger(__name__)

#: evidence items an org result keeps (the rest are counted in its details)
ORG_EVIDENCE = 200
#: warnings of the merged reports the org report keeps
ORG_WARNINGS = 500
#: messages of the repositories an org result lists in its details
ORG_MESSAGES = 20
#: teams the org report lists (evidence naming more teams still counts)
ORG_TEAMS = 10_000
#: distinct rule ids an org report holds; a report adding more is skipped
ORG_RULES = 5_000
#: characters of any one text copied from a report into the org report
TEXT_LIMIT = 2_000
#: outcome precedence when combining a rule's results across repositories
PRECEDENCE = (Outcome.ERROR, Outcome.FAILED, Outcome.WAIVED, Outcome.PASSED, Outcome.SKIPPED)


@dataclass
class Skipped:
    """A file that was not merged, and why."""

    file: str
    reason: str


@dataclass
class _Rule:
    """One rule id across repositories."""

    first: Result
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    pool: Pool | None = None
    #: repositories whose result had a value but no samples (older reports)
    unsampled: list[str] = field(default_factory=list)
    #: repositories whose samples measure something else (another agg or unit)
    mismatched: list[str] = field(default_factory=list)
    values: list[float | int | None] = field(default_factory=list)
    samples: list[int | None] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    evidence_seen: int = 0
    severity: Severity = Severity.WARNING
    messages: list[str] = field(default_factory=list)
    #: (repository, waiver) of the repositories where the rule was waived
    waivers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Merger:
    """Folds reports in one at a time; :meth:`report` builds the org report."""

    def __init__(self) -> None:
        self.rules: dict[str, _Rule] = {}
        self.repos: list[dict[str, Any]] = []
        self.names: set[str] = set()
        self.teams: dict[str, dict[str, Any]] = {}
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []
        self.warnings_seen = 0
        self.nows: list[datetime] = []
        self.focuses: set[str | None] = set()
        self.duration = 0.0
        self.sources: dict[str, SourceSummary] = {}
        self.rule_summaries: dict[str, RuleSummary] = {}
        self.waivers: list[WaiverSummary] = []

    def add_file(self, path: str) -> None:
        """Merge the report in ``path``, or record why it was skipped."""
        try:
            loaded = read_report(path)
        except Unusable as exc:
            LOG.debug("skipping %s: %s", path, exc)
            self.skipped.append(Skipped(path, str(exc)))
            return
        new = {r.id for r in loaded.report.results} - self.rules.keys()
        if len(self.rules) + len(new) > ORG_RULES:
            self.skipped.append(Skipped(path, f"would take the org report past {ORG_RULES} "
                                              "distinct rules"))
            return
        self.add(loaded, path)

    def _name(self, path: str) -> str:
        base = Path(path).name.removesuffix(".json") or "report"
        name, i = base, 1
        while name in self.names:
            i += 1
            name = f"{base}-{i}"
        self.names.add(name)
        return name

    def add(self, loaded: Loaded, path: str) -> None:
        """Fold one read report in."""
        report, repo = loaded.report, self._name(path)
        with contextlib.suppress(ValueError, TypeError):
            self.nows.append(parse_timestamp(report.now))
        self.focuses.add(report.focus)
        self.duration += report.duration if isinstance(report.duration, int | float) else 0
        repo_teams: set[str] = set()
        for result, samples in zip(report.results, loaded.samples, strict=True):
            self._result(repo, result, samples, repo_teams)
        self._context(repo, report)
        self.repos.append({
            "name": repo, "file": path, "version": loaded.version, "now": report.now,
            "focus": report.focus, "exit_code": report.exit_code, "summary": report.counts(),
            "teams": sorted(repo_teams),
            "results": [{"id": r.id, "outcome": r.outcome.value, "value": r.value,
                         "unit": r.unit, "samples": r.samples} for r in report.results],
        })

    def _result(self, repo: str, r: Result, samples: Samples | None,
                repo_teams: set[str]) -> None:
        rule = self.rules.get(r.id)
        if rule is None:
            rule = self.rules[r.id] = _Rule(first=r)
        rule.outcomes.append((repo, r.outcome))
        if r.severity is Severity.ERROR:
            rule.severity = Severity.ERROR
        if isinstance(r.threshold, dict):
            rule.thresholds.append(r.threshold)
        rule.values.append(r.value)
        rule.samples.append(r.samples)
        if r.outcome is Outcome.WAIVED and isinstance(r.waiver, dict):
            rule.waivers.append((repo, r.waiver))
        if r.outcome is not Outcome.PASSED and r.message and len(rule.messages) < ORG_MESSAGES:
            rule.messages.append(_cut(f"{repo}: {r.message}"))
        if samples is not None:
            if rule.pool is None:
                rule.pool = Pool(samples.agg)
            if samples.agg != rule.pool.agg or r.unit != rule.first.unit:
                rule.mismatched.append(repo)
            else:
                rule.pool.add(samples, repo)
        elif r.value is not None:
            rule.unsampled.append(repo)
        for e in r.evidence:
            rule.evidence_seen += 1
            if e.team and (e.team in self.teams or len(self.teams) < ORG_TEAMS):
                repo_teams.add(e.team)
                team = self.teams.setdefault(e.team, {"team": e.team, "repositories": set(),
                                                      "rules": set(), "evidence": 0})
                team["repositories"].add(repo)
                team["rules"].add(r.id)
                team["evidence"] += 1
            if len(rule.evidence) < ORG_EVIDENCE:
                rule.evidence.append(Evidence(_cut(e.subject), _cut(f"{repo}: {e.detail}"),
                                              url=_cut(e.url) if e.url else None,
                                              team=e.team))

    def _context(self, repo: str, report: Report) -> None:
        for w in report.warnings:
            self.warnings_seen += 1
            if len(self.warnings) < ORG_WARNINGS:
                self.warnings.append(_cut(f"{repo}: {w}"))
        for s in report.sources:
            known = self.sources.setdefault(s.name, SourceSummary(s.name, s.description,
                                                                  state="not needed"))
            for kind, n in s.counts.items():
                if isinstance(n, int):
                    known.counts[kind] = known.counts.get(kind, 0) + n
            if s.state == "failed":
                known.state, known.error = "failed", f"{repo}: {s.error}"
            elif s.state == "ok" and known.state != "failed":
                known.state = "ok"
        for rs in report.rules:
            self.rule_summaries.setdefault(rs.id, rs)
        for waiver in report.waivers:
            if waiver not in self.waivers:
                self.waivers.append(waiver)

    # -- the org report -------------------------------------------------------

    def report(self) -> Report:
        """The org report of everything merged so far."""
        results = [self._org_result(rid, rule) for rid, rule in self.rules.items()]
        warnings = [f"skipped {s.file}: {s.reason}" for s in self.skipped] + self.warnings
        if self.warnings_seen > len(self.warnings):
            warnings.append(f"{self.warnings_seen - len(self.warnings)} more warnings of "
                            "the merged reports not shown")
        teams = sorted(self.teams.values(), key=lambda t: (-t["evidence"], t["team"]))
        org = {
            "reports": len(self.repos),
            "repositories": self.repos,
            "teams": [{**t, "repositories": sorted(t["repositories"]),
                       "rules": sorted(t["rules"])} for t in teams],
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
        }
        focus = next(iter(self.focuses)) if len(self.focuses) == 1 else None
        out = Report(
            now=iso(max(self.nows)) or "" if self.nows else "",
            focus=focus, results=results, duration=self.duration, warnings=warnings,
            header=self._header(),
            sources=list(self.sources.values()),
            rules=[self.rule_summaries.get(r.id) or RuleSummary(r.id, r.title) for r in results],
            collected=len(results), waivers=self.waivers, org=org,
        )
        out.exit_code = int(ExitCode.NO_RULES_COLLECTED if not results else
                            ExitCode.RULES_FAILED if any(r.counts_against_exit()
                                                        for r in results) else ExitCode.OK)
        return out

    def _header(self) -> Header:
        import pluggy

        from guardrails import __version__
        from guardrails.installed import python_version

        files = [r["file"] for r in self.repos]
        root = (os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
                if files else "")
        line = f"merged {fmt.plural(len(self.repos), 'repository report')}"
        if self.skipped:
            line += f", skipped {len(self.skipped)} (see warnings)"
        return Header(guardrails=__version__, python=python_version(),
                      pluggy=str(pluggy.__version__), rootdir=root, lines=[line])

    def _org_result(self, rid: str, rule: _Rule) -> Result:
        f = rule.first
        res = Result(id=rid, pack=f.pack, title=f.title, outcome=Outcome.SKIPPED,
                     severity=rule.severity, file=f.file, line=f.line, tags=f.tags,
                     unit=f.unit, evidence=list(rule.evidence))
        repos = len(rule.outcomes)
        by = {o: [r for r, x in rule.outcomes if x is o] for o in PRECEDENCE}
        res.details.append(f"{fmt.plural(repos, 'repository', 'repositories')}: " + ", ".join(
            f"{len(by[o])} {o.value}" for o in PRECEDENCE if by[o]))
        if rule.evidence_seen > len(rule.evidence):
            res.details.append(f"showing {len(rule.evidence)} of {rule.evidence_seen} "
                               "evidence items")
        if rule.pool is not None:
            self._recompute(res, rule)
        else:
            self._combine(res, rule, by)
        if res.outcome is Outcome.WAIVED:
            res.waiver = _waiver(rule.waivers)
        if by[Outcome.ERROR]:
            res.outcome = Outcome.ERROR
            res.message = (f"could not be evaluated in {_names(by[Outcome.ERROR])}"
                           + (f"; {res.message}" if res.message else ""))
        return res

    def _recompute(self, res: Result, rule: _Rule) -> None:
        pool = rule.pool
        assert pool is not None
        res.value = pool.value()
        res.samples = pool.n
        label = res.title or res.id
        pooled = len(rule.outcomes) - len(rule.unsampled) - len(rule.mismatched)
        res.details.insert(0, f"recomputed from {pool.n} samples of "
                              f"{fmt.plural(pooled, 'repository', 'repositories')} ({pool.agg})")
        if len(pool.windows) > 1:
            res.details.append("the repositories' windows differ; their union is "
                               f"{iso_ts(pool.start)} to {iso_ts(pool.end)}")
        if rule.unsampled:
            res.details.append(f"no samples in {_names(rule.unsampled)} (report older "
                               "than format 3): not in the org value")
        if rule.mismatched:
            res.details.append(f"{_names(rule.mismatched)} measure another metric under "
                               "this rule id: not in the org value")
        if pool.thinned:
            res.details.append(f"approximate: the series of {_names(pool.thinned)} were "
                               f"thinned beyond {SERIES_CAP} samples")
        if pool.n:
            res.series = pool.series()
        threshold = _strictest(rule.thresholds)
        res.threshold = threshold
        if res.value is None:
            res.outcome, res.no_data = Outcome.SKIPPED, True
            res.message = f"no samples for {label} in any repository"
            return
        lo, hi = threshold.get("min"), threshold.get("max")
        ok = (lo is None or res.value >= lo) and (hi is None or res.value <= hi)
        res.outcome = Outcome.PASSED if ok else Outcome.FAILED
        res.message = f"org-wide {fmt.comparison(res.value, res.unit, threshold, ok)}"
        if ok:
            res.evidence = []
            return
        waived = [r for r, o in rule.outcomes if o is Outcome.WAIVED]
        if waived and not any(o is Outcome.FAILED for _, o in rule.outcomes):
            # Every repository that fails it holds a waiver: the org value
            # fails only through what those waivers cover.
            res.outcome = Outcome.WAIVED
            res.message += f" (waived in {_names(waived)})"

    def _combine(self, res: Result, rule: _Rule,
                 by: dict[Outcome, list[str]]) -> None:
        res.outcome = next(o for o in PRECEDENCE if by[o])
        numbers = [v for v in rule.values if isinstance(v, int | float)]
        if len(numbers) == len(rule.values) and res.unit == "count":
            res.value = sum(numbers)  # offending subjects of every repository
        elif len(numbers) == len(rule.values) and len(set(numbers)) == 1:
            res.value = numbers[0]  # the same everywhere (one org-wide fact, e.g. focus age)
        res.threshold = _strictest(rule.thresholds) or None
        if all(isinstance(n, int) for n in rule.samples):
            res.samples = sum(n for n in rule.samples if n is not None)
        bad = by[Outcome.FAILED] + by[Outcome.WAIVED]
        if res.outcome in (Outcome.FAILED, Outcome.WAIVED):
            res.message = f"{res.outcome.value} in {_names(bad)}"
        elif res.outcome is Outcome.SKIPPED:
            res.no_data = True
            res.message = rule.messages[0] if len(rule.messages) == 1 else "skipped everywhere"
        else:
            passed = len(by[Outcome.PASSED])
            res.message = f"passed in {fmt.plural(passed, 'repository', 'repositories')}"
        res.details.extend(rule.messages)


def _waiver(waivers: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The waiver an org result shows: the one that expires first, and where."""
    usable = [(r, w) for r, w in waivers if isinstance(w.get("reason"), str)
              and isinstance(w.get("expires"), str)]
    if not usable:
        return {"reason": "waived in the repositories", "expires": "9999-12-31"}
    repo, first = min(usable, key=lambda t: t[1]["expires"])
    out: dict[str, Any] = {k: first[k] for k in ("reason", "expires", "subject") if k in first}
    out["reason"] = f"{repo}: {first['reason']}"
    if len(usable) > 1:
        out["reason"] += f" (waived in {_names([r for r, _ in usable])})"
    return out


def _cut(text: str) -> str:
    """``text`` at most :data:`TEXT_LIMIT` characters: a report's texts are untrusted."""
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "..."


def _names(repos: list[str], limit: int = 10) -> str:
    shown = ", ".join(repos[:limit])
    return shown + (f" and {len(repos) - limit} more" if len(repos) > limit else "")


def _strictest(thresholds: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The highest ``min`` and the lowest ``max`` the reports used."""
    out: dict[str, Any] = {}
    for t in thresholds:
        for key, pick in (("min", max), ("max", min)):
            v = t.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool):
                out[key] = pick(out[key], v) if key in out else v
    return out


def merge(paths: Iterable[str]) -> tuple[Report, list[Skipped]]:
    """Merge the reports in ``paths`` (one at a time); the org report and the skipped files."""
    merger = Merger()
    for path in paths:
        merger.add_file(path)
    return merger.report(), merger.skipped
