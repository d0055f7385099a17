"""``guardrails validate FILE``: one data file validated alone loses no error about it.

The pre-commit hook used to validate the whole org folder when one data file
changed (issue 15). Now each named data file is validated alone. For every
data file of the example org and of the hostile-input corpus's projects
(tests/data/bad/ cases that break org data), the errors of the one-file
validation are compared with what the whole-folder validation (the files
source's ``validate()``, as ``guardrails check`` runs it) reports about that
file: each of those is reported, and nothing about another file is; so are
the warnings ``check`` prints about the file (a misspelt field or file name).
Both ways in (without the plugin manager, and through the session) say the same.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from badcorpus import REPO, load_cases, prepare

from guardrails import precommit
from guardrails.config import RunOptions
from guardrails.errors import UsageError
from guardrails.session import Session, build_config
from guardrails.textsafe import printable

ACME = REPO / "examples" / "acme"


def _data_cases() -> list[object]:
    """Corpus cases that lay out bad org data, run offline in-process."""
    out = []
    for case in load_cases():
        spec = case.spec
        touched = [*(spec.get("files") or {}), *(spec.get("binary") or {}),
                   *(spec.get("generated") or {}), *(spec.get("symlinks") or {}),
                   *(spec.get("remove") or [])]
        if spec.get("http") or spec.get("git") or spec.get("raw_commits"):
            continue
        generated = sum(len(str(text)) * int(times)
                        for pieces in (spec.get("generated") or {}).values()
                        for text, times in pieces)
        if generated > 100_000:
            continue  # a bound on a huge file (the corpus runner's): parsed thrice here, seconds
        if any(str(rel).startswith("org/") for rel in touched):
            out.append(case)
    return out


CASES = _data_cases()


def folder_errors(root: Path, warnings: list[str] | None = None) -> list[str] | None:
    """What validating the whole org folder reports (None: the config does not load);
    the warnings ``check`` prints about the folder's files are added to ``warnings``."""
    try:
        config = build_config(root / "guardrails.yaml", RunOptions(offline=True))
    except UsageError:
        return None
    if "files" not in config.sources:
        return None
    session = Session(config)
    session.configure()
    try:
        session.gather(kinds=set(), sources=["files"])
    except UsageError as exc:
        return precommit.error_lines(exc)
    finally:
        session.unconfigure()
    if warnings is not None:
        warnings += session.warnings
    return []


def one_file_errors(root: Path, rel: str, *, both: bool = True
                    ) -> tuple[int, list[str], list[str]]:
    """(exit code, lines) of ``validate FILE`` by the plugin-free way in, and by the
    session's (when ``both``, else the first lines again)."""
    config = str(root / "guardrails.yaml")
    fast = io.StringIO()
    code = precommit._validate_data_only([rel], config, fast)
    assert code is not None, "the plugin-free way in should take a plain data file"
    lines = fast.getvalue().splitlines()
    if not both:
        return code, lines, lines
    slow = io.StringIO()
    assert precommit._validate_in_session([rel], config, slow) == code
    return code, lines, slow.getvalue().splitlines()


def data_files(root: Path) -> list[str]:
    """Regular files (or links to one) under org/, as the user names them."""
    out = []
    for path in sorted((root / "org").rglob("*")):
        if path.is_file():
            out.append(str(path.relative_to(root)))
    return out


