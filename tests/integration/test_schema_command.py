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
    assert "--document applies to the files source's data kinds" in capsys.readouterr().err


PLUGIN = '''
from guardrails import Source, hookimpl
from guardrails.errors import DataFileError
from guardrails.kinds import FactKind

BEANS = FactKind(name="beans", singular="bean", schema={
    "type": "object", "required": ["id", "colour"],
    "properties": {"id": {"type": "string"}, "colour": {"enum": ["red", "green"]}}})


class BeanSource(Source):
    name = "beans"

    def provides(self):
        return {"beans"}

    def validate(self):
        text = (self.env.root / "beans.txt").read_text()
        if "rotten" in text:
            raise DataFileError("a rotten bean", file="beans.txt", line=1,
                                fix="throw it away")

    def gather(self, kinds):
        return {"beans": []}


@hookimpl
def guardrails_fact_kinds():
    return [BEANS]


@hookimpl
def guardrails_gather_sources():
    return [BeanSource]
'''


@pytest.fixture
def bean_plugin(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "gr_beans_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(mods))
    return "gr_beans_plugin"


def test_a_plugin_kind_has_its_schema(bean_plugin: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "-p", bean_plugin]) == 0
    assert "beans" in capsys.readouterr().out.splitlines()[0]
    assert main(["schema", "beans", "-p", bean_plugin]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator(schema).validate({"id": "b1", "colour": "red"})
    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate({"id": "b1", "colour": "blue"})
    # Without the plugin, the kind is unknown.
    assert main(["schema", "beans"]) == 4
    assert "no schema named 'beans'" in capsys.readouterr().err


def test_kinds_sources_build_have_no_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert "commits" not in capsys.readouterr().out
    assert main(["schema", "commits"]) == 4
    assert "`guardrails facts commits`" in capsys.readouterr().err


def test_validate_asks_a_plugin_source_to_check_its_files(
        bean_plugin: str, tmp_path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "guardrails.yaml").write_text(
        f"plugins: [{bean_plugin}]\nrules: []\nsources: {{beans: {{}}}}\n")
    (proj / "beans.txt").write_text("fresh\n")
    monkeypatch.chdir(proj)
    assert main(["validate"]) == 0
    (proj / "beans.txt").write_text("rotten\n")
    assert main(["validate"]) == 4
    assert "beans.txt:1: a rotten bean" in capsys.readouterr().err
