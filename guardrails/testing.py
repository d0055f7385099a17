"""Testing support for plugin authors: the ``guardrails_tester`` fixture.

The fixture (offered by guardrails' pytest plugin, no import needed) gives a
:class:`GuardrailsTester` on a fresh temporary folder: write a config, rule
packs, org data files and a local plugin, then run any ``guardrails``
command in-process and read its exit code, output and JSON report::

    def test_my_check(guardrails_tester):
        guardrails_tester.write_org({"teams.yaml": {"teams": [...]}})
        guardrails_tester.write_rules("pack: mine\\nrules: [...]\\n")
        result = guardrails_tester.run("check", "--now", "2026-11-20")
        assert result.exit_code == 1
        assert result.outcomes() == {"mine::rule": "failed"}

Plugins installed in the environment (entry-point group ``guardrails``) are
loaded as in any run, so a plugin package tests itself end to end.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_CONFIG = {"rules": ["rules/"], "sources": {"files": {"path": "org"}}}


@dataclass
class RunResult:
    """What one ``guardrails`` command did."""

    exit_code: int
    stdout: str
    stderr: str
    #: the JSON report of a ``check`` run (None for other commands or usage errors)
    report_json: dict[str, Any] | None

    def outcomes(self) -> dict[str, str]:
        """Rule id -> outcome, from the JSON report."""
        return {r["id"]: r["outcome"] for r in (self.report_json or {}).get("results", [])}

    def result(self, rule_id: str) -> dict[str, Any]:
        """One rule's entry of the JSON report."""
        for r in (self.report_json or {}).get("results", []):
            if r["id"] == rule_id:
                return r
        raise KeyError(f"{rule_id} is not in the report (have: {sorted(self.outcomes())})")


def _text(content: str | Mapping[str, Any] | list[Any], name: str) -> str:
    if isinstance(content, str):
        return textwrap.dedent(content)
    if name.endswith((".json", ".jsonl")):
        if name.endswith(".jsonl") and isinstance(content, list):
            return "".join(json.dumps(row) + "\n" for row in content)
        return json.dumps(content, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True)


class GuardrailsTester:
    """A temporary project folder and a way to run guardrails in it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rel: str, content: str | Mapping[str, Any] | list[Any]) -> Path:
        """Write any file under the project (dicts/lists as YAML, or JSON by extension)."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_text(content, rel), encoding="utf-8")
        return target

    def write_config(self, content: str | Mapping[str, Any] | None = None) -> Path:
        """Write guardrails.yaml (default: rules from rules/, the files source on org/)."""
        return self.write("guardrails.yaml", DEFAULT_CONFIG if content is None else content)

    def write_rules(self, content: str | Mapping[str, Any], name: str | None = None) -> Path:
        """Write a rule pack to rules/<name>.yaml (name defaults to the pack's name)."""
        if name is None:
            pack = content.get("pack") if isinstance(content, Mapping) else None
            if pack is None and isinstance(content, str):
                from guardrails import yamlio

                data = yamlio.load(textwrap.dedent(content), "<rules>")[0]
                pack = data.get("pack") if isinstance(data, dict) else None
            name = str(pack or "rules")
        return self.write(f"rules/{name}.yaml", content)

    def write_org(self, files: Mapping[str, str | Mapping[str, Any] | list[Any]]) -> list[Path]:
        """Write org data files: ``{"teams.yaml": {...}, "deployments.csv": "..."}``."""
        return [self.write(f"org/{name}", content) for name, content in files.items()]

    def write_plugin(self, source: str) -> Path:
        """Write a local plugin, guardrails_plugins.py, next to the config."""
        return self.write("guardrails_plugins.py", source)

    @contextlib.contextmanager
    def _inside(self) -> Iterator[None]:
        with contextlib.chdir(self.path):
            yield

    def run(self, *args: str, env: Mapping[str, str | None] | None = None) -> RunResult:
        """Run ``guardrails ARGS...`` in the project folder, in-process.

        A ``check`` run also writes its JSON report (an extra ``--format json
        --output``) so :attr:`RunResult.report_json` is filled in. Without a
        guardrails.yaml, the default config is written first.
        """
        from click.testing import CliRunner

        from guardrails.cli import cli

        if not (self.path / "guardrails.yaml").exists() and "-c" not in args \
                and "--config" not in args:
            self.write_config()
        argv = list(args)
        report_path = self.path / ".guardrails-tester" / "report.json"
        if argv and argv[0] == "check":
            report_path.unlink(missing_ok=True)
            has_stdout_format = any(a in ("--format", "-f") for a in argv)
            extra = ["--format", "json", "--output", str(report_path)]
            if not has_stdout_format:
                extra = ["--format", "terminal", *extra]
            argv = [argv[0], *extra, *argv[1:]]
        full_env = {"COLUMNS": "80", "NO_COLOR": "1", **(env or {})}
        with self._inside():
            res = CliRunner().invoke(cli, argv, env=full_env, catch_exceptions=False)
        report = None
        if argv and argv[0] == "check" and report_path.is_file():
            text = report_path.read_text(encoding="utf-8")
            # A usage error stops the run after the file was opened: it stays empty.
            report = json.loads(text) if text.strip() else None
        return RunResult(exit_code=res.exit_code, stdout=res.stdout, stderr=res.stderr,
                         report_json=report)


@pytest.fixture
def guardrails_tester(tmp_path: Path) -> GuardrailsTester:
    """A :class:`GuardrailsTester` on a fresh temporary folder."""
    project = tmp_path / "guardrails-project"
    project.mkdir()
    return GuardrailsTester(project)


__all__ = ["GuardrailsTester", "RunResult", "guardrails_tester"]
