"""The files source: every kind in every format, and errors that name file and line."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import validation
from guardrails.errors import DataFileError, UsageError
from guardrails.fastvalid import predicate
from guardrails.plugin import SourceEnv
from guardrails.sources import files as files_module
from guardrails.sources import files_tables
from guardrails.sources.files import FilesSource
from guardrails.sources.files_formats import record_check
from guardrails.textsafe import quoted
from guardrails.timeutil import NaiveTimestamp, parse_timestamp

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def make_env(root: Path, **kw: Any) -> SourceEnv:
    return SourceEnv(root=root, now=NOW, window=timedelta(days=90), **kw)


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / "org" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def source(root: Path, path: str = "org", **kw: Any) -> FilesSource:
    return FilesSource({"path": path}, make_env(root, **kw))


def failure(root: Path, **kw: Any) -> UsageError:
    with pytest.raises(UsageError) as info:
        source(root, **kw).validate()
    return info.value


def dt(*args: int, tz: timezone = UTC) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


# ---------------------------------------------------------------------------
# every kind in every format
# ---------------------------------------------------------------------------

# kind -> (file stem, YAML key, records as written, facts expected)
TABULAR: dict[str, tuple[str, str, list[dict[str, Any]], list[dict[str, Any]]]] = {
    "deployments": (
        "deployments", "deployments",
        [
            {"id": "d-1", "service": "api", "finished_at": "2026-10-01T10:00:00Z",
             "status": "success", "sha": "abc1", "changes": ["101", "102"]},
            {"id": "d-2", "service": "api", "started_at": "2026-10-02T09:00:00+02:00",
             "finished_at": "2026-10-02T09:30:00+02:00", "status": "failure",
             "environment": "staging", "kind": "hotfix", "remediates": "d-1"},
        ],
        [
            {"id": "d-1", "service": "api", "finished_at": datetime(2026, 10, 1, 10, tzinfo=UTC),
             "status": "success", "sha": "abc1", "changes": ["101", "102"],
             "environment": "production"},
            {"id": "d-2", "service": "api", "started_at": datetime(2026, 10, 2, 7, tzinfo=UTC),
             "finished_at": datetime(2026, 10, 2, 7, 30, tzinfo=UTC), "status": "failure",
             "environment": "staging", "kind": "hotfix", "remediates": "d-1"},
        ],
    ),
    "incidents": (
        "incidents", "incidents",
        [
            {"id": "INC-1", "created_at": "2026-10-01T11:00:00Z", "severity": "SEV2",
             "service": "api", "title": "Login down", "resolved_at": "2026-10-01T13:15:00Z",
             "caused_by": "d-1"},
            {"id": "INC-2", "created_at": "2026-10-03T00:00:00-05:00", "status": "open"},
        ],
        [
            {"id": "INC-1", "created_at": datetime(2026, 10, 1, 11, tzinfo=UTC),
             "severity": "SEV2", "service": "api", "title": "Login down",
             "resolved_at": datetime(2026, 10, 1, 13, 15, tzinfo=UTC), "caused_by": "d-1"},
            {"id": "INC-2", "created_at": datetime(2026, 10, 3, 5, tzinfo=UTC), "status": "open"},
        ],
    ),
    "changes": (
        "pull_requests", "pull_requests",
        [
            {"id": "101", "author": "alice", "created_at": "2026-09-30T08:00:00Z",
             "merged_at": "2026-09-30T12:00:00Z", "additions": 120, "deletions": 7,
             "repo": "acme/api", "merge_sha": "m101"},
            {"id": "102", "author": "bob", "first_commit_at": "2026-09-29T23:00:00+01:00",
             "additions": 0},
        ],
        [
            {"id": "101", "author": "alice", "created_at": datetime(2026, 9, 30, 8, tzinfo=UTC),
             "merged_at": datetime(2026, 9, 30, 12, tzinfo=UTC), "additions": 120,
             "deletions": 7, "repo": "acme/api", "merge_sha": "m101"},
            {"id": "102", "author": "bob",
             "first_commit_at": datetime(2026, 9, 29, 22, tzinfo=UTC), "additions": 0},
        ],
    ),
    "ci_runs": (
        "ci_runs", "ci_runs",
        [{"id": "r-1", "started_at": "2026-10-01T10:00:00Z", "finished_at": "2026-10-01T10:07:30Z",
          "conclusion": "success", "workflow": "ci", "branch": "main"}],
        [{"id": "r-1", "started_at": datetime(2026, 10, 1, 10, tzinfo=UTC),
          "finished_at": datetime(2026, 10, 1, 10, 7, 30, tzinfo=UTC),
          "conclusion": "success", "workflow": "ci", "branch": "main"}],
    ),
    "iterations": (
        "iterations", "iterations",
        [{"team": "core", "start": "2026-09-01", "end": "2026-09-14", "capacity": 40,
          "committed": 30, "unplanned": 4.5}],
        [{"team": "core", "start": datetime(2026, 9, 1, tzinfo=UTC),
          "end": datetime(2026, 9, 14, tzinfo=UTC), "capacity": 40, "committed": 30,
          "unplanned": 4.5}],
    ),
    "survey_answers": (
        "surveys/westrum", "survey_answers",
        [{"team": "core", "date": "2026-10-05", "q1": 5, "q2": 7, "q3": 1, "q4": 4, "q5": 6,
          "q6": 2},
         {"team": "core", "date": "2026-10-06", "q1": 3}],
        [{"team": "core", "date": datetime(2026, 10, 5, tzinfo=UTC), "q1": 5, "q2": 7, "q3": 1,
          "q4": 4, "q5": 6, "q6": 2},
         {"team": "core", "date": datetime(2026, 10, 6, tzinfo=UTC), "q1": 3}],
    ),
}

DOCUMENTS: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "teams": (
        [{"id": "core", "name": "Core", "type": "platform", "github": "core-team",
          "members": [{"handle": "alice", "email": "alice@example.com"}, {"handle": "bob"}]}],
        [{"id": "core", "name": "Core", "type": "platform", "github": "core-team",
          "members": [{"handle": "alice", "email": "alice@example.com"}, {"handle": "bob"}]}],
    ),
    "services": (
        [{"id": "api", "owner": "core", "repos": ["acme/api"], "paths": ["services/api"],
          "tier": 1}],
        [{"id": "api", "owner": "core", "repos": ["acme/api"], "paths": ["services/api"],
          "tier": 1}],
    ),
    "goals": (
        [{"id": "OKR-7", "objective": "Ship faster", "team": "core",
          "key_results": [{"metric": "lead time", "baseline": "9d", "target": "5d",
                           "due": "2026-12-31"}]}],
        [{"id": "OKR-7", "objective": "Ship faster", "team": "core",
          "key_results": [{"metric": "lead time", "baseline": "9d", "target": "5d",
                           "due": datetime(2026, 12, 31, tzinfo=UTC)}]}],
    ),
}


def as_csv(records: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    lines = [",".join(columns)]
    for r in records:
        cells = [r.get(c, "") for c in columns]
        lines.append(",".join(" ".join(v) if isinstance(v, list) else str(v) for v in cells))
    return "\n".join(lines) + "\n"


def render(fmt: str, key: str, records: list[dict[str, Any]]) -> tuple[str, str]:
    """(suffix, text) of the records in one format."""
    if fmt == "csv":
        return ".csv", as_csv(records)
    if fmt == "jsonl":
        return ".jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n"
    if fmt == "json-list":
        return ".json", json.dumps(records, indent=2)
    if fmt == "json-mapping":
        return ".json", json.dumps({key: records}, indent=2)
    suffix = ".yml" if fmt == "yml" else ".yaml"
    return suffix, yaml.safe_dump({key: records}, sort_keys=False)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json-list", "json-mapping", "yaml", "yml"])
@pytest.mark.parametrize("kind", sorted(TABULAR))
def test_every_tabular_kind_in_every_format(tmp_path: Path, kind: str, fmt: str) -> None:
    stem, key, records, expected = TABULAR[kind]
    suffix, text = render(fmt, key, records)
    write(tmp_path, stem + suffix, text)
    src = source(tmp_path)
    assert src.provides() == {kind}
    src.validate()
    assert src.gather({kind}) == {kind: expected}


@pytest.mark.parametrize("fmt", ["json-list", "json-mapping", "yaml", "yml"])
@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_every_document_kind_in_every_format(tmp_path: Path, kind: str, fmt: str) -> None:
    records, expected = DOCUMENTS[kind]
    suffix, text = render(fmt, kind, records)
    write(tmp_path, kind + suffix, text)
    src = source(tmp_path)
    assert src.provides() == {kind}
    assert src.gather({kind}) == {kind: expected}


def test_pull_requests_yaml_may_use_the_changes_key(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.yaml", "changes:\n  - id: 7\n    author: alice\n")
    assert source(tmp_path).gather({"changes"}) == {"changes": [{"id": "7", "author": "alice"}]}


def test_nested_reviews_are_normalised(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.jsonl", json.dumps({
        "id": 5, "author": "alice",
        "reviews": [
            {"user": "bob", "state": "APPROVED", "submitted_at": "2026-10-01T12:00:00+02:00"},
            {"user": "carol", "state": "COMMENTED", "submitted_at": None},
        ],
    }) + "\n")
    facts = source(tmp_path).gather({"changes"})["changes"]
    assert facts == [{"id": "5", "author": "alice", "reviews": [
        {"user": "bob", "state": "APPROVED", "submitted_at": datetime(2026, 10, 1, 10, tzinfo=UTC)},
        {"user": "carol", "state": "COMMENTED"},
    ]}]


def test_null_means_absent_and_ids_become_strings(tmp_path: Path) -> None:
    write(tmp_path, "incidents.json", json.dumps([
        {"id": 17, "created_at": "2026-10-01T00:00:00Z", "resolved_at": None, "caused_by": 9,
         "extra": {"kept": True}},
    ]))
    assert source(tmp_path).gather({"incidents"}) == {"incidents": [
        {"id": "17", "created_at": datetime(2026, 10, 1, tzinfo=UTC), "caused_by": "9",
         "extra": {"kept": True}},
    ]}


def test_integral_float_ids_become_integer_text(tmp_path: Path) -> None:
    # JSON Schema's "integer" admits 3.0; a JSON export may write ids that way.
    write(tmp_path, "deployments.json", json.dumps([
        {"id": 3.0, "service": 12, "finished_at": "2026-10-01T10:00:00Z", "status": "success",
         "changes": [101, 102.0, "abc"]},
    ]))
    [dep] = source(tmp_path).gather({"deployments"})["deployments"]
    assert (dep["id"], dep["service"], dep["changes"]) == ("3", "12", ["101", "102", "abc"])


def test_integral_float_line_counts_become_integers(tmp_path: Path) -> None:
    # pandas writes an integer column with a gap as 700.0; the schema's "integer" admits
    # it, and small-batches took a float count for none (the change left out unseen).
    write(tmp_path, "pull_requests.json", json.dumps([
        {"id": "p1", "additions": 700.0, "deletions": 12.0},
        {"id": "p2", "additions": 5, "deletions": 1},
    ]))
    got = source(tmp_path).gather({"changes"})["changes"]
    assert [(c["additions"], c["deletions"]) for c in got] == [(700, 12), (5, 1)]
    assert all(type(c["additions"]) is int and type(c["deletions"]) is int for c in got)


def test_integral_float_line_counts_are_measured(tmp_path: Path) -> None:
    from helpers import make_project, run_cli

    merged = '"created_at": "2026-11-10T10:00:00Z", "merged_at": "2026-11-11T10:00:00Z"'
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: size
    check: metric
    metric: delivery.change_size_p90
    max: 400
"""}, org={"pull_requests.jsonl": "".join(
        f'{{"id": "p{i}", "author": "ann", {merged}, "additions": {a}, "deletions": {d}}}\n'
        for i, (a, d) in enumerate([(700.0, 12.0), (5, 1), (3, 0)]))})
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20", "-v"])
    assert "p::size FAILED" in result.output, result.output
    assert "change/p0  712 lines (+700 -12)" in result.output


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def test_csv_cells_lists_integers_and_unknown_columns(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.csv",
          "id, author ,additions,deletions,labels\n"
          '1, alice ,  12 ,,"bug, urgent"\n'
          ",,,,\n"
          '2,bob,3,4,"two\nlines"\n')
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status,changes\n"
          "d-1,api,2026-10-01T10:00:00Z,success,  1  2\t3 \n"
          "d-2,api,2026-10-01T11:00:00Z,success,\n")
    facts = source(tmp_path).gather({"changes", "deployments"})
    assert facts["changes"] == [
        {"id": "1", "author": "alice", "additions": 12, "labels": "bug, urgent"},
        {"id": "2", "author": "bob", "additions": 3, "deletions": 4, "labels": "two\nlines"},
    ]
    assert [d.get("changes") for d in facts["deployments"]] == [["1", "2", "3"], None]


