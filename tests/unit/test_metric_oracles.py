"""Oracles for the builtin rules: METRICS.md re-computed independently.

Each oracle below is written from the words of METRICS.md (and DATA.md for
the fields), not from the engine: it imports nothing of guardrails but what
runs a session, and computes medians with ``statistics.median`` and
percentiles with its own linear interpolation. Hypothesis generates small
orgs aimed at the edges (window start exactly ``now - W``, ``now`` itself,
timestamps with ``+05:30`` and ``-08:00`` offsets, ties, zero durations,
changes named by id and by merge sha, several deployments naming one change,
empty windows, due dates today and yesterday in the config's timezone); the
org is written as files and checked through the real path (``guardrails
check`` in-process, files source, joins, rules, JSON report), and the
report's outcome, value and sample count must equal the oracle's.

Readings of METRICS.md the oracles fix (docs/rules.md says the same):

- a date without a time is placed at the first instant of its day in the
  config's timezone when it is compared with a window or with ``now``
  (iterations "started before now", survey answers "in the window"); a due
  date is overdue once its whole day has ended;
- a team's latest iteration is the one with the latest end (equal ends: the
  later start) among those started before now;
- a CI run finishing at or after ``now`` has not finished yet: it is not a
  sample;
- rules judging every subject report the number of offending subjects, the
  action-items rule the number of overdue items.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.config import RunOptions, load_config
from guardrails.manager import create_manager
from guardrails.session import Session

pytestmark = pytest.mark.fuzz

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-20T12:00:00Z"
W = timedelta(days=90)
START = NOW - W
DAY = 86400.0

OFFSETS = {
    "Z": UTC,
    "+05:30": timezone(timedelta(hours=5, minutes=30)),
    "-08:00": timezone(-timedelta(hours=8)),
}
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.data_too_large])


# ---------------------------------------------------------------------------
# the oracle's own arithmetic
# ---------------------------------------------------------------------------


def linear_percentile(values: list[float], p: float) -> float:
    """numpy's default ("linear"): interpolate between the closest ranks."""
    xs = sorted(values)
    rank = (len(xs) - 1) * p
    below = int(math.floor(rank))
    above = min(below + 1, len(xs) - 1)
    return xs[below] + (rank - below) * (xs[above] - xs[below])


def in_window(t: datetime | None) -> bool:
    return t is not None and START <= t < NOW


def day_start(d: date, tz: tzinfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz)


def today_in(tz: tzinfo) -> date:
    return NOW.astimezone(tz).date()


# ---------------------------------------------------------------------------
# writing an org and running the engine
# ---------------------------------------------------------------------------


def stamp(t: datetime, offset: str) -> str:
    """``t`` written in the offset ``offset`` (``Z`` for UTC)."""
    text = t.astimezone(OFFSETS[offset]).isoformat()
    return text.replace("+00:00", "Z")


_PM: list[Any] = []


def run_engine(files: Mapping[str, str], packs: list[str], config: str = "") -> dict[str, Any]:
    """Write the org, run a real session over it, return the results by rule id.

    The run is ``guardrails check`` minus the command line: config file,
    files source (loading, validation), joins, rules and waivers are the real
    ones; only the plugin manager is made once for all examples, as building
    it (reading every entry point) is most of a small run's time.
    """
    if not _PM:
        _PM.append(create_manager())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "org").mkdir()
        for rel, text in files.items():
            path = root / "org" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        rules = ", ".join(f"builtin:{p}" for p in packs)
        cfg = root / "guardrails.yaml"
        cfg.write_text(f"rules: [{rules}]\nsources:\n  files: {{path: org}}\nwindow: 90d\n"
                       + config, encoding="utf-8")
        session = Session(load_config(cfg, RunOptions(now=NOW)), pm=_PM[0])
        report = session.run()
    return {r.id: {"id": r.id, "outcome": r.outcome.value, "value": r.value,
                   "unit": r.unit, "threshold": r.threshold, "samples": r.samples,
                   "message": r.message, "details": r.details} for r in report.results}


