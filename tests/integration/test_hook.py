"""``guardrails hook``: the pre-commit hooks' entry, run in-process on real git repositories.

The commit hook judges only the rules whose inputs changed: the config, a
rule file, or the org data files feeding the fact kinds a rule reads (with
the kinds its joins read). Each selection rule below always fails (``min:
99``), so every rule the hook judged prints its FAILED line and the test
reads the selection from the output. The slow test with the real
``pre-commit`` tool is tests/integration/test_precommit.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from helpers import TEAMS_YAML, write
from httpfakes import FakeGitHub

from guardrails.cli.main import main
from guardrails.precommit import RECORD_NAME, RECORD_TTL, run_id

NOW = "2026-11-20"


def always_failing(pack: str, reads: dict[str, str]) -> str:
    """A pack whose rule ``<id>`` counts facts of ``<kind>`` and always fails (min 99)."""
    rules = "".join(f"  - id: {rid}\n    check: count\n    facts: {kind}\n    min: 99\n"
                    for rid, kind in reads.items())
    return f"pack: {pack}\nrules:\n{rules}"


INCIDENTS = """\
incidents:
  - id: INC-1
    severity: SEV1
    created_at: 2026-11-01T10:00:00Z
    resolved_at: 2026-11-01T11:00:00Z
"""
POSTMORTEM = """\
---
incident: INC-1
title: The outage
---
## Summary
It broke.
"""
PULL_REQUESTS = """\
id,author,created_at,merged_at
7,ann,2026-11-01T10:00:00Z,2026-11-02T10:00:00Z
"""
REVIEWS = """\
pull_request,user,state,submitted_at
7,ben,APPROVED,2026-11-01T12:00:00Z
"""

LAYOUT = {
    "guardrails.yaml": "rules: [guardrails/rules/]\nsources:\n  files: {path: org}\n",
    "org/teams.yaml": TEAMS_YAML,
    "org/incidents.yaml": INCIDENTS,
    "org/postmortems/2026-11-01-outage.md": POSTMORTEM,
    "org/pull_requests.csv": PULL_REQUESTS,
    "org/reviews.csv": REVIEWS,
    "org/goals.yaml": "goals:\n  - {id: OKR-1, objective: Ship safely}\n",
    "guardrails/rules/sel.yaml": always_failing("sel", {
        "on-incidents": "incidents", "on-postmortems": "postmortems",
        "on-teams": "teams", "on-changes": "changes"}),
    "guardrails/rules/goals.yaml": always_failing("aims", {"on-goals": "goals"}),
    "README.md": "# project\n",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A git repository laid out as `guardrails init` does, committed once; cwd is its root."""
    r = GitRepo(tmp_path / "repo")
    r.commit(LAYOUT, message="initial")
    monkeypatch.chdir(r.path)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    return r


def hook(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["hook", "--now", NOW, *args])
    out, err = capsys.readouterr()
    return code, out, err


def judged(out: str) -> set[str]:
    """Ids of the rules whose FAILED line the hook printed."""
    return set(re.findall(r"FAILED (\S+) - ", out))


@pytest.mark.parametrize(("changed", "expected"), [
    # a data file: the rules reading its kind, and those whose joins read it (a change
    # carries the deployment that shipped it, which carries the incidents it caused)
    (["org/incidents.yaml"], {"sel::on-incidents", "sel::on-changes"}),
    # a postmortem: the postmortem rule and, through the joins, incidents and changes
    (["org/postmortems/2026-11-01-outage.md"], {"sel::on-incidents", "sel::on-postmortems",
                                                "sel::on-changes"}),
    (["org/teams.yaml"], {"sel::on-teams"}),
    # reviews are rows of changes
    (["org/reviews.csv"], {"sel::on-changes"}),
    # a rule file: its own rules, whatever they read
    (["guardrails/rules/goals.yaml"], {"aims::on-goals"}),
    # two changes: the union
    (["org/teams.yaml", "guardrails/rules/goals.yaml"], {"sel::on-teams", "aims::on-goals"}),
    # the config: every rule
    (["guardrails.yaml"], {"sel::on-incidents", "sel::on-postmortems", "sel::on-teams",
                           "sel::on-changes", "aims::on-goals"}),
])
def test_hook_judges_the_rules_whose_inputs_changed(
        repo: GitRepo, capsys: pytest.CaptureFixture[str], changed: list[str],
        expected: set[str]) -> None:
    code, out, err = hook(capsys, "--offline", *changed)
    assert code == 1, out + err
    assert judged(out) == expected
    lines = out.splitlines()
    # quiet: one line per failure, one summary line, nothing else
    assert len(lines) == len(expected) + 1, out
    assert lines[-1].startswith(f"guardrails: {len(expected)} failed in ")
    assert lines[-1].endswith(f"({len(expected)} of 5 rules read the changed files; "
                              "the push gate runs all)")
    # a local rule's failure names its file and line, so an editor can jump there
    assert all(re.match(r"guardrails/rules/\w+\.yaml:\d+: FAILED ", line)
               for line in lines[:-1]), out