def test_csv_unnamed_columns_and_blank_cells_are_dropped(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv",
          "id,,started_at, ,finished_at,workflow\n"
          "r-1,junk,2026-10-01T00:00:00Z,more junk,2026-10-01T00:01:00Z,   \n"
          "r-2,,2026-10-02T00:00:00Z,,2026-10-02T00:01:00Z,ci\n")
    assert source(tmp_path).gather({"ci_runs"})["ci_runs"] == [
        {"id": "r-1", "started_at": datetime(2026, 10, 1, tzinfo=UTC),
         "finished_at": datetime(2026, 10, 1, 0, 1, tzinfo=UTC)},
        {"id": "r-2", "started_at": datetime(2026, 10, 2, tzinfo=UTC),
         "finished_at": datetime(2026, 10, 2, 0, 1, tzinfo=UTC), "workflow": "ci"},
    ]


def test_csv_with_only_a_header_has_no_records(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv", "id,started_at,finished_at\n")
    src = source(tmp_path)
    assert src.provides() == {"ci_runs"}
    assert src.gather({"ci_runs"}) == {"ci_runs": []}


def test_csv_not_an_integer_names_line_and_column(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.csv", 'id,title,additions\n1,x,5\n2,"a\nb",3\n3,y,many\n')
    err = failure(tmp_path)
    assert isinstance(err, DataFileError)
    assert (err.file, err.line) == ("org/pull_requests.csv", 5)
    assert "column 'additions'" in err.message and "'many'" in err.message


def test_csv_number_rejects_infinity(tmp_path: Path) -> None:
    write(tmp_path, "iterations.csv",
          "team,start,end,capacity,committed\ncore,2026-09-01,2026-09-14,inf,3\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/iterations.csv", 2)
    assert "column 'capacity'" in err.message


def test_csv_row_with_too_many_cells(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          "id,created_at\nINC-1,2026-10-01T00:00:00Z\nINC-2,2026-10-02T00:00:00Z,extra\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.csv", 3)
    assert "3 cells" in err.message and "2 columns" in err.message


def test_csv_trailing_commas_and_lines_of_spaces_are_nothing_a_short_row_an_error(
        tmp_path: Path) -> None:
    """Empty cells past the header (trailing commas) and a line of spaces hold nothing;
    a short row is an error naming its line, since a lost comma cannot be told from
    trailing cells left off."""
    write(tmp_path, "ci_runs.csv",
          "id,started_at,finished_at,workflow,status\n"
          "r-2,2026-10-02T00:00:00Z,2026-10-02T00:01:00Z,ci,success,,\n"
          "   \n")
    assert source(tmp_path).gather({"ci_runs"})["ci_runs"] == [
        {"id": "r-2", "started_at": datetime(2026, 10, 2, tzinfo=UTC),
         "finished_at": datetime(2026, 10, 2, 0, 1, tzinfo=UTC), "workflow": "ci",
         "status": "success"},
    ]
    write(tmp_path, "ci_runs.csv",
          "id,started_at,finished_at,workflow,status\n"
          "r-1,2026-10-01T00:00:00Z,2026-10-01T00:01:00Z\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.csv", 2)
    assert "3 cells" in err.message and "add the commas" in (err.fix or "")


def test_csv_unterminated_quote_points_at_its_opening(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          "id,created_at,title\n"
          "INC-1,2026-10-01T00:00:00Z,ok\n"
          'INC-2,2026-10-02T00:00:00Z,"still\nopen\n'
          "INC-3,2026-10-03T00:00:00Z,x\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.csv", 3)
    assert "never closed" in err.message


def test_csv_unterminated_quote_after_a_multiline_cell(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          "id,title,created_at\n"
          'INC-1,"two\nlines",2026-10-01T00:00:00Z\n'
          'INC-2,fine,"2026-10-02\n')
    err = failure(tmp_path)
    assert err.line == 4


def test_csv_stray_quote_is_an_error_at_the_record_start(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          'id,created_at\nINC-1,2026-10-01T00:00:00Z\n"INC"-2,2026-10-02T00:00:00Z\n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.csv", 3)
    assert "invalid CSV" in err.message


def test_csv_header_lacking_a_required_column(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv", "id,service,status\nd-1,api,success\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.csv", 1)
    assert "'finished_at'" in err.message


def test_csv_header_naming_a_column_twice(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv", "id,started_at,finished_at,id\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.csv", 1)
    assert "'id' twice" in err.message


def test_csv_empty_required_cell_is_a_schema_error_on_its_row(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status\n"
          "d-1,api,2026-10-01T10:00:00Z,success\n"
          "d-2,api,,success\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.csv", 3)
    assert "'finished_at' is a required property" in err.message
    assert "schema path: required" in err.message


def test_survey_score_out_of_range(tmp_path: Path) -> None:
    write(tmp_path, "surveys/westrum.csv",
          "team,date,q1,q2,q3,q4,q5,q6\ncore,2026-10-01,1,2,3,4,5,6\ncore,2026-10-02,,8,,,,\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/surveys/westrum.csv", 3)
    assert "8 is greater than the maximum of 7" in err.message
    assert "schema path: properties/q2/maximum" in err.message


# ---------------------------------------------------------------------------
# reviews.csv
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["pull_request", "change"])
def test_reviews_csv_attaches_to_changes(tmp_path: Path, link: str) -> None:
    write(tmp_path, "pull_requests.yaml",
          "pull_requests:\n"
          "  - id: 1\n    author: alice\n"
          "    reviews:\n      - {user: carol, state: COMMENTED}\n"
          "  - id: 2\n    author: bob\n")
    write(tmp_path, "reviews.csv",
          f"{link},user,state,submitted_at\n"
          "1,bob,APPROVED,2026-10-01T09:00:00Z\n"
          "2,alice,CHANGES_REQUESTED,\n"
          "99,dave,APPROVED,\n")
    src = source(tmp_path)
    src.validate()
    assert src.gather({"changes"})["changes"] == [
        {"id": "1", "author": "alice", "reviews": [
            {"user": "carol", "state": "COMMENTED"},
            {"user": "bob", "state": "APPROVED",
             "submitted_at": datetime(2026, 10, 1, 9, tzinfo=UTC)},
        ]},
        {"id": "2", "author": "bob", "reviews": [{"user": "alice", "state": "CHANGES_REQUESTED"}]},
    ]
    assert src.warnings == ["org/reviews.csv:4: review of change 99, which is not in the data"]


def test_reviews_csv_bad_state_names_its_line(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.csv", "id\n1\n")
    write(tmp_path, "reviews.csv", "pull_request,user,state\n1,bob,APPROVED\n1,eve,LGTM\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/reviews.csv", 3)
    assert "'LGTM' is not one of" in err.message
    assert "schema path: $defs/review/properties/state/enum" in err.message


def test_reviews_csv_needs_a_link_column(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.csv", "id\n1\n")
    write(tmp_path, "reviews.csv", "pr,user,state\n1,bob,APPROVED\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/reviews.csv", 1)
    assert "pull_request" in err.message


def test_reviews_csv_is_checked_without_pull_requests(tmp_path: Path) -> None:
    write(tmp_path, "reviews.csv", "pull_request,user,state\n1,bob,APPROVED\n,eve,APPROVED\n")
    src = source(tmp_path)
    assert src.provides() == set()
    with pytest.raises(DataFileError) as info:
        src.validate()
    assert (info.value.file, info.value.line) == ("org/reviews.csv", 3)


# ---------------------------------------------------------------------------
# timestamps
# ---------------------------------------------------------------------------


def test_naive_timestamp_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "incidents.yaml",
          "incidents:\n"
          "  - id: INC-1\n    created_at: 2026-10-01T10:00:00Z\n"
          "  - id: INC-2\n    severity: SEV1\n    created_at: 2026-10-02T10:00:00\n")
    err = failure(tmp_path)
    assert isinstance(err, DataFileError)
    assert (err.file, err.line) == ("org/incidents.yaml", 6)
    assert "no UTC offset" in err.message and "timezone:" in str(err)


def test_naive_timestamp_is_accepted_with_a_timezone(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.jsonl",
          '{"id": 1, "started_at": "2026-10-01 10:00:00", "finished_at": "2026-10-01T10:05:00Z"}\n')
    tz = timezone(timedelta(hours=2))
    facts = source(tmp_path, timezone=tz).gather({"ci_runs"})["ci_runs"]
    assert facts == [{"id": "1", "started_at": datetime(2026, 10, 1, 8, tzinfo=UTC),
                      "finished_at": datetime(2026, 10, 1, 10, 5, tzinfo=UTC)}]


def test_not_a_timestamp_names_the_jsonl_line(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.jsonl",
          '{"id": 1, "started_at": "2026-10-01T10:00:00Z", "finished_at": "2026-10-01T10:05:00Z"}\n'
          "\n"
          '{"id": 2, "started_at": "yesterday", "finished_at": "2026-10-01T10:05:00Z"}\n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.jsonl", 3)
    assert err.message.startswith("started_at:")


def test_bad_nested_date_names_its_yaml_line(tmp_path: Path) -> None:
    write(tmp_path, "goals.yaml",
          "goals:\n"
          "  - id: G-1\n    objective: x\n    key_results:\n"
          "      - metric: m\n"
          "        due: 2026-13-01\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/goals.yaml", 6)


_digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
_offsets = st.sampled_from(["Z", "z", "+00:00", "-00:00", "+02:00", "-05:30", "+0100", "+14:00",
                            "", " Z", "Z ", "+2", "+02:00:30", "+02:75", "+0275", "+02:00:75",
                            "-00:60", "+24:00"])
_stamps = st.one_of(
    st.builds(
        lambda day, sep, hh, mm, ss, frac, off, pad:
            f"{pad}{day}{sep}{hh}:{mm}{ss}{frac}{off}{pad}",
        st.sampled_from(["2026-10-01", "2024-02-29", "2026-02-30", "20261001", "2026-W40-1"]),
        st.sampled_from(["T", " ", "t", "_"]), _digits, _digits,
        st.sampled_from(["", ":00", ":59", ":60"]), st.sampled_from(["", ".5", ".123456789"]),
        _offsets, st.sampled_from(["", "", " "]),
    ),
    st.sampled_from(["2026-10-01", "2026-10-01T10Z", "yesterday", "", "T", "2026-10-01TZ"]),
    st.text(alphabet="0123456789-:TZz+ .", max_size=25),
)


@settings(max_examples=300, deadline=None)
@given(stamp=_stamps, with_tz=st.booleans())
def test_timestamps_read_as_timeutil_reads_them(stamp: str, with_tz: bool) -> None:
    # The fast path (fromisoformat in one call) must agree with
    # timeutil.parse_timestamp, the reference, on every string: same instant,
    # or the same error.
    tz = timezone(timedelta(hours=3)) if with_tz else None
    try:
        expected: Any = parse_timestamp(stamp, tz)
    except NaiveTimestamp:
        expected = f"created_at: the timestamp {quoted(stamp, 60)} has no UTC offset"
    except ValueError as exc:
        expected = f"created_at: {exc}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # An incident: one timestamp, so no order between two can interfere.
        write(root, "incidents.jsonl", json.dumps({"id": 1, "created_at": stamp}) + "\n")
        try:
            [run] = source(root, timezone=tz).gather({"incidents"})["incidents"]
        except DataFileError as err:
            assert (err.message, err.line) == (expected, 1)
        else:
            assert run["created_at"] == expected
            assert run["created_at"].tzinfo is UTC


def test_offsets_become_utc(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv",
          "id,started_at,finished_at\n"
          "1,2026-10-01T10:00:00+02:00,2026-10-01 10:00:00.5-05:30\n")
    [run] = source(tmp_path).gather({"ci_runs"})["ci_runs"]
    assert run["started_at"] == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert run["finished_at"] == datetime(2026, 10, 1, 15, 30, 0, 500000, tzinfo=UTC)
    assert run["started_at"].tzinfo is UTC and run["finished_at"].tzinfo is UTC


# ---------------------------------------------------------------------------
# YAML and JSON problems
# ---------------------------------------------------------------------------


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    write(tmp_path, "services.yaml",
          "services:\n  - id: api\n    owner: core\n    owner: platform\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/services.yaml", 4)
    assert "duplicate key 'owner'" in err.message


def test_duplicate_json_key(tmp_path: Path) -> None:
    write(tmp_path, "services.json",
          '[\n  {"id": "api", "owner": "core"},\n  {"id": "web", "owner": "a", "owner": "b"}\n]\n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/services.json", 3)
    assert "duplicate key 'owner'" in err.message


def test_schema_violation_in_yaml_points_at_the_field(tmp_path: Path) -> None:
    write(tmp_path, "deployments.yaml",
          "deployments:\n"
          "  - id: d-1\n    service: api\n    finished_at: 2026-10-01T10:00:00Z\n"
          "    status: success\n"
          "  - id: d-2\n    service: api\n    finished_at: 2026-10-01T11:00:00Z\n"
          "    status: done\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.yaml", 9)
    assert "'done' is not one of" in err.message
    assert "schema path: properties/status/enum" in err.message


def test_missing_required_field_points_at_the_item(tmp_path: Path) -> None:
    write(tmp_path, "teams.yaml",
          "teams:\n"
          "  - id: core\n    members: []\n"
          "  - id: web\n    name: Web\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/teams.yaml", 4)
    assert "'members' is a required property" in err.message


def test_nested_schema_violation_in_json(tmp_path: Path) -> None:
    write(tmp_path, "teams.json", json.dumps(
        {"teams": [{"id": "core", "members": [{"handle": "a"}, {"name": "no handle"}]}]},
        indent=2))
    err = failure(tmp_path)
    # line 1 {, 2 "teams": [, 3 {, 4 "id", 5 "members": [, 6 {, 7 "handle", 8 }, 9 {
    assert (err.file, err.line) == ("org/teams.json", 9)
    assert "schema path: properties/members/items/required" in err.message


@pytest.mark.parametrize("wrap", [False, True])
def test_json_that_is_not_yaml_still_names_the_record_line(tmp_path: Path, wrap: bool) -> None:
    # A DEL character is fine in a JSON string but YAML refuses it, so the
    # lines come from scanning the JSON itself.
    records = (
        '[\n  {"id": 1, "workflow": "a\x7fb", "started_at": "2026-10-01T10:00:00Z",\n'
        '   "finished_at": "2026-10-01T10:01:00Z"},\n'
        '  {"id": 2, "started_at": 5, "finished_at": "x"}\n]'
    )
    text = '{"ci_runs":\n' + records + "}\n" if wrap else records + "\n"
    write(tmp_path, "ci_runs.json", text)
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.json", 5 if wrap else 4)
    assert "5 is not of type 'string'" in err.message


def test_json_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "incidents.json", '[\n  {"id": "INC-1",\n   "created_at": }\n]\n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.json", 3)
    assert "invalid JSON" in err.message


def test_json_mapping_with_another_key(tmp_path: Path) -> None:
    write(tmp_path, "incidents.json", '{"incident": []}')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.json", 1)
    assert "'incidents'" in err.message


def test_yaml_must_use_the_mapping_form(tmp_path: Path) -> None:
    write(tmp_path, "deployments.yaml", "# exported\n- id: d-1\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.yaml", 2)
    assert "deployments: [...]" in str(err)


def test_yaml_key_must_hold_a_list(tmp_path: Path) -> None:
    write(tmp_path, "goals.yaml", "\ngoals:\n  id: G-1\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/goals.yaml", 2)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "teams.yaml", "\n  \n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/teams.yaml", 1)
    assert "empty" in err.message


@pytest.mark.parametrize(("text", "shape"), [
    ("# exported later\n", "found nothing (only comments or blank lines)"),
    ("just text\n", "found a text"),
    ("- {id: a}\n", "found a list"),
])
def test_wrong_document_is_named_in_the_authors_words(tmp_path: Path, text: str,
                                                      shape: str) -> None:
    """Not Python's type names ('found a NoneType')."""
    write(tmp_path, "teams.yaml", text)
    err = failure(tmp_path)
    assert shape in err.message, err.message
    assert "Type" not in err.message and err.fix


def test_bad_jsonl_line(tmp_path: Path) -> None:
    write(tmp_path, "deployments.jsonl",
          '{"id": "d-1", "service": "a", "finished_at": "2026-10-01T10:00:00Z", '
          '"status": "success"}\n\n{"id": "d-2", "service": \n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.jsonl", 3)
    assert "invalid JSON" in err.message


@pytest.mark.parametrize(("name", "text", "where", "fix"), [
    # a raw BEL inside a string: Python's message ended "Invalid control character at"
    ("deployments.jsonl", '\n{"id": "d-\x07"}\n', (2, 11), "as an escape"),
    ("deployments.json", '[\n {"id": "d-1",}\n]\n', (2, 15), "no trailing comma"),
])
def test_invalid_json_names_line_column_and_fix(tmp_path: Path, name: str, text: str,
                                                where: tuple[int, int], fix: str) -> None:
    write(tmp_path, name, text)
    err = failure(tmp_path)
    line, column = where
    if "trailing comma" in str(err) and sys.version_info >= (3, 13):
        column -= 1  # 3.13's json points at the comma, not the brace after it
    assert (err.line, err.column) == (line, column), str(err)
    assert err.fix and fix in err.fix
    assert not err.message.endswith(" at")


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.jsonl", "\n\n[1, 2]\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.jsonl", 3)
    assert "is not of type 'object'" in err.message


def test_jsonl_spacing_crlf_and_duplicate_keys(tmp_path: Path) -> None:
    write(tmp_path, "incidents.jsonl",
          '  {"id": "INC-1", "created_at": "2026-10-01T00:00:00Z"}  \r\n'
          '{"id": "INC-2", "created_at": "2026-10-02T00:00:00Z"}\r\n')
    assert [i["id"] for i in source(tmp_path).gather({"incidents"})["incidents"]] == [
        "INC-1", "INC-2"]
    write(tmp_path, "incidents.jsonl",
          '{"id": "INC-1", "created_at": "2026-10-01T00:00:00Z"}\n\n'
          '{"id": "INC-2", "created_at": "2026-10-02T00:00:00Z", "id": "INC-3"}\n')
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.jsonl", 3)
    assert "duplicate key 'id'" in err.message


@pytest.mark.parametrize("line", [
    '{"id": 1, "started_at": "x", "finished_at": NaN}',
    '{"id": 1} {"id": 2}',
    '{"id": 1}\f',
])
def test_jsonl_line_that_is_not_one_json_value(tmp_path: Path, line: str) -> None:
    write(tmp_path, "ci_runs.jsonl",
          '{"id": 0, "started_at": "2026-10-01T00:00:00Z", "finished_at": "2026-10-01T00:01:00Z"}'
          f"\n{line}\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/ci_runs.jsonl", 2)
    assert "invalid JSON" in err.message


def test_non_utf8_file(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          b"id,created_at,title\nINC-1,2026-10-01T00:00:00Z,ok\nINC-2,2026-10-02T00:00:00Z,caf\xe9\n")
    err = failure(tmp_path)
    assert isinstance(err, DataFileError)
    assert (err.file, err.line) == ("org/incidents.csv", 3)
    assert "UTF-8" in str(err)


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv",
          "\ufeffid,started_at,finished_at\nr,2026-10-01T00:00:00Z,2026-10-01T00:01:00Z\n")
    assert source(tmp_path).gather({"ci_runs"})["ci_runs"][0]["id"] == "r"


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status\n"
          "d-1,api,2026-10-01T10:00:00Z,success\n"
          "d-2,api,2026-10-01T11:00:00Z,success\n"
          "d-1,web,2026-10-01T12:00:00Z,success\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.csv", 4)
    assert "'d-1'" in err.message and "line 2" in err.message


def test_duplicate_ids_across_types_in_yaml(tmp_path: Path) -> None:
    write(tmp_path, "goals.yaml",
          "goals:\n  - id: 7\n    objective: a\n  - id: '7'\n    objective: b\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/goals.yaml", 4)
    assert "line 2" in err.message


def test_a_duplicate_before_a_bad_record_is_reported_first(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status\n"
          "d-1,api,2026-10-01T10:00:00Z,success\n"
          "d-1,api,2026-10-01T11:00:00Z,success\n"
          "d-3,api,2026-10-01T12:00:00Z,done\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.csv", 3)
    assert "duplicate deployment id 'd-1'" in err.message


def test_a_bad_record_before_a_duplicate_is_reported_first(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status\n"
          "d-1,api,2026-10-01T10:00:00Z,success\n"
          "d-2,api,2026-10-01T11:00:00,success\n"
          "d-1,api,2026-10-01T12:00:00Z,success\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/deployments.csv", 3)
    assert "no UTC offset" in err.message


@pytest.mark.parametrize("bad_at", [None, 1_100, 1_400])
def test_ids_of_a_big_file_are_compared_as_in_a_small_one(tmp_path: Path,
                                                           bad_at: int | None) -> None:
    """A file of at least BATCH_AT records is checked in one engine call and its ids
    taken as each record is normalised: a duplicate (rows 1,000 and 1,300) is named
    with both lines, and against a bad record the first in the file is reported."""
    rows = [f"d-{n},api,2026-10-01T10:00:00Z,success" for n in range(1_500)]
    rows[1_300] = "d-1000,api,2026-10-01T10:00:00Z,success"
    if bad_at is not None:
        rows[bad_at] = f"d-{bad_at},api,2026-10-01T10:00:00,success"  # no UTC offset
    assert len(rows) >= files_tables.BATCH_AT
    write(tmp_path, "deployments.csv", "id,service,finished_at,status\n" + "\n".join(rows) + "\n")
    err = failure(tmp_path)
    if bad_at == 1_100:
        assert (err.file, err.line) == ("org/deployments.csv", 1_102)
        assert "no UTC offset" in err.message
    else:  # the duplicate comes first
        assert (err.file, err.line) == ("org/deployments.csv", 1_302)
        assert "duplicate deployment id 'd-1000' (first on line 1002)" in err.message
    rows[1_300] = "d-1300,api,2026-10-01T10:00:00Z,success"
    if bad_at is None:
        write(tmp_path, "deployments.csv",
              "id,service,finished_at,status\n" + "\n".join(rows) + "\n")
        got = source(tmp_path).gather({"deployments"})["deployments"]
        assert [d["id"] for d in got] == [f"d-{n}" for n in range(1_500)]


# ---------------------------------------------------------------------------
# the folder
# ---------------------------------------------------------------------------


def test_two_files_of_one_kind(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv", "id,service,finished_at,status\n")
    write(tmp_path, "deployments.yaml", "deployments: []\n")
    with pytest.raises(UsageError) as info:
        source(tmp_path).provides()
    assert "org/deployments.csv" in str(info.value)
    assert "org/deployments.yaml" in str(info.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        source(tmp_path, path="data/org").provides()
    text = str(info.value)
    assert "'data/org'" in text and "does not exist" in text and "guardrails init" in text


def test_folder_outside_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "shared-org").mkdir()
    (tmp_path / "shared-org" / "ci_runs.csv").write_text("id,started_at,finished_at\n")
    with pytest.raises(UsageError) as info:
        source(root, path="../shared-org").provides()
    assert "outside" in str(info.value) and "allow_outside_root" in str(info.value)
    allowed = source(root, path="../shared-org", allow_outside_root=True)
    assert allowed.provides() == {"ci_runs"}


def test_provides_validate_gather(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv",
          "id,started_at,finished_at\nr,2026-10-01T00:00:00Z,2026-10-01T00:01:00Z\n")
    write(tmp_path, "incidents.yaml", "incidents:\n  - id: INC-1\n")  # lacks created_at
    write(tmp_path, "postmortems/README.md", "how to write one\n")
    write(tmp_path, "postmortems/_template.md", "---\n---\n")
    write(tmp_path, "notes.txt", "not data\n")
    src = source(tmp_path)
    assert src.provides() == {"ci_runs", "incidents"}
    assert src.describe() == "files org/"
    # gather reads only what is asked; validate reads everything.
    assert src.gather({"ci_runs", "teams"})["ci_runs"][0]["id"] == "r"
    assert set(src.gather({"ci_runs", "teams"})) == {"ci_runs"}
    with pytest.raises(DataFileError) as info:
        src.validate()
    assert (info.value.file, info.value.line) == ("org/incidents.yaml", 2)


def test_validate_keeps_parsed_facts(tmp_path: Path) -> None:
    path = write(tmp_path, "ci_runs.csv",
                 "id,started_at,finished_at\nr,2026-10-01T00:00:00Z,2026-10-01T00:01:00Z\n")
    src = source(tmp_path)
    src.validate()
    path.write_text("broken,\"\n")  # not read again
    first = src.gather({"ci_runs"})["ci_runs"]
    assert first[0]["id"] == "r"
    assert src.gather({"ci_runs"})["ci_runs"][0] is first[0]


def test_plugin_hook_and_config_schema() -> None:
    assert files_module.guardrails_gather_sources() == [FilesSource]
    assert FilesSource.name == "files"
    validation.validate({"path": "data"}, FilesSource.schema, file="guardrails.yaml")
    with pytest.raises(UsageError):
        validation.validate({"pth": "data"}, FilesSource.schema, file="guardrails.yaml")


def test_default_path_is_org(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv", "id,started_at,finished_at\n")
    assert FilesSource({}, make_env(tmp_path)).provides() == {"ci_runs"}


# ---------------------------------------------------------------------------
# schemas and the fast check (jsonschema-rs)
# ---------------------------------------------------------------------------

DATA_SCHEMAS = ["teams", "services", "deployments", "incidents", "changes", "ci_runs",
                "iterations", "goals", "postmortems", "survey_answers"]

REQUIRED = {
    "teams": ["id", "members"], "services": ["id", "owner"],
    "deployments": ["id", "service", "finished_at", "status"], "incidents": ["id", "created_at"],
    "changes": ["id"], "ci_runs": ["id", "started_at", "finished_at"],
    "iterations": ["team", "start", "end", "capacity", "committed"],
    "goals": ["id", "objective"], "postmortems": ["incident"], "survey_answers": ["team", "date"],
}


@pytest.mark.parametrize("name", DATA_SCHEMAS)
def test_data_schemas_are_well_formed(name: str) -> None:
    schema = validation.load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert schema["required"] == REQUIRED[name]
    assert schema.get("additionalProperties", True) is True
    for sub in schema.get("$defs", {}).values():
        assert sub["title"] and sub["description"]
    assert predicate(schema) is not None  # every shipped schema takes the fast path
    assert record_check(name).compiled
    for definition in schema.get("$defs", {}):
        assert record_check(name, definition).compiled


def test_fast_path_declines_what_jsonschema_decides_differently() -> None:
    assert predicate({"type": "string", "pattern": "^a"}) is not None
    assert predicate({"properties": {"x": {"format": "date-time"}}}) is None
    assert predicate({"type": "string", "patternProperties": {"^a": {}}}) is None


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10), st.floats(-2, 9, allow_nan=False),
    st.sampled_from([0.0, 1.0, 7.0, 8.0, -1.0, 2.5]),
    st.sampled_from(["", "x", "success", "SEV1", "APPROVED", "open", "platform", "2026-10-01"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["user", "state", "handle", "title", "due", "status", "x"]), inner,
        max_size=3),
    max_leaves=6,
)


# A valid record of each schema; the property test below varies it.
VALID = {
    "teams": {"id": "core", "members": [{"handle": "a"}]},
    "services": {"id": "api", "owner": "core"},
    "deployments": {"id": "d", "service": "s", "finished_at": "x", "status": "success"},
    "incidents": {"id": 1, "created_at": "x", "severity": "SEV1"},
    "changes": {"id": 1, "additions": 3, "reviews": [{"user": "u", "state": "APPROVED"}]},
    "ci_runs": {"id": 1, "started_at": "x", "finished_at": "y"},
    "iterations": {"team": "t", "start": "s", "end": "e", "capacity": 3, "committed": 2.5},
    "goals": {"id": "g", "objective": "o", "key_results": [{"metric": "m", "target": 1}]},
    "postmortems": {"incident": "i", "action_items": [{"title": "t", "status": "open"}]},
    "survey_answers": {"team": "t", "date": "d", "q1": 7, "q2": 1},
}


@pytest.mark.parametrize("name", DATA_SCHEMAS)
def test_valid_examples_pass_both_checks(name: str) -> None:
    schema = validation.load_schema(name)
    assert jsonschema.Draft202012Validator(schema).is_valid(VALID[name])
    fast = predicate(schema)
    assert fast is not None and fast(VALID[name]) is True


# ---------------------------------------------------------------------------
# records that contradict themselves, numbers and years out of range
# ---------------------------------------------------------------------------

_CONTRADICTIONS = [
    ("incidents.csv", "id,created_at,resolved_at\nI1,2026-10-02T10:00:00Z,2026-10-02T09:00:00Z\n",
     2, "incident 'I1' resolved before it was created"),
    ("deployments.yaml", "deployments:\n  - id: d1\n    service: api\n    status: success\n"
     "    started_at: 2026-10-02T10:00:00Z\n    finished_at: 2026-10-02T09:00:00Z\n",
     6, "deployment 'd1' finished before it started"),
    ("ci_runs.jsonl", '{"id": 7, "started_at": "2026-10-02T10:00:00+00:00", '
     '"finished_at": "2026-10-02T11:00:00+02:00"}\n', 1, "ci_run '7' finished before it started"),
    ("iterations.json", '[{"team": "a", "start": "2026-10-14", "end": "2026-10-01",\n'
     '  "capacity": 1, "committed": 1}]\n', 1, "the iteration ends before it starts"),
]


@pytest.mark.parametrize(("name", "text", "line", "message"), _CONTRADICTIONS)
def test_contradictory_records_are_refused(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    write(tmp_path, name, text)
    err = failure(tmp_path)
    assert err.file == f"org/{name}" and err.line == line
    assert err.message.startswith(message)


def test_equal_times_are_not_a_contradiction(tmp_path: Path) -> None:
    # An incident resolved the moment it opened is a 0 s sample (METRICS.md).
    write(tmp_path, "incidents.csv",
          "id,created_at,resolved_at\nI1,2026-10-02T10:00:00Z,2026-10-02T12:00:00+02:00\n")
    [inc] = source(tmp_path).gather({"incidents"})["incidents"]
    assert inc["created_at"] == inc["resolved_at"]


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
                                   "9999-12-31T23:59:59.999999-00:01"])
def test_years_outside_1_to_9999_after_the_offset_are_refused(tmp_path: Path, stamp: str) -> None:
    write(tmp_path, "incidents.csv", f"id,created_at\nI1,2026-10-01T00:00:00Z\nI2,{stamp}\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/incidents.csv", 3)
    assert "outside the years 1..9999" in err.message


def test_extreme_years_in_utc_are_accepted(tmp_path: Path) -> None:
    write(tmp_path, "incidents.csv",
          "id,created_at\nI1,0001-01-01T00:00:00Z\nI2,9999-12-31T23:59:59+00:00\n")
    got = source(tmp_path).gather({"incidents"})["incidents"]
    assert [i["created_at"].year for i in got] == [1, 9999]


@pytest.mark.parametrize(("name", "text", "line", "word"), [
    ("iterations.json", '[\n{"team": "a", "start": "2026-10-01", "end": "2026-10-14",\n'
     ' "capacity": 1e309, "committed": 1}]', 3, "infinite"),
    ("pull_requests.jsonl", '{"id": "p1"}\n{"id": "p2", "additions": ' + "7" * 5000 + "}\n",
     2, "4300 digits"),
    ("pull_requests.csv", "id,additions\np1," + "7" * 200 + "\n", 2, "at most 100 characters"),
    ("incidents.json", '[{"id": "I1", "created_at": "2026-10-01T00:00:00Z",\n'
     ' "title": "\\udfff"}]', 2, "lone surrogate"),
    ("iterations.yaml", "iterations:\n  - team: a\n    start: 2026-10-01\n    end: 2026-10-14\n"
     "    capacity: .inf\n    committed: 1\n", 5, "infinite"),
])
def test_numbers_and_text_json_accepts_but_guardrails_refuses(
    tmp_path: Path, name: str, text: str, line: int, word: str
) -> None:
    write(tmp_path, name, text)
    err = failure(tmp_path)
    assert (err.file, err.line) == (f"org/{name}", line)
    assert word in err.message
    assert "7" * 100 not in str(err)


def test_surrogate_pairs_are_characters(tmp_path: Path) -> None:
    write(tmp_path, "incidents.jsonl",
          '{"id": "I1", "created_at": "2026-10-01T00:00:00Z", "title": "\\ud83d\\ude00"}\n')
    [inc] = source(tmp_path).gather({"incidents"})["incidents"]
    assert inc["title"] == "\U0001f600"


def test_deeply_nested_json_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "incidents.json", "[" * 100_000 + "]" * 100_000)
    err = failure(tmp_path)
    assert err.file == "org/incidents.json" and "levels deep" in err.message


def test_a_long_value_is_quoted_short(tmp_path: Path) -> None:
    write(tmp_path, "ci_runs.csv",
          "id,started_at,finished_at\n1," + "\x1b]0;x" + "z" * 5000 + ",2026-10-01T00:00:00Z\n")
    err = failure(tmp_path)
    assert err.line == 2 and "z" * 100 not in str(err) and "\x1b" not in str(err)


# ---------------------------------------------------------------------------
# files outside the root, special files
# ---------------------------------------------------------------------------


def test_a_data_file_linking_outside_the_root_is_refused(tmp_path: Path) -> None:
    import os

    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text("id,created_at\nSECRET,2026-10-01T00:00:00Z\n", encoding="utf-8")
    (tmp_path / "org").mkdir()
    os.symlink(outside, tmp_path / "org" / "incidents.csv")
    err = failure(tmp_path)
    assert err.file == "org/incidents.csv" and "resolves outside" in err.message
    assert "SECRET" not in str(err)
    got = source(tmp_path, allow_outside_root=True).gather({"incidents"})["incidents"]
    assert got[0]["id"] == "SECRET"


def test_a_fifo_data_file_is_refused(tmp_path: Path) -> None:
    import os

    (tmp_path / "org" / "postmortems").mkdir(parents=True)
    os.mkfifo(tmp_path / "org" / "postmortems" / "inc-1.md")
    err = failure(tmp_path)
    assert err.file == "org/postmortems/inc-1.md" and "FIFO" in err.message


# ---------------------------------------------------------------------------
# dangling references: warnings naming file and row
# ---------------------------------------------------------------------------


def _joined(root: Path) -> list[str]:
    from guardrails.facts import FactStore, join

    src = source(root)
    src.validate()
    store = FactStore()
    for kind, facts in src.gather(src.provides()).items():
        store.add(kind, facts, "files")
    store.locators = [src.locate]
    join(store)
    return store.warnings


def test_dangling_references_are_warnings_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "teams.yaml", "teams:\n  - id: alpha\n    members: [{handle: ann}]\n")
    write(tmp_path, "services.yaml", "services:\n  - {id: api, owner: alpha}\n"
          "  - {id: web, owner: nobody}\n")
    write(tmp_path, "incidents.csv", "id,created_at,service,caused_by\n"
          "I1,2026-10-01T00:00:00Z,api,d1\nI2,2026-10-01T00:00:00Z,pay,d9\n")
    write(tmp_path, "deployments.jsonl",
          '{"id": "d1", "service": "api", "finished_at": "2026-10-01T00:00:00Z", '
          '"status": "success", "changes": ["p1", "sha1", "p404"]}\n'
          '{"id": "d2", "service": "api", "finished_at": "2026-10-02T00:00:00Z", '
          '"status": "success", "kind": "rollback", "remediates": "zzz"}\n')
    write(tmp_path, "pull_requests.csv", "id,merge_sha\np1,\np2,sha1\n")
    write(tmp_path, "iterations.csv", "team,start,end,capacity,committed\n"
          "alpha,2026-10-01,2026-10-14,1,1\nbeta,2026-10-01,2026-10-14,1,1\n")
    write(tmp_path, "surveys/westrum.csv", "team,date,q1\nalpha,2026-10-01,5\nzeta,2026-10-01,5\n")
    write(tmp_path, "goals.yaml", "goals:\n  - id: g1\n    objective: x\n    team: omega\n")
    write(tmp_path, "postmortems/inc-9.md", "---\nstatus: draft\nincident: I9\n---\n# x\n")
    assert sorted(_joined(tmp_path)) == sorted([
        "org/services.yaml:3: service web names owner nobody, which is not a team in the data",
        "org/postmortems/inc-9.md:3: postmortem org/postmortems/inc-9.md names incident I9, "
        "which is not in the data",
        "org/incidents.csv:3: incident I2 names deployment d9, which is not in the data",
        "org/deployments.jsonl:2: deployment d2 remediates zzz, which is not in the data",
        "org/iterations.csv:3: iteration names team beta, which is not in the data",
        "org/surveys/westrum.csv:3: survey_answer names team zeta, which is not in the data",
        "org/goals.yaml:4: goal g1 names team omega, which is not in the data",
        "org/incidents.csv:3: incident I2 names service pay, which is not in the data",
        "org/deployments.jsonl:1: deployment d1 names change p404, which is not in the data",
    ])



def test_sha256_commits_are_commit_references(tmp_path: Path) -> None:
    # A SHA-256 repository's commits have 64 digits: a deployment naming one (whole
    # or abbreviated) names a commit it shipped, and an incident caused by an
    # abbreviation of one is joined to the deployment that shipped it.
    sha256 = "4f" * 32
    write(tmp_path, "deployments.jsonl",
          '{"id": "d1", "service": "api", "finished_at": "2026-10-01T00:00:00Z", '
          f'"status": "success", "sha": "{sha256}", '
          f'"changes": ["{sha256}", "{sha256[:12]}", "{"1" * 64}", "p404"]}}\n')
    write(tmp_path, "pull_requests.csv", "id,merge_sha\np1,\n")
    write(tmp_path, "incidents.csv", "id,created_at,service,caused_by_commit\n"
          f"I1,2026-10-02T00:00:00Z,api,{sha256[:10]}\n")
    assert _joined(tmp_path) == [
        "org/deployments.jsonl:1: deployment d1 names change p404, which is not in the data"]
    from guardrails.facts import FactStore, join

    src = source(tmp_path)
    src.validate()
    store = FactStore()
    for kind, facts in src.gather(src.provides()).items():
        store.add(kind, facts, "files")
    join(store)
    assert [i.get("caused_by") for i in store.get("incidents")] == ["d1"]


def test_references_to_kinds_without_data_are_not_dangling(tmp_path: Path) -> None:
    # No services.yaml, no pull requests, no teams: nothing to check against.
    write(tmp_path, "incidents.csv", "id,created_at,service\nI1,2026-10-01T00:00:00Z,pay\n")
    write(tmp_path, "deployments.csv", "id,service,finished_at,status,changes\n"
          "d1,api,2026-10-01T00:00:00Z,success,p1 p2\n")
    write(tmp_path, "iterations.csv", "team,start,end,capacity,committed\n"
          "beta,2026-10-01,2026-10-14,1,1\n")
    assert _joined(tmp_path) == []


def test_many_dangling_references_are_counted_not_listed(tmp_path: Path) -> None:
    from guardrails.facts import DANGLING_SHOWN

    write(tmp_path, "teams.yaml", "teams:\n  - id: alpha\n    members: [{handle: ann}]\n")
    rows = "".join(f"t{i},2026-10-01,5\n" for i in range(DANGLING_SHOWN + 5))
    write(tmp_path, "surveys/westrum.csv", "team,date,q1\n" + rows)
    warnings = _joined(tmp_path)
    assert len(warnings) == DANGLING_SHOWN + 1
    assert warnings[-1].startswith("... and 5 more survey_answer team reference(s)")


# --- which file feeds which kind (the commit hook's question) ---------------------


@pytest.mark.parametrize(("rel", "kinds"), [
    ("data/incidents.yaml", {"incidents"}),
    ("data/incidents.csv", {"incidents"}),
    ("data/pull_requests.jsonl", {"changes"}),
    ("data/reviews.csv", {"changes"}),
    ("data/surveys/westrum.csv", {"survey_answers"}),
    ("data/postmortems/2026-01-01-outage.md", {"postmortems"}),
    ("data/teams.json", {"teams"}),
    # what the source does not read feeds nothing
    ("data/postmortems/README.md", set()),
    ("data/postmortems/_template.md", set()),
    ("data/teams.csv", set()),          # teams are documents, not tables
    ("data/Incidents.yaml", set()),     # names are exact, as the source reads them
    ("data/incidents.yaml.bak", set()),
    ("data/notes/incidents.yaml", set()),
    ("incidents.yaml", set()),          # outside the folder
    ("other/data/incidents.yaml", set()),
])
def test_feeds_names_the_kind_a_file_holds(tmp_path: Path, rel: str, kinds: set[str]) -> None:
    env = SourceEnv(root=tmp_path, now=datetime(2026, 11, 20, tzinfo=UTC),
                    window=timedelta(days=90))
    source = FilesSource({"path": "data"}, env)
    assert source.feeds(tmp_path / rel) == kinds
    # the folder need not exist: feeds reads names, never the disk
    assert not (tmp_path / "data").exists()


def test_feeds_through_a_linked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "org").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    env = SourceEnv(root=link, now=datetime(2026, 11, 20, tzinfo=UTC),
                    window=timedelta(days=90))
    source = FilesSource({"path": "org"}, env)
    assert source.feeds(real / "org" / "goals.yaml") == {"goals"}
    assert source.feeds(link / "org" / "goals.yaml") == {"goals"}


# ---------------------------------------------------------------------------
# memory: shared values, compact line numbers (issue 15, target 3)
# ---------------------------------------------------------------------------


def test_csv_cells_that_repeat_are_one_object(tmp_path: Path) -> None:
    write(tmp_path, "deployments.csv",
          "id,service,finished_at,status\n"
          "d-1,api,2026-10-01T10:00:00Z,success\n"
          "\n"
          "d-2, api ,2026-10-02T10:00:00Z,success\n")
    src = source(tmp_path)
    first, second = src.gather({"deployments"})["deployments"]
    assert (first["service"], second["service"]) == ("api", "api")
    assert first["service"] is second["service"]
    assert first["status"] is second["status"]
    # The lines of records after a blank line are still right.
    assert src.locate("deployments", second, "status") == ("org/deployments.csv", 4)


def test_jsonl_repeated_values_are_one_object_and_lines_stay_right(tmp_path: Path) -> None:
    write(tmp_path, "incidents.jsonl",
          '{"id": "i-1", "created_at": "2026-10-01T10:00:00Z", "service": "api"}\n'
          '{"id": "i-2", "created_at": "2026-10-02T10:00:00Z", "service": "api"}\n'
          '{"id": "i-3", "created_at": "2026-10-03T10:00:00Z", "service": "api"}\n')
    src = source(tmp_path)
    facts = src.gather({"incidents"})["incidents"]
    assert facts[0]["service"] is facts[2]["service"]
    assert [src.locate("incidents", f) for f in facts] == [
        ("org/incidents.jsonl", n) for n in (1, 2, 3)]


def test_a_large_load_settles_its_facts_in_the_oldest_generation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded facts are moved out of the young generations once (see FilesSource.validate),
    by one full collection when the collector is on; when it is off (a session's gather),
    none: whoever turned it off moves them when turning it back on."""
    import gc

    write(tmp_path, "deployments.csv", "id,service,finished_at,status,changes\n"
          "d-1,api,2026-10-01T10:00:00Z,success,c-1 c-2\n")  # a list value: the dict stays tracked
    collections: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or real_collect(*a))

    def settled(threshold: int, *, collector_on: bool) -> tuple[int, bool]:
        monkeypatch.setattr(files_module, "_SETTLE_AT", threshold)
        collections.clear()
        was_on = gc.isenabled()
        (gc.enable if collector_on else gc.disable)()
        try:
            src = source(tmp_path)
            src.validate()
        finally:
            (gc.enable if was_on else gc.disable)()
        fact = src.gather({"deployments"})["deployments"][0]
        return len(collections), any(o is fact for o in gc.get_objects(generation=2))

    assert settled(1, collector_on=True) == (1, True)
    assert settled(10, collector_on=True)[0] == 0  # too few facts: left to the collector
    assert settled(1, collector_on=False) == (0, False)  # off: not walked here


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=["a", ",", '"', "\r", "\n", "\x0b", "\x0c", "\x1c", "\u2028", "\x85",
                         " ", "é"], max_size=40))
def test_csv_lines_split_as_stringio_does(text: str) -> None:
    """The CSV reader's line source splits as io.StringIO(newline="") does (line_num too)."""
    import io

    from guardrails.sources.files_csv import _csv_lines

    assert list(_csv_lines(text)) == list(io.StringIO(text, newline=""))


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=["a", ",", '"', "\n", "\x0b", "\x0c", "\x1c", "\u2028", "\x85",
                         " ", "é"], max_size=60), st.integers(min_value=1, max_value=9))