def expect(result: dict[str, Any], value: float | None, samples: int | None,
           passed: bool | None = None) -> None:
    """The engine's result equals the oracle's: outcome, value, sample count."""
    where = f"{result['id']}: {result.get('message')}"
    if value is None:
        assert result["outcome"] == "skipped", where
        assert result["value"] is None, where
        return
    assert result["value"] == pytest.approx(value, rel=1e-9, abs=1e-5), where
    if samples is not None:
        assert result["samples"] == samples, where
    if passed is not None:
        assert result["outcome"] == ("passed" if passed else "failed"), where


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

# Instants aimed at the edges: the window's start, now, a second either side,
# and some ordinary moments, so ties between records are common.
EDGES = [-W - timedelta(seconds=1), -W, -W + timedelta(seconds=1), -timedelta(days=60),
         -timedelta(days=30, hours=5), -timedelta(days=7), -timedelta(days=6),
         -timedelta(days=5, seconds=1), -timedelta(days=5), -timedelta(hours=3),
         -timedelta(seconds=1), timedelta(0), timedelta(seconds=1), timedelta(days=2)]
instants = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=-100 * 86400, max_value=3 * 86400).map(lambda s: timedelta(seconds=s)),
).map(lambda d: NOW + d)
offsets = st.sampled_from(sorted(OFFSETS))
# Durations: zero and exact ties are likely.
durations = st.one_of(st.sampled_from([0, 0, 60, 3600, 86400]),
                      st.integers(min_value=0, max_value=20 * 86400))


def draw_incidents(draw: st.DrawFn, n: int, n_deps: int = 0) -> list[dict[str, Any]]:
    """``n`` incidents, some resolved (0 s included), some caused by one of ``n_deps``."""
    incidents = []
    for i in range(n):
        created = draw(instants)
        inc: dict[str, Any] = {"id": f"INC-{i}", "created_at": (created, draw(offsets)),
                               "severity": draw(st.sampled_from(["SEV1", "SEV2", "SEV3"]))}
        if draw(st.booleans()):
            inc["resolved_at"] = (created + timedelta(seconds=draw(durations)), draw(offsets))
        if n_deps and draw(st.booleans()):
            inc["caused_by"] = f"dep-{draw(st.integers(0, n_deps - 1))}"
        incidents.append(inc)
    return incidents


@st.composite
def dora_orgs(draw: st.DrawFn) -> dict[str, Any]:
    n_changes = draw(st.integers(0, 6))
    changes = []
    for i in range(n_changes):
        c: dict[str, Any] = {"id": 100 + i if draw(st.booleans()) else f"pr-{i}",
                             "merge_sha": f"{i:02x}" + "ab" * 19}
        for key in ("first_commit_at", "created_at"):
            if draw(st.booleans()):
                c[key] = (draw(instants), draw(offsets))
        changes.append(c)
    refs = [str(c["id"]) for c in changes] + [c["merge_sha"] for c in changes] + ["unknown-ref"]
    n_deps = draw(st.integers(0, 8))
    deps = []
    for i in range(n_deps):
        d: dict[str, Any] = {
            "id": f"dep-{i}", "service": draw(st.sampled_from(["api", "web"])),
            "finished_at": (draw(instants), draw(offsets)),
            "status": draw(st.sampled_from(["success", "success", "success", "failure"])),
            # absent means production (DATA.md)
            "environment": draw(st.sampled_from(["production", "production", "staging", None])),
            "kind": draw(st.sampled_from(["normal", "normal", "rollback", "hotfix"])),
            "changes": draw(st.lists(st.sampled_from(refs), max_size=3, unique=True)),
        }
        if d["kind"] != "normal" and n_deps > 1:
            d["remediates"] = f"dep-{draw(st.integers(0, n_deps - 1))}"
        deps.append(d)
    incidents = draw_incidents(draw, draw(st.integers(0, 6)), n_deps)
    return {"changes": changes, "deployments": deps, "incidents": incidents,
            "csv": draw(st.booleans())}


def _when(value: Any) -> datetime | None:
    return value[0] if isinstance(value, tuple) else None


def _write_record(record: dict[str, Any]) -> dict[str, Any]:
    return {k: stamp(*v) if isinstance(v, tuple) else v for k, v in record.items()
            if v is not None}