def test_files_no_rule_reads_judge_nothing_and_pass(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo.path, "org/notes.txt", "not data\n")
    code, out, err = hook(capsys, "--offline", "README.md", "org/notes.txt",
                          "org/goals-draft.yaml")
    assert code == 0, out + err
    assert judged(out) == set()
    assert out.splitlines() == [out.splitlines()[-1]]
    assert "(0 of 5 rules read the changed files" in out


def test_local_plugin_file_change_judges_everything(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo.path, "guardrails_plugins.py", "# no hooks yet\n")
    code, out, _ = hook(capsys, "guardrails_plugins.py")
    assert code == 1
    assert len(judged(out)) == 5


def test_builtin_rules_are_selected_by_what_they_read(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    # No rule is special-cased: builtin packs go through Check.needs like local ones.
    write(repo.path, "guardrails.yaml",
          "rules: [builtin:incidents, builtin:teams]\nsources:\n  files: {path: org}\n")
    main(["list"])
    listed = capsys.readouterr().out
    code, out, err = hook(capsys, "--offline", "org/incidents.yaml")
    total = int(re.search(r"of (\d+) rules read", out).group(1))  # type: ignore[union-attr]
    ran = int(re.search(r"\((\d+) of", out).group(1))  # type: ignore[union-attr]
    assert 0 < ran < total, out
    assert "teams::" not in out
    code, out, err = hook(capsys, "--offline", "org/teams.yaml")
    assert "incidents::" not in out
    assert "teams::two-pizza-teams" in out and code == 1  # beta has 9 members
    assert "teams::two-pizza-teams" in listed


def test_gate_runs_every_rule(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = hook(capsys, "--all")
    assert code == 1, out + err
    assert len(judged(out)) == 5
    assert out.splitlines()[-1].startswith("guardrails: 5 failed in ")
    assert "read the changed files" not in out


def test_gate_refuses_files(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = hook(capsys, "--all", "org/teams.yaml")
    assert code == 4
    assert "--all runs every rule" in err


def test_passing_rules_print_only_the_summary(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo.path, "guardrails/rules/sel.yaml",
          "pack: sel\nrules:\n  - id: some-teams\n    check: count\n    facts: teams\n"
          "    min: 1\n")
    code, out, err = hook(capsys, "org/teams.yaml")
    assert code == 0, out + err
    assert out.splitlines() == [out.strip()]
    assert out.startswith("guardrails: 1 passed in ")
    assert err == ""


def test_warning_about_a_changed_file_is_shown(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo.path, "org/postmortems/2026-11-02-other.md",
          POSTMORTEM.replace("INC-1", "INC-404"))
    code, out, _ = hook(capsys, "org/postmortems/2026-11-02-other.md")
    assert "org/postmortems/2026-11-02-other.md:2: postmortem" in out
    assert "INC-404" in out
    # and not when the commit did not touch that file
    code, out, _ = hook(capsys, "org/incidents.yaml")
    assert "INC-404" not in out


# ---------------------------------------------------------------------------
# offline with nothing cached: one line per source, its rules skipped
# ---------------------------------------------------------------------------

GITHUB_CONFIG = (
    "rules: [guardrails/rules/]\n"
    "sources:\n"
    "  files: {{path: org}}\n"
    "  github: {{repo: acme/api, api_url: '{url}', timeout: 5, retries: 1}}\n"
    "cache_dir: .cache\n"
)
HTTP_RULES = always_failing("api", {"deploys": "deployments", "runs": "ci_runs",
                                    "prs": "changes"})


def test_offline_without_cache_is_one_line_per_source_and_skips(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    # Offline, the API is never asked: a closed port proves it.
    write(repo.path, "guardrails.yaml", GITHUB_CONFIG.format(url="http://127.0.0.1:9"))
    write(repo.path, "guardrails/rules/api.yaml", HTTP_RULES)
    code, out, err = hook(capsys, "--offline", "guardrails.yaml")
    lines = out.splitlines()
    assert lines.count("github: no cached answers yet; run `guardrails check` once online") == 1
    assert "ERROR" not in out and err == ""
    # the rules on kinds github provides (incidents and changes too) are skipped; the
    # others still judged, and failing
    assert judged(out) == {"sel::on-postmortems", "sel::on-teams", "aims::on-goals"}
    assert "3 failed, 5 skipped in" in lines[-1] and "error" not in lines[-1]
    assert len(lines) == 3 + 1 + 1
    assert code == 1

    # Outside the hook, a gate must not pass on data it could not read: errors, exit 1.
    code = main(["check", "--now", NOW, "--offline", "-k", "api", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {r["outcome"] for r in report["results"]} == {"error"}


def test_offline_hook_uses_the_cache_an_online_check_filled(
        repo: GitRepo, capsys: pytest.CaptureFixture[str], httpserver: Any) -> None:
    app = FakeGitHub()
    app.add_deployment(1, sha="a" * 40, created_at="2026-11-10T10:00:00Z",
                       statuses=[("success", "2026-11-10T10:05:00Z")])
    app.install(httpserver)
    write(repo.path, "guardrails.yaml",
          GITHUB_CONFIG.format(url=httpserver.url_for("").rstrip("/")))
    write(repo.path, "guardrails/rules/api.yaml",
          always_failing("api", {"deploys": "deployments"}))
    # online once, the deployments rule alone: the cache holds its answers
    assert main(["check", "--now", NOW, "-k", "deploys", "-q"]) == 1
    capsys.readouterr()
    asked = len(app.hits)
    code, out, _ = hook(capsys, "--offline", "guardrails/rules/api.yaml")
    assert judged(out) == {"api::deploys"}
    assert "cached" not in out
    assert len(app.hits) == asked  # offline: nothing sent

    # a rule needing a kind never fetched: the cache answered some, not all
    write(repo.path, "guardrails/rules/api.yaml", HTTP_RULES)
    code, out, _ = hook(capsys, "--offline", "guardrails/rules/api.yaml")
    assert ("github: the cache has no answers for changes, ci_runs yet; "
            "run `guardrails check` once online") in out.splitlines() or (
            "github: the cache has no answers for ci_runs, changes yet; "
            "run `guardrails check` once online") in out.splitlines()
    assert judged(out) == set() and code == 0


# ---------------------------------------------------------------------------
# an invalid file: printed once per pre-commit run
# ---------------------------------------------------------------------------

BROKEN_INCIDENTS = "incidents:\n  - id: INC-1\n    severity: SEV1\n"
ERROR_LINE = "org/incidents.yaml:2: invalid incident: 'created_at' is a required property"


def test_invalid_file_is_printed_once_per_pre_commit_run(
        repo: GitRepo, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo.path, "org/incidents.yaml", BROKEN_INCIDENTS)
    monkeypatch.setenv("PRE_COMMIT", "1")  # as pre-commit sets it for its hooks
    assert main(["validate", "org/incidents.yaml"]) == 4
    first = capsys.readouterr().err
    assert first.count(ERROR_LINE) == 1
    code, out, err = hook(capsys, "--offline", "org/incidents.yaml")
    assert code == 4
    assert ERROR_LINE not in out + err
    assert err.strip() == "1 error shown by guardrails validate above: fix it first"
    # in the other order too
    (repo.path / ".git" / RECORD_NAME).unlink()
    code, out, err = hook(capsys, "--offline", "org/incidents.yaml")
    assert err.count(ERROR_LINE) == 1 and code == 4
    assert main(["validate", "org/incidents.yaml"]) == 4
    assert capsys.readouterr().err.strip() == (
        "1 error shown by guardrails check above: fix it first")


def test_invalid_file_is_printed_in_full_outside_a_pre_commit_run(
        repo: GitRepo, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo.path, "org/incidents.yaml", BROKEN_INCIDENTS)
    assert main(["validate", "org/incidents.yaml"]) == 4
    assert capsys.readouterr().err.count(ERROR_LINE) == 1
    code, _, err = hook(capsys, "org/incidents.yaml")
    assert code == 4 and err.count(ERROR_LINE) == 1
    assert not (repo.path / ".git" / RECORD_NAME).exists()
    # another pre-commit run's record (another parent process) hides nothing
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert main(["validate", "org/incidents.yaml"]) == 4  # the record of "this" run
    capsys.readouterr()
    record = json.loads((repo.path / ".git" / RECORD_NAME).read_text())
    assert record["run"] == run_id()
    for other in ({**record, "run": f"{os.getppid() + 1}:0"},  # another pre-commit process
                  {**record, "time": record["time"] - RECORD_TTL - 1}):  # an old record
        (repo.path / ".git" / RECORD_NAME).write_text(json.dumps(other))
        code, _, err = hook(capsys, "org/incidents.yaml")
        assert err.count(ERROR_LINE) == 1 and "shown by" not in err


FAR_WAIVER = """\
waivers:
  - rule: sel::on-teams
    reason: splitting the team
    expires: 2099-01-31
"""
MISSPELT = PULL_REQUESTS.replace("author,", "autor,")
FIELD_WARNING = ("org/pull_requests.csv:1: column 'autor' is not a change field: no builtin "
                 "check reads it (it is kept for your own rules); did you mean 'author'?")


def test_validate_prints_the_warnings_check_prints_without_failing(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """A waiver years out, a misspelt column, a misspelt file name: check warns of them,
    and so does validate (on stderr, in check's words), with or without names, exit 0."""
    write(repo.path, "guardrails.yaml", LAYOUT["guardrails.yaml"] + FAR_WAIVER)
    write(repo.path, "org/pull_requests.csv", MISSPELT)
    write(repo.path, "org/incidnets.yaml", INCIDENTS)
    assert main(["check", "--now", NOW]) == 1
    checked = [line.removeprefix("warning: ") for line in capsys.readouterr().out.splitlines()
               if line.startswith("warning: ")]
    far = next(w for w in checked if "2099-01-31" in w)
    assert far.startswith("guardrails.yaml:5: waiver for sel::on-teams expires on 2099-01-31")
    stray = ("org/incidnets.yaml is not a data file guardrails reads (did you mean "
             "incidents.yaml?): none of its records are read")
    assert FIELD_WARNING in checked and stray in checked
    for args, expected in (([], [far, FIELD_WARNING, stray]),
                           (["guardrails.yaml"], [far]),
                           (["org/pull_requests.csv", "org/incidnets.yaml"],
                            [FIELD_WARNING, stray])):
        assert main(["validate", *args]) == 0, args
        out, err = capsys.readouterr()
        assert out == ""
        shown = [line.removeprefix("warning: ") for line in err.splitlines()]
        assert all(line.startswith("warning: ") for line in err.splitlines()), err
        # the same words (the date differs: validate has no --now)
        assert sorted(w.split(" days after ")[0].rsplit(",", 1)[0] for w in shown) == sorted(
            w.split(" days after ")[0].rsplit(",", 1)[0] for w in expected), args
    # warnings beside an error: printed, and the exit code is the error's
    write(repo.path, "org/incidents.yaml", BROKEN_INCIDENTS)
    assert main(["validate", "org/pull_requests.csv", "org/incidents.yaml"]) == 4
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"warning: {FIELD_WARNING}" and lines[1].startswith(ERROR_LINE)


def test_a_warning_validate_printed_is_not_repeated_by_the_check_hook(
        repo: GitRepo, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo.path, "org/pull_requests.csv", MISSPELT)
    code, out, _ = hook(capsys, "--offline", "org/pull_requests.csv")
    assert FIELD_WARNING in out.splitlines()  # run by hand: the hook warns
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert main(["validate", "org/pull_requests.csv"]) == 0
    assert capsys.readouterr().err == f"warning: {FIELD_WARNING}\n"
    code, out, err = hook(capsys, "--offline", "org/pull_requests.csv")
    assert FIELD_WARNING not in out + err and code == 1


def test_error_record_that_is_a_symlink_is_not_followed(
        repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me\n")
    (repo.path / ".git" / RECORD_NAME).symlink_to(target)
    write(repo.path, "org/incidents.yaml", BROKEN_INCIDENTS)
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert main(["validate", "org/incidents.yaml"]) == 4
    assert capsys.readouterr().err.count(ERROR_LINE) == 1
    assert target.read_text() == "keep me\n"


def test_baseline_lets_known_failures_pass(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    # CI adopted a baseline: the hook given the same file fails only on what is new.
    assert main(["check", "--now", NOW, "--write-baseline", "base.json", "-q"]) == 1
    capsys.readouterr()
    code, out, err = hook(capsys, "--baseline", "base.json", "org/teams.yaml")
    assert code == 0, out + err
    assert judged(out) == set()
    assert out.startswith("guardrails: 1 skipped in ")
    # a new rule on teams is not in the baseline: it fails
    write(repo.path, "guardrails/rules/more.yaml",
          always_failing("more", {"teams-again": "teams"}))
    code, out, err = hook(capsys, "--baseline", "base.json", "org/teams.yaml")
    assert code == 1 and judged(out) == {"more::teams-again"}