def test_csv_lines_in_blocks_split_as_stringio_does(text: str, block: int) -> None:
    """Split a block of lines at a time (splitlines in C), every block boundary and a
    block holding a line break csv does not know give the lines StringIO gives."""
    import io

    from guardrails.sources import files_csv

    was = files_csv._CSV_BLOCK
    files_csv._CSV_BLOCK = block
    try:
        assert list(files_csv._csv_lines(text)) == list(io.StringIO(text, newline=""))
    finally:
        files_csv._CSV_BLOCK = was


def test_a_kind_has_one_record_check_and_no_file_text_is_kept() -> None:
    # One RecordCheck a kind (5,000 postmortems must not build 5,000 schema
    # checks), and the known-valid test keeps no file's text alive: a cache
    # keyed by text held every data file for the run (~45 MiB at 100k facts).
    from guardrails.sources import files_formats

    assert files_formats.record_check("postmortems") is files_formats.record_check("postmortems")
    assert not hasattr(files_formats.file_known_valid, "cache_info")


@pytest.mark.parametrize("bad_line", [None, 2, 4, 5])
def test_one_call_for_a_whole_file_says_what_each_record_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_line: int | None) -> None:
    """A file checked in one engine call (FilesSource._checked, from _BATCH_AT records)
    gives the facts, or the first error with its line and words, of the loop over records."""
    lines = [json.dumps({"id": f"d-{n}", "service": "api", "status": "success",
                         "finished_at": "2026-10-01T10:00:00Z", "changes": None,
                         "environment": None if n % 2 else "production"})
             for n in range(1, 6)]
    if bad_line is not None:  # a wrong type; one more bad record after it
        lines[bad_line - 1] = lines[bad_line - 1].replace('"success"', "7")
        lines[-1] = lines[-1].replace('"api"', "[]")
    write(tmp_path, "deployments.jsonl", "\n".join(lines) + "\n")

    def outcome(batch_at: int) -> Any:
        monkeypatch.setattr(files_tables, "BATCH_AT", batch_at)
        try:
            return source(tmp_path).gather({"deployments"})["deployments"]
        except DataFileError as exc:
            return (exc.message, exc.file, exc.line, exc.fix)

    one_call, each = outcome(1), outcome(10**9)
    assert one_call == each
    if bad_line is None:
        assert [d["id"] for d in one_call] == ["d-1", "d-2", "d-3", "d-4", "d-5"]
        assert all(None not in d.values() for d in one_call)  # nulls dropped, as absent
    else:
        assert one_call[2] == bad_line