def dora_files(org: dict[str, Any]) -> dict[str, str]:
    files = {}
    if org["deployments"] and org.get("csv"):
        # CSV: an empty cell is an absent field, a list cell holds space-separated items
        columns = ("id", "service", "finished_at", "status", "environment", "kind",
                   "remediates", "changes")
        rows = [",".join(columns)]
        for d in org["deployments"]:
            record = _write_record(d)
            record["changes"] = " ".join(record["changes"])
            rows.append(",".join(str(record.get(c, "")) for c in columns))
        files["deployments.csv"] = "\n".join(rows) + "\n"
    elif org["deployments"]:
        files["deployments.jsonl"] = jsonl([_write_record(d) for d in org["deployments"]])
    if org["incidents"]:
        files["incidents.json"] = json.dumps(
            {"incidents": [_write_record(i) for i in org["incidents"]]})
    if org["changes"]:
        files["pull_requests.jsonl"] = jsonl([_write_record(c) for c in org["changes"]])
    return files


# ---------------------------------------------------------------------------
# DORA four keys
# ---------------------------------------------------------------------------


def is_prod(d: dict[str, Any]) -> bool:
    return d["status"] == "success" and d["environment"] in ("production", None)


def oracle_deployment_frequency(org: dict[str, Any]) -> tuple[float | None, int]:
    prod = [d for d in org["deployments"] if is_prod(d) and in_window(_when(d["finished_at"]))]
    if not prod:
        return None, 0
    return len(prod) / (90 / 7), len(prod)


def oracle_lead_time(org: dict[str, Any]) -> tuple[float | None, int, int]:
    """Median of (shipping deployment - change start) over changes shipped in the window.

    Also returns how many non-positive samples were dropped.
    """
    samples = []
    dropped = 0
    for c in org["changes"]:
        names = {str(c["id"]), c["merge_sha"]}
        naming = [d for d in org["deployments"]
                  if is_prod(d) and names & set(d["changes"])]
        if not naming:
            continue
        # shipped by the EARLIEST successful production deployment naming it
        shipped = min(_when(d["finished_at"]) for d in naming)
        if not in_window(shipped):
            continue
        began = _when(c.get("first_commit_at")) or _when(c.get("created_at"))
        if began is None:
            continue
        seconds = (shipped - began).total_seconds()
        if seconds > 0:  # non-positive samples are dropped (and counted)
            samples.append(seconds)
        else:
            dropped += 1
    if not samples:
        return None, 0, dropped
    return statistics.median(samples), len(samples), dropped


def oracle_change_failure_rate(org: dict[str, Any]) -> tuple[float | None, int]:
    prod = [d for d in org["deployments"] if is_prod(d) and in_window(_when(d["finished_at"]))]
    if not prod:
        return None, 0
    failed = 0
    for d in prod:
        at = _when(d["finished_at"])
        caused = any(i.get("caused_by") == d["id"] and _when(i["created_at"]) < NOW
                     for i in org["incidents"])
        remedied = any(
            r.get("remediates") == d["id"] and r["kind"] in ("rollback", "hotfix")
            and at < _when(r["finished_at"]) < NOW  # later, and finished as of now
            for r in org["deployments"])
        failed += caused or remedied
    return failed / len(prod), len(prod)


def oracle_time_to_restore(org: dict[str, Any]) -> tuple[float | None, int, int]:
    """Median restore time, the sample count, and the open incidents excluded."""
    samples = []
    still_open = 0
    for i in org["incidents"]:
        created = _when(i["created_at"])
        resolved = _when(i.get("resolved_at"))
        if not in_window(created):
            continue
        if resolved is None or resolved >= NOW:
            still_open += 1  # still open as of now: excluded and counted
            continue
        samples.append((resolved - created).total_seconds())  # 0 s is a sample
    if not samples:
        return None, 0, still_open
    return statistics.median(samples), len(samples), still_open


def counted(details: list[str], n: int, noun: str) -> bool:
    """``n`` things said in the details (``1 open incident``, ``2 open incidents``)."""
    text = f"{n} {noun}" + ("" if n == 1 else "s")
    return any(d.startswith(text + " ") for d in details) if n else not any(
        noun in d for d in details)


