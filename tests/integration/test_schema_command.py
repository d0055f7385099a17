"""guardrails schema: every schema prints as valid JSON Schema; --document wraps a kind."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from guardrails.cli import main
from guardrails.validation import SCHEMA_NAMES


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_valid(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", name]) == 0
    Draft202012Validator.check_schema(json.loads(capsys.readouterr().out))


def test_document_schema_validates_a_whole_teams_file(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    assert main(["schema", "teams", "--document"]) == 0
    schema = json.loads(capsys.readouterr().out)
    good = yaml.safe_load("teams:\n  - id: web\n    members: [{handle: ann}]\n")
    Draft202012Validator(schema).validate(good)
    Draft202012Validator(schema).validate(good["teams"])  # the JSON list form
    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate({"teams": [{"id": "web"}]})  # no members
    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate({"team": []})  # wrong key


def test_document_accepts_both_pull_request_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "changes", "--document"]) == 0
    v = Draft202012Validator(json.loads(capsys.readouterr().out))
    v.validate({"pull_requests": [{"id": "1"}]})
    v.validate({"changes": [{"id": "1"}]})


def test_document_refuses_non_data_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "config", "--document"]) == 4
    assert "--document applies to data kinds" in capsys.readouterr().err
