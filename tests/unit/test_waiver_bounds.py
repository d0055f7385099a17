"""Waivers that are mistakes (two for one rule and subject) or promises kept too long
(an expiry more than REVIEW_WITHIN_DAYS after --now): guardrails/waivers.py, config.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import check_report, make_project, run_cli

from guardrails.waivers import REVIEW_WITHIN_DAYS, Waiver, far_waiver_warning

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


class Cfg:
    display_path = "guardrails.yaml"


def waiver(expires: date, subject: str | None = None) -> Waiver:
    return Waiver(rule="p::r", reason="x", expires=expires, subject=subject, line=7)


def test_a_waiver_within_the_bound_says_nothing() -> None:
    assert REVIEW_WITHIN_DAYS == 365
    assert far_waiver_warning(Cfg(), waiver(date(2027, 11, 20)), NOW) is None
    assert far_waiver_warning(Cfg(), waiver(date(2026, 12, 1)), NOW) is None


def test_a_day_past_the_bound_is_a_warning_naming_the_line_and_the_latest_date() -> None:
    got = far_waiver_warning(Cfg(), waiver(date(2027, 11, 21), "team/web"), NOW)
    assert got == ("guardrails.yaml:7: waiver for p::r (team/web) expires on 2027-11-21, "
                   "366 days after 2026-11-20: a waiver should be reviewed within 365 days; "
                   "set expires on or before 2027-11-20 and renew it then if it is still needed")


def test_the_bound_counts_from_the_day_in_the_configs_time_zone() -> None:
    """--now 2026-11-20T23:00Z is already 2026-11-21 at +02:00: the bound moves a day."""
    late = datetime(2026, 11, 20, 23, tzinfo=UTC)
    w = waiver(date(2027, 11, 21))
    assert far_waiver_warning(Cfg(), w, late) is not None
    assert far_waiver_warning(Cfg(), w, late, timezone(timedelta(hours=2))) is None


WAIVERS = """\
rules:
  - rules/
sources:
  files: {path: org}
waivers:
%s
"""


def test_a_far_waiver_still_waives_and_the_json_report_carries_the_warning(
        tmp_path: Path) -> None:
    config = make_project(tmp_path, config=WAIVERS % (
        "  - {rule: people::team-size, reason: x, expires: '2030-01-01'}"),
        rules={"rules/people.yaml": """\
            pack: people
            rules:
              - id: team-size
                title: Teams are small
                check: teams.size
                max: 1
            """})
    result, report = check_report(config, tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert report["results"][0]["outcome"] == "waived"
    far = [w for w in report["warnings"] if "should be reviewed within 365 days" in w]
    assert len(far) == 1 and far[0].endswith(
        "guardrails.yaml:6: waiver for people::team-size expires on 2030-01-01, 1138 days "
        "after 2026-11-20: a waiver should be reviewed within 365 days; set expires on or "
        "before 2027-11-20 and renew it then if it is still needed")


@pytest.mark.parametrize(("first", "second", "duplicate"), [
    ("subject: team/a", "subject: team/a", True),
    ("", "", True),
    ("subject: team/a", "subject: team/b", False),
    ("subject: team/a", "", False),  # a whole-rule waiver beside one subject's: two scopes
])
def test_two_waivers_of_one_rule_and_subject_are_a_config_error(
        tmp_path: Path, first: str, second: str, duplicate: bool) -> None:
    entries = "\n".join(
        f"  - {{rule: people::team-size, reason: x, expires: '2026-12-31'{', ' if s else ''}{s}}}"
        for s in (first, second))
    config = make_project(tmp_path, config=WAIVERS % entries)
    result = run_cli(["validate", "-c", str(config)])
    if duplicate:
        assert result.exit_code == 4, result.output
        assert "guardrails.yaml:7: a second waiver for people::team-size" in result.output
        assert "the first is on line 6" in result.output
        assert "Traceback" not in result.output
    else:
        assert result.exit_code == 0, result.output