@settings(SETTINGS, max_examples=fuzz_examples(300), deadline=None)
@given(org=dora_orgs())
def test_dora_four_keys_match_the_oracle(org: dict[str, Any]) -> None:
    results = run_engine(dora_files(org), ["stability"])
    df, df_n = oracle_deployment_frequency(org)
    expect(results["stability::deployment-frequency"], df, df_n,
           None if df is None else df >= 1)
    lt, lt_n, lt_dropped = oracle_lead_time(org)
    res = results["stability::lead-time"]
    expect(res, lt, lt_n, None if lt is None else lt <= 7 * DAY)
    assert counted(res["details"], lt_dropped, "non-positive lead time"), res["details"]
    cfr, cfr_n = oracle_change_failure_rate(org)
    expect(results["stability::change-failure-rate"], cfr, cfr_n,
           None if cfr is None else cfr <= 0.15)
    ttr, ttr_n, still_open = oracle_time_to_restore(org)
    res = results["stability::time-to-restore"]
    expect(res, ttr, ttr_n, None if ttr is None else ttr <= DAY)
    assert counted(res["details"], still_open, "open incident"), res["details"]


# ---------------------------------------------------------------------------
# incidents: postmortem-exists, postmortem-complete, action-items-on-time
# ---------------------------------------------------------------------------

TIMEZONES = {"UTC": UTC, "+05:30": OFFSETS["+05:30"], "-08:00": OFFSETS["-08:00"]}
SECTIONS = ("Summary", "Impact", "Timeline", "Contributing factors")
# a date around today; which day "today" is depends on the timezone
due_dates = st.one_of(
    st.integers(-3, 2).map(lambda n: date(2026, 11, 20) + timedelta(days=n)),
    st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 1, 31)),
)


@st.composite
def incident_orgs(draw: st.DrawFn) -> dict[str, Any]:
    n_inc = draw(st.integers(0, 5))
    incidents = draw_incidents(draw, n_inc)
    pms = []
    for j in range(draw(st.integers(0, 4))):
        items = []
        for k in range(draw(st.integers(0, 3))):
            item: dict[str, Any] = {"title": f"Item {j}.{k}"}
            if draw(st.booleans()):
                item["owner"] = draw(st.sampled_from(["ann", "ben"]))
            if draw(st.integers(0, 3)):
                item["due"] = draw(due_dates)
            status = draw(st.sampled_from([None, "open", "done"]))
            if status:
                item["status"] = status
            items.append(item)
        sections = {name: draw(st.sampled_from(["Some text.", "", "TBD"]))
                    for name in SECTIONS if draw(st.integers(0, 5))}
        target = f"INC-{draw(st.integers(0, max(n_inc - 1, 0)))}" if n_inc else "INC-99"
        pms.append({"file": f"pm-{j}.md", "incident": target, "items": items,
                    "sections": sections})
    tz = draw(st.sampled_from(sorted(TIMEZONES)))
    return {"incidents": incidents, "postmortems": pms, "tz": tz}


def postmortem_text(pm: dict[str, Any]) -> str:
    lines = ["---", f"incident: {pm['incident']}"]
    if pm["items"]:
        lines.append("action_items:")
        for item in pm["items"]:
            lines.append(f"  - title: {item['title']}")
            for key in ("owner", "due", "status"):
                if key in item:
                    value = item[key]
                    lines.append(f"    {key}: {value.isoformat() if key == 'due' else value}")
    lines.append("---")
    for name, text in pm["sections"].items():
        lines += [f"## {name}", text, ""]
    return "\n".join(lines) + "\n"


def incident_files(org: dict[str, Any]) -> dict[str, str]:
    files = {}
    if org["incidents"]:
        files["incidents.json"] = json.dumps(
            {"incidents": [_write_record(i) for i in org["incidents"]]})
    for pm in org["postmortems"]:
        files[f"postmortems/{pm['file']}"] = postmortem_text(pm)
    return files


def oracle_postmortem_exists(org: dict[str, Any]) -> tuple[int | None, int]:
    """Every SEV1/SEV2 incident resolved more than 5d before now has a postmortem."""
    judged = [i for i in org["incidents"] if i["severity"] in ("SEV1", "SEV2")
              and _when(i.get("resolved_at")) is not None
              and _when(i["resolved_at"]) < NOW - timedelta(days=5)]
    if not judged:
        return None, 0
    covered = {pm["incident"] for pm in org["postmortems"]}
    return sum(1 for i in judged if i["id"] not in covered), len(judged)