def compare(root: Path, *, every_way: bool = False) -> int:
    """Check every data file of the project at ``root``; returns how many had errors.

    The session's way in is compared too for the files with errors (for every
    file with ``every_way``): building the plugin manager per file is slow.
    """
    warned: list[str] = []
    whole = folder_errors(root, warned)
    if whole is None:
        return 0
    whole = [printable(line, newlines=True) for line in whole]
    with_errors = 0
    for rel in data_files(root):
        code, fast, _ = one_file_errors(root, rel, both=False)
        if every_way or fast:
            _, _, slow = one_file_errors(root, rel)
            assert fast == slow, rel
        # check's warnings about the file come first, in check's words; never an error
        warnings = [line for line in fast if line.startswith("warning: ")]
        fast = fast[len(warnings):]
        for w in warned:
            # a review of a change another file lacks is a check across files (docs/ci.md)
            if w.startswith((f"{rel}:", f"{rel} ")) and "which is not in the data" not in w:
                assert printable(f"warning: {w}") in warnings, f"{rel}: check warns {w!r}"
        for line in warnings:
            assert rel in line, f"{rel}: alone it warns {line!r}, which is about another file"
        about = [line for line in whole if rel in line]
        for line in about:
            assert line in fast, f"{rel}: the folder's validation says {line!r}; alone: {fast}"
        for line in fast:
            assert rel in line, f"{rel}: alone it reports {line!r}, which is about another file"
        if not whole:
            assert fast == [], f"{rel}: the folder validates, alone it fails: {fast}"
        assert code == (4 if fast else 0)
        with_errors += bool(fast)
    return with_errors


@pytest.fixture(autouse=True)
def _outside_pre_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRE_COMMIT", raising=False)  # every error shows


def test_every_file_of_the_example_org_validates_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ACME)
    assert folder_errors(ACME) == []
    assert len(data_files(ACME)) >= 15
    assert compare(ACME, every_way=True) == 0


def test_the_corpus_has_data_cases() -> None:
    assert len(CASES) >= 30  # the comparison below is not vacuous


@pytest.mark.parametrize("case", CASES, ids=str)
def test_one_file_reports_what_the_folder_reports_about_it(
        case: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = prepare(case, tmp_path, None)  # type: ignore[arg-type]
    monkeypatch.chdir(root)
    try:
        compare(root)
    finally:
        for rel in case.spec.get("mode") or {}:  # type: ignore[attr-defined]
            os.chmod(root / rel, 0o755 if (root / rel).is_dir() else 0o644)


def test_a_bad_file_is_reported_even_when_another_fails_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder's validation stops at its first bad file; alone, each one is seen."""
    from helpers import make_project

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org" / "teams.yaml").write_text("teams:\n  - id: a\n    members: 3\n")
    (tmp_path / "org" / "services.yaml").write_text("services:\n  - id: s\n    ownr: a\n")
    whole = folder_errors(tmp_path)
    assert whole is not None and len(whole) == 1 and "org/teams.yaml" in whole[0]
    _, fast, _ = one_file_errors(tmp_path, "org/services.yaml")
    assert len(fast) == 1 and fast[0].startswith("org/services.yaml:2") and "owner" in fast[0]
    err = io.StringIO()
    assert precommit._validate_data_only(["org/services.yaml", "org/teams.yaml"],
                                         "guardrails.yaml", err) == 4
    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == [
        "org/services.yaml", "org/teams.yaml"]


def test_two_files_of_one_kind_are_reported_by_either(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import make_project

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org" / "teams.json").write_text('{"teams": []}')
    for rel in ("org/teams.yaml", "org/teams.json"):
        _, fast, _ = one_file_errors(tmp_path, rel)
        assert len(fast) == 1 and "two files hold teams" in fast[0], rel


def test_a_stray_file_is_warned_of_by_its_path_not_its_names_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two misspelt names, one the other's start and a space: check warns of both;
    validate of the first warns of it alone (it matched warnings by the text's start,
    so it printed the other's too)."""
    from helpers import make_project

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for rel in ("org/pull_request.csv", "org/pull_request.csv s.csv"):
        (tmp_path / rel).write_text("number,author\n1,ann\n")
    warned: list[str] = []
    folder_errors(tmp_path, warned)
    assert sorted(w.split(" is not a data file")[0] for w in warned if "did you mean" in w) == [
        "org/pull_request.csv", "org/pull_request.csv s.csv"]  # check warns of both
    for rel in ("org/pull_request.csv", "org/pull_request.csv s.csv"):
        code, fast, slow = one_file_errors(tmp_path, rel)
        assert code == 0 and fast == slow == [
            f"warning: {rel} is not a data file guardrails reads (did you mean "
            "pull_requests.csv?): none of its records are read"], rel
