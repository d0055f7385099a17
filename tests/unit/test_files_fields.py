"""Field names a data file writes that its kind does not name (sources/files_fields.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import check_outputs, check_report, make_project, run_cli

from guardrails.errors import DataFileError
from guardrails.sources.files_fields import close_field, normalised, slips, stray_fields
from guardrails.sources.files_formats import Table

KNOWN = frozenset({"id", "service", "status", "finished_at", "environment"})


@pytest.mark.parametrize(("name", "field"), [
    ("Status", "status"), ("finished-at", "finished_at"), ("finishedAt", "finished_at"),
    ("Finished At", "finished_at"), (" FINISHED.AT ", "finished_at"), ("status", "status"),
])
def test_normalised_spellings(name: str, field: str) -> None:
    assert normalised(name) == field


@pytest.mark.parametrize(("a", "b", "d"), [
    ("status", "status", 0), ("stauts", "status", 1), ("statu", "status", 1),
    ("statuss", "status", 1), ("ztatus", "status", 1), ("tsatsu", "status", 2),
    ("created_at", "started_at", 4), ("", "id", 2),
])
def test_slips_is_the_optimal_string_alignment_distance(a: str, b: str, d: int) -> None:
    assert slips(a, b, 10) == d == slips(b, a, 10)
    assert slips(a, b, 0) == min(d, 1)  # past the limit: the limit + 1


@pytest.mark.parametrize(("name", "meant"), [
    ("stauts", "status"), ("enviroment", "environment"), ("finshed_at", "finished_at"),
    ("kinds", "kind"), ("sevice", "service"),
    ("created_at", None), ("triggered_by", None), ("ids", None), ("sah", None), ("state", None),
    ("started", None), ("env", None),
])
def test_close_field_allows_one_slip_per_four_letters(name: str, meant: str | None) -> None:
    fields = sorted(KNOWN | {"kind", "sha", "started_at"})
    assert close_field(name, fields) == meant


def test_a_close_column_is_a_warning_once_a_file() -> None:
    table = Table("org/deployments.csv", [{"id": "d1"}] * 3,
                  columns=("id", "enviroment", "stauts", "triggered_by", ""))
    assert stray_fields(table, KNOWN, "deployment") == [
        "org/deployments.csv:1: column 'enviroment' is not a deployment field: no builtin "
        "check reads it (it is kept for your own rules); did you mean 'environment'?",
        "org/deployments.csv:1: column 'stauts' is not a deployment field: no builtin "
        "check reads it (it is kept for your own rules); did you mean 'status'?",
    ]


def test_far_and_known_names_are_left_alone() -> None:
    """An export's own columns (far from every field) are kept without a word."""
    table = Table("d.csv", [], columns=("id", "status", "triggered_by", "region", "url"))
    assert stray_fields(table, KNOWN, "deployment") == []
    records = [{"id": "a", "region": "eu"}, {"id": "b", "notes": "x"}]
    assert stray_fields(Table("d.jsonl", records, starts=range(1, 3)), KNOWN, "deployment") == []


def test_records_keys_are_all_looked_at_and_the_first_line_named() -> None:
    records = [{"id": "a", "status": "ok"}, {"id": "b"}, {"id": "c", "statsu": "ok"},
               {"id": "d", "statsu": "ok"}]
    got = stray_fields(Table("d.jsonl", records, starts=range(1, 5)), KNOWN, "deployment")
    assert got == ["d.jsonl:3: field 'statsu' is not a deployment field: no builtin check "
                   "reads it (it is kept for your own rules); did you mean 'status'?"]


def test_keys_that_are_no_text_are_no_field_and_no_crash() -> None:
    """YAML reads ``1:``, ``null:`` and ``3.5:`` as keys of other types."""
    records = [{"id": "a", 1: "x", None: "y", 3.5: "z", False: "t"}, {"id": "b", "statsu": "q"}]
    got = stray_fields(Table("d.yaml", records, starts=range(1, 3)), KNOWN, "deployment")
    assert got == ["d.yaml:2: field 'statsu' is not a deployment field: no builtin check "
                   "reads it (it is kept for your own rules); did you mean 'status'?"]


def test_a_field_written_otherwise_is_an_error_when_the_file_lacks_the_field() -> None:
    table = Table("d.csv", [], columns=("id", "Environment"))
    with pytest.raises(DataFileError) as err:
        stray_fields(table, KNOWN, "deployment")
    assert err.value.line == 1
    assert "column 'Environment' is not a deployment field, but 'environment' is" in str(err.value)
    assert "rename 'Environment' to 'environment'" in str(err.value)
    # Beside the field itself it is a slip in some records: a warning.
    records = [{"id": "a", "environment": "prod"}, {"id": "b", "Environment": "prod"}]
    got = stray_fields(Table("d.jsonl", records, starts=range(1, 3)), KNOWN, "deployment")
    assert got and got[0].startswith("d.jsonl:2: field 'Environment'")


def test_a_warm_run_warns_as_the_cold_one(tmp_path: Path) -> None:
    """The fact cache hands back the table; the warning is made from it again."""
    config = make_project(tmp_path, org={
        "teams.yaml": "teams:\n  - id: a\n    members: [{handle: x}]\n",
        "deployments.csv": "id,service,finished_at,status,enviroment\n"
                           "d1,api,2026-11-01T00:00:00Z,success,staging\n",
        "incidents.yaml": "incidents:\n  - id: i1\n    created_at: 2026-11-01T00:00:00Z\n"
                          "    sevrity: SEV1\n",
    })
    cold = check_outputs(config, tmp_path / "cold.json")
    warm = check_outputs(config, tmp_path / "warm.json")
    assert cold == warm
    _, report = check_report(config, tmp_path / "r.json")
    assert [w.split(":")[0:2] for w in report["warnings"]] == [
        ["org/deployments.csv", "1"], ["org/incidents.yaml", "4"]]
    assert "did you mean 'severity'?" in report["warnings"][1]


def test_reviews_csv_columns_are_checked(tmp_path: Path) -> None:
    config = make_project(tmp_path, org={
        "teams.yaml": "teams:\n  - id: a\n    members: [{handle: x}]\n",
        "pull_requests.csv": "id,created_at\np1,2026-11-01T00:00:00Z\n",
        "reviews.csv": "pull_request,user,state,submited_at\np1,x,APPROVED,2026-11-01T00:00:00Z\n",
    })
    _, report = check_report(config, tmp_path / "r.json")
    assert report["warnings"] == [
        "org/reviews.csv:1: column 'submited_at' is not a review field: no builtin check reads "
        "it (it is kept for your own rules); did you mean 'submitted_at'?"]


def test_validate_refuses_a_field_written_otherwise(tmp_path: Path) -> None:
    config = make_project(tmp_path, org={
        "teams.yaml": "teams:\n  - id: a\n    members: [{handle: x}]\n",
        "incidents.csv": "id,created_at,Caused By\ni1,2026-11-01T00:00:00Z,d1\n",
    })
    result = run_cli(["validate", "-c", str(config)])
    assert result.exit_code == 4, result.output
    assert "org/incidents.csv:1: column 'Caused By' is not an incident field, but " \
           "'caused_by' is" in result.output