def oracle_postmortem_complete(org: dict[str, Any]) -> tuple[int | None, int]:
    pms = org["postmortems"]
    if not pms:
        return None, 0
    bad = 0
    for pm in pms:
        full = all(pm["sections"].get(s, "").strip() not in ("", "TBD") for s in SECTIONS)
        owned = any(i.get("owner") and i.get("due") for i in pm["items"])
        bad += not (full and owned)
    return bad, len(pms)


def oracle_action_items(org: dict[str, Any]) -> tuple[int | None, int, int]:
    """(overdue open items, all items, the most days overdue)."""
    tz = TIMEZONES[org["tz"]]
    items = [i for pm in org["postmortems"] for i in pm["items"]]
    if not items:
        return None, 0, 0
    today = today_in(tz)
    late = [(today - i["due"]).days for i in items
            if i.get("status") != "done" and "due" in i and i["due"] < today]
    return len(late), len(items), max(late, default=0)


@settings(SETTINGS, max_examples=fuzz_examples(200), deadline=None)
@given(org=incident_orgs())
def test_incident_rules_match_the_oracle(org: dict[str, Any]) -> None:
    config = "" if org["tz"] == "UTC" else f"timezone: '{org['tz']}'\n"
    results = run_engine(incident_files(org), ["incidents"], config)
    n, judged = oracle_postmortem_exists(org)
    expect(results["incidents::postmortem-exists"], n, judged, None if n is None else n == 0)
    n, total = oracle_postmortem_complete(org)
    expect(results["incidents::postmortem-complete"], n, total, None if n is None else n == 0)
    n, total, worst = oracle_action_items(org)
    res = results["incidents::action-items-on-time"]
    expect(res, n, total, None if n is None else n == 0)
    if n:
        assert f"the oldest {worst} day" in res["message"], res["message"]


# ---------------------------------------------------------------------------
# teams, plans, goals, culture
# ---------------------------------------------------------------------------

TEAMS = ("a", "b", "c")


@st.composite
def people_orgs(draw: st.DrawFn) -> dict[str, Any]:
    teams = {t: draw(st.integers(1, 11)) for t in TEAMS if draw(st.integers(0, 4))}
    iterations = []
    for t in TEAMS:
        seen = set()
        for _ in range(draw(st.integers(0, 3))):
            start = draw(due_dates)
            end = start + timedelta(days=draw(st.sampled_from([0, 6, 13, 20])))
            if (start, end) in seen:
                continue
            seen.add((start, end))
            capacity = draw(st.sampled_from([0, 10, 40, 50]))
            committed = draw(st.sampled_from([0, 8, 30, 32, 40, 45]))
            iterations.append({"team": t, "start": start, "end": end,
                               "capacity": capacity, "committed": committed})
    goals = []
    for g in range(draw(st.integers(0, 3))):
        krs = []
        for _ in range(draw(st.integers(0, 2))):
            kr = {}
            for key, value in (("metric", "p95 latency"), ("baseline", 300), ("target", 200),
                               ("due", "2026-12-31")):
                choice = draw(st.integers(0, 5))
                if choice:
                    kr[key] = value
                elif key != "due" and draw(st.booleans()):
                    kr[key] = "  "  # blank text counts as missing
            krs.append(kr)
        goals.append({"id": f"OKR-{g}", "objective": "x", "key_results": krs})
    answers = []
    for t in TEAMS:
        for _ in range(draw(st.integers(0, 5))):
            d = draw(st.one_of(st.sampled_from([date(2026, 8, 21), date(2026, 8, 22),
                                                date(2026, 8, 23), date(2026, 11, 20),
                                                date(2026, 11, 21)]),
                               st.dates(date(2026, 8, 1), date(2026, 11, 25))))
            qs = [draw(st.one_of(st.none(), st.integers(1, 7))) for _ in range(6)]
            answers.append({"team": t, "date": d, "qs": qs})
    tz = draw(st.sampled_from(sorted(TIMEZONES)))
    return {"teams": teams, "iterations": iterations, "goals": goals, "answers": answers,
            "tz": tz}