def test_facts_without_ids_are_named_and_located_one_by_one(tmp_path: Path) -> None:
    """An `each` rule over iterations (a kind without ids) named every offender
    `iteration/?` and located them all at the first iteration's line."""
    from guardrails.testing import GuardrailsTester

    project = GuardrailsTester(tmp_path)
    project.write_config("rules: [rules/]\nsources:\n  files: {path: org}\n")
    project.write_rules("pack: x\nrules:\n  - id: unplanned\n    check: each\n"
                        "    facts: iterations\n    expect: {required: [unplanned]}\n"
                        "  - id: answers\n    check: each\n    facts: survey_answers\n"
                        "    expect: {required: [q6]}\n")
    project.write("org/iterations.yaml",
                  "iterations:\n"
                  "  - {team: a, name: S1, start: 2026-11-01, end: 2026-11-14,"
                  " capacity: 10, committed: 5}\n"
                  "  - {team: a, name: S2, start: 2026-11-15, end: 2026-11-28,"
                  " capacity: 10, committed: 5}\n")
    project.write("org/surveys/westrum.csv",
                  "team,date,q1,q2,q3,q4,q5,q6\na,2026-11-02,5,5,5,5,5,\nb,2026-11-03,5,5,5,5,5,\n")
    result = project.run("check", "--now", "2026-11-20")
    got = [(e["subject"], e["line"]) for e in result.result("x::unplanned")["evidence"]]
    assert got == [("iteration/a:S1", 2), ("iteration/a:S2", 3)]
    got = [(e["subject"], e["line"]) for e in result.result("x::answers")["evidence"]]
    assert got == [("survey_answer/a:2026-11-02", 2), ("survey_answer/b:2026-11-03", 3)]
