"""The reviews file goes the way of every data file: any tabular format, one file of it,
a misspelt name warned about, its field names looked at, errors at their line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrails import precommit
from guardrails.errors import DataFileError, UsageError
from guardrails.plugin import SourceEnv
from guardrails.sources.files import FilesSource

PULL_REQUESTS = "pull_requests:\n  - id: 1\n    author: alice\n  - id: 2\n    author: bob\n"
ROWS = [{"pull_request": 1, "user": "bob", "state": "APPROVED",
         "submitted_at": "2026-10-01T09:00:00Z"},
        {"change": "2", "user": "alice", "state": "CHANGES_REQUESTED", "submitted_at": None}]
FORMATS = {
    "reviews.jsonl": "\n".join(json.dumps(r) for r in ROWS) + "\n",
    "reviews.json": json.dumps({"reviews": ROWS}),
    "reviews.yaml": "reviews:\n" + "".join(f"  - {json.dumps(r)}\n" for r in ROWS),
    "reviews.yml": json.dumps({"reviews": ROWS}),
    "reviews.csv": "pull_request,user,state,submitted_at\n1,bob,APPROVED,2026-10-01T09:00:00Z\n"
                   "2,alice,CHANGES_REQUESTED,\n",
}


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "org" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def source(root: Path, **options: Any) -> FilesSource:
    env = SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC), window=timedelta(days=90))
    return FilesSource({"path": "org", **options}, env)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_reviews_in_every_tabular_format_attach_to_their_changes(
        tmp_path: Path, name: str) -> None:
    write(tmp_path, "pull_requests.yaml", PULL_REQUESTS)
    write(tmp_path, name, FORMATS[name])
    src = source(tmp_path)
    assert src.provides() == {"changes"}  # reviews are rows of changes, no kind
    assert src.feeds(tmp_path / "org" / name) == {"changes"}
    assert src.gather({"changes"})["changes"] == [
        {"id": "1", "author": "alice", "reviews": [
            {"user": "bob", "state": "APPROVED",
             "submitted_at": datetime(2026, 10, 1, 9, tzinfo=UTC)}]},
        {"id": "2", "author": "bob", "reviews": [
            {"user": "alice", "state": "CHANGES_REQUESTED"}]},
    ]
    assert src.warnings == []


def test_two_reviews_files_are_refused_as_two_files_of_any_kind(tmp_path: Path) -> None:
    write(tmp_path, "reviews.csv", FORMATS["reviews.csv"])
    write(tmp_path, "reviews.jsonl", FORMATS["reviews.jsonl"])
    with pytest.raises(UsageError, match="two files hold reviews: org/reviews.csv and "
                                         "org/reviews.jsonl") as info:
        source(tmp_path).validate()
    assert "keep one of them" in (info.value.fix or "")


def test_a_bad_review_in_a_document_names_its_line_and_field(tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.yaml", PULL_REQUESTS)
    write(tmp_path, "reviews.yaml", "reviews:\n  - pull_request: 1\n    user: bob\n"
                                    "    state: APPROVED\n  - pull_request: 2\n"
                                    "    user: eve\n    state: LGTM\n")
    with pytest.raises(DataFileError) as info:
        source(tmp_path).validate()
    assert (info.value.file, info.value.line) == ("org/reviews.yaml", 7)
    assert "invalid review: 'LGTM' is not one of" in info.value.message
    write(tmp_path, "reviews.yaml", "reviews:\n  - user: bob\n    state: APPROVED\n")
    with pytest.raises(DataFileError, match="the review names no change: it has no "
                                            "'pull_request'") as info:
        source(tmp_path).validate()
    assert (info.value.file, info.value.line) == ("org/reviews.yaml", 2)
    write(tmp_path, "reviews.yaml", "reviews:\n  - just text\n")
    with pytest.raises(DataFileError, match="invalid review") as info:
        source(tmp_path).validate()
    assert info.value.file == "org/reviews.yaml"


def test_a_misspelt_field_or_file_name_is_the_warning_every_data_file_gets(
        tmp_path: Path) -> None:
    write(tmp_path, "pull_requests.yaml", PULL_REQUESTS)
    write(tmp_path, "reviews.jsonl", json.dumps(
        {"pull_request": 1, "user": "bob", "state": "APPROVED", "submited_at": "x"}) + "\n")
    write(tmp_path, "reviwes.jsonl", "\n")
    src = source(tmp_path)
    src.validate()
    assert src.warnings == [
        "org/reviwes.jsonl is not a data file guardrails reads (did you mean "
        "reviews.jsonl?): none of its records are read",
        "org/reviews.jsonl:1: field 'submited_at' is not a review field: no builtin check "
        "reads it (it is kept for your own rules); did you mean 'submitted_at'?",
    ]


def test_guardrails_validate_checks_a_reviews_file_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "guardrails.yaml").write_text(
        "rules: []\nsources:\n  files: {path: org, skip: [changes]}\n", encoding="utf-8")
    write(tmp_path, "teams.yaml", "teams: [")  # another file's error is not this one's
    write(tmp_path, "reviews.jsonl", FORMATS["reviews.jsonl"]
          + json.dumps({"pull_request": 3, "user": "x", "state": "MEH"}) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    err = io.StringIO()
    assert precommit._validate_data_only(["org/reviews.jsonl"], None, err) == 4
    [line] = err.getvalue().splitlines()
    assert line.startswith("org/reviews.jsonl:3: invalid review: 'MEH' is not one of")