def people_files(org: dict[str, Any]) -> dict[str, str]:
    files = {}
    if org["teams"]:
        files["teams.json"] = json.dumps({"teams": [
            {"id": t, "members": [{"handle": f"{t}{i}"} for i in range(n)]}
            for t, n in org["teams"].items()]})
    if org["iterations"]:
        files["iterations.json"] = json.dumps({"iterations": [
            {**it, "start": it["start"].isoformat(), "end": it["end"].isoformat()}
            for it in org["iterations"]]})
    if org["goals"]:
        files["goals.json"] = json.dumps({"goals": org["goals"]})
    if org["answers"]:
        rows = ["team,date,q1,q2,q3,q4,q5,q6"] + [
            ",".join([a["team"], a["date"].isoformat()]
                     + ["" if q is None else str(q) for q in a["qs"]])
            for a in org["answers"]]
        files["surveys/westrum.csv"] = "\n".join(rows) + "\n"
    return files


def oracle_two_pizza(org: dict[str, Any]) -> tuple[int | None, int]:
    if not org["teams"]:
        return None, 0
    return sum(1 for n in org["teams"].values() if not 3 <= n <= 8), len(org["teams"])


def oracle_slack(org: dict[str, Any]) -> tuple[int | None, int]:
    tz = TIMEZONES[org["tz"]]
    latest: dict[str, dict[str, Any]] = {}
    for it in org["iterations"]:
        if not day_start(it["start"], tz) < NOW:
            continue  # not started as of now
        known = latest.get(it["team"])
        if known is None or (it["end"], it["start"]) > (known["end"], known["start"]):
            latest[it["team"]] = it
    if not latest:
        return None, 0
    full = sum(1 for it in latest.values()
               if it["capacity"] <= 0 or it["committed"] / it["capacity"] > 0.8)
    return full, len(latest)


def oracle_measurable(org: dict[str, Any]) -> tuple[int | None, int]:
    if not org["goals"]:
        return None, 0

    def complete(kr: dict[str, Any]) -> bool:
        return all(str(kr.get(k, "")).strip() for k in ("metric", "baseline", "target", "due"))

    bad = sum(1 for g in org["goals"] if not any(complete(kr) for kr in g["key_results"]))
    return bad, len(org["goals"])


def oracle_westrum(org: dict[str, Any]) -> tuple[int | None, int]:
    tz = TIMEZONES[org["tz"]]
    # Exact arithmetic: a true mean of exactly 5 is not below 5.
    scores: dict[str, list[Fraction]] = {}
    for a in org["answers"]:
        if not in_window(day_start(a["date"], tz)):
            continue
        answered = [q for q in a["qs"] if q is not None]
        if answered:
            scores.setdefault(a["team"], []).append(Fraction(sum(answered), len(answered)))
    judged = {t: s for t, s in scores.items() if len(s) >= 3}
    if not judged:
        return None, 0
    return sum(1 for s in judged.values() if sum(s) / len(s) < 5), len(judged)


@settings(SETTINGS, max_examples=fuzz_examples(200), deadline=None)
@given(org=people_orgs())
def test_team_goal_and_culture_rules_match_the_oracle(org: dict[str, Any]) -> None:
    config = "" if org["tz"] == "UTC" else f"timezone: '{org['tz']}'\n"
    results = run_engine(people_files(org), ["teams", "goals", "culture"], config)
    for rule, (n, judged) in (
        ("teams::two-pizza-teams", oracle_two_pizza(org)),
        ("teams::slack-in-plans", oracle_slack(org)),
        ("goals::measurable-goals", oracle_measurable(org)),
        ("culture::westrum-score", oracle_westrum(org)),
    ):
        res = results[rule]
        expect(res, n, judged, None if n is None else n == 0)
        if n is not None:
            assert (res["unit"], res["threshold"]) == ("count", {"max": 0}), rule


# ---------------------------------------------------------------------------
# delivery: small-batches, independent-review, ci-feedback-time
# ---------------------------------------------------------------------------

HANDLES = ("alice", "Alice", "ALICE", "bob", "carol")


@st.composite
def delivery_orgs(draw: st.DrawFn) -> dict[str, Any]:
    changes = []
    for i in range(draw(st.integers(0, 7))):
        c: dict[str, Any] = {"id": 500 + i, "merged_at": (draw(instants), draw(offsets))}
        if draw(st.integers(0, 4)):
            c["additions"] = draw(st.sampled_from([0, 10, 120, 400, 401, 2000]))
            c["deletions"] = draw(st.sampled_from([0, 5, 300]))
        if draw(st.integers(0, 5)):
            c["author"] = draw(st.sampled_from(HANDLES))
        c["reviews"] = [{"user": draw(st.sampled_from(HANDLES)),
                         "state": draw(st.sampled_from(["APPROVED", "APPROVED", "COMMENTED",
                                                        "CHANGES_REQUESTED"]))}
                        for _ in range(draw(st.integers(0, 2)))]
        changes.append(c)
    runs = []
    for i in range(draw(st.integers(0, 7))):
        started = draw(instants)
        runs.append({"id": f"run-{i}", "started_at": (started, draw(offsets)),
                     "finished_at": (started + timedelta(seconds=draw(st.one_of(
                         st.sampled_from([0, 0, 600, 601]), st.integers(0, 5000)))),
                         draw(offsets)),
                     "workflow": draw(st.sampled_from(["ci", "e2e"]))})
    return {"changes": changes, "runs": runs}


def delivery_files(org: dict[str, Any]) -> dict[str, str]:
    files = {}
    if org["changes"]:
        files["pull_requests.jsonl"] = jsonl([_write_record(c) for c in org["changes"]])
    if org["runs"]:
        rows = ["id,started_at,finished_at,workflow"] + [
            f"{r['id']},{stamp(*r['started_at'])},{stamp(*r['finished_at'])},{r['workflow']}"
            for r in org["runs"]]
        files["ci_runs.csv"] = "\n".join(rows) + "\n"
    return files


def oracle_small_batches(org: dict[str, Any]) -> tuple[float | None, int]:
    sizes = [c["additions"] + c["deletions"] for c in org["changes"]
             if in_window(_when(c["merged_at"])) and "additions" in c]
    if not sizes:
        return None, 0
    return linear_percentile(sizes, 0.9), len(sizes)


def oracle_independent_review(org: dict[str, Any]) -> tuple[float | None, int]:
    judged = [c for c in org["changes"] if in_window(_when(c["merged_at"])) and "author" in c]
    if not judged:
        return None, 0
    ok = sum(1 for c in judged if any(
        r["state"] == "APPROVED" and r["user"].lower() != c["author"].lower()
        for r in c["reviews"]))
    return ok / len(judged), len(judged)


def oracle_ci_feedback(org: dict[str, Any]) -> tuple[float | None, int]:
    durations = [(_when(r["finished_at"]) - _when(r["started_at"])).total_seconds()
                 for r in org["runs"]
                 if in_window(_when(r["started_at"])) and _when(r["finished_at"]) < NOW]
    if not durations:
        return None, 0
    return statistics.median(durations), len(durations)


@settings(SETTINGS, max_examples=fuzz_examples(200), deadline=None)
@given(org=delivery_orgs())
def test_delivery_rules_match_the_oracle(org: dict[str, Any]) -> None:
    results = run_engine(delivery_files(org), ["delivery"])
    p90, n = oracle_small_batches(org)
    expect(results["delivery::small-batches"], p90, n, None if p90 is None else p90 <= 400)
    rate, n = oracle_independent_review(org)
    expect(results["delivery::independent-review"], rate, n,
           None if rate is None else rate >= 0.95)
    median, n = oracle_ci_feedback(org)
    expect(results["delivery::ci-feedback-time"], median, n,
           None if median is None else median <= 600)


# ---------------------------------------------------------------------------
# goals::focus-revisited
# ---------------------------------------------------------------------------


@settings(SETTINGS, max_examples=fuzz_examples(60), deadline=None)
@given(reviewed=st.one_of(st.none(), due_dates,
                          st.integers(85, 95).map(lambda n: date(2026, 11, 20)
                                                  - timedelta(days=n))),
       tz=st.sampled_from(sorted(TIMEZONES)))
def test_focus_revisited_matches_the_oracle(reviewed: date | None, tz: str) -> None:
    config = "focus:\n  current: stability\n"
    if reviewed is not None:
        config += f"  reviewed_on: {reviewed.isoformat()}\n"
    if tz != "UTC":
        config += f"timezone: '{tz}'\n"
    res = run_engine({}, ["goals"], config)["goals::focus-revisited"]
    if reviewed is None:
        assert res["outcome"] == "failed"
        return
    # the age counts calendar days from the review day to today, both in the timezone
    age = (today_in(TIMEZONES[tz]) - reviewed).days * DAY
    expect(res, age, 1, 0 <= age <= 90 * DAY)
