"""The file opened is the file checked: a link swapped in after the check is not followed
out of the root (guardrails/safeopen.py and the readers that use it)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guardrails import yamlio
from guardrails.errors import DataFileError, RuleFileError, UsageError
from guardrails.paths import check_file
from guardrails.plugin import SourceEnv
from guardrails.safeopen import SafeOpener
from guardrails.sources.files import FilesSource

TEAMS = "teams:\n  - id: web\n    name: Web\n    members:\n      - handle: ana\n"
SECRET = "teams:\n  - id: SECRET\n    name: Secret\n    members:\n      - handle: x\n"
PM = "---\nincident: inc-1\ndate: 2026-10-01\n---\n## Summary\nok\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "org").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "teams.yaml").write_text(SECRET, encoding="utf-8")
    return r


def _swap_for_link(path: Path, target: Path) -> None:
    """What someone writing to the checkout during the run does: the file becomes a link."""
    path.unlink()
    os.symlink(target, path)


def _opener(root: Path, allow: bool = False) -> SafeOpener:
    return SafeOpener(root, allow_outside=allow, error=DataFileError, what="data file")


def _read(opener: SafeOpener, path: Path) -> bytes:
    return yamlio.read_bytes(path, "org/teams.yaml", opener)


def test_a_file_swapped_for_a_link_out_after_the_check_gives_the_check_error(
        root: Path) -> None:
    teams = root / "org" / "teams.yaml"
    teams.write_text(TEAMS, encoding="utf-8")
    check_file(teams, root=root, allow_outside=False, display="org/teams.yaml")  # passes
    _swap_for_link(teams, root.parent / "outside" / "teams.yaml")
    with _opener(root) as opener, pytest.raises(DataFileError) as info:
        _read(opener, teams)
    # the very words check_file gives a link out of the root, and no byte of the target
    with pytest.raises(DataFileError) as at_check:
        check_file(teams, root=root, allow_outside=False, display="org/teams.yaml",
                   error=DataFileError, what="data file")
    assert str(info.value) == str(at_check.value)
    assert "resolves outside" in info.value.message and "SECRET" not in str(info.value)


def test_a_folder_swapped_for_a_link_out_is_not_followed(root: Path) -> None:
    """The folder was opened (and checked) once; a later swap of the folder for a link
    out of the root is met as a link, never walked through."""
    (root / "org" / "surveys").mkdir()
    (root / "org" / "surveys" / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    path = root / "org" / "surveys" / "teams.yaml"
    with _opener(root) as opener:
        assert _read(opener, path) == TEAMS.encode()
    os.rename(root / "org" / "surveys", root / "org" / "old")
    os.symlink(root.parent / "outside", root / "org" / "surveys")
    with _opener(root) as opener, pytest.raises(DataFileError, match="resolves outside"):
        _read(opener, path)


def test_links_the_check_lets_through_still_open(root: Path) -> None:
    (root / "org" / "real.yaml").write_text(TEAMS, encoding="utf-8")
    os.symlink("real.yaml", root / "org" / "teams.yaml")  # a link inside the root
    with _opener(root) as opener:
        assert _read(opener, root / "org" / "teams.yaml") == TEAMS.encode()
    outside = root / "org" / "out.yaml"
    os.symlink(root.parent / "outside" / "teams.yaml", outside)
    with _opener(root, allow=True) as opener:  # allow_outside_root: true
        assert _read(opener, outside) == SECRET.encode()
    os.symlink("/proc/self/environ", root / "org" / "env.yaml")
    with _opener(root, allow=True) as opener, pytest.raises(DataFileError, match="never reads"):
        _read(opener, root / "org" / "env.yaml")


def test_a_link_inside_the_root_swapped_in_is_read_as_the_check_would(root: Path) -> None:
    (root / "org" / "teams.yaml").write_text(SECRET, encoding="utf-8")
    (root / "org" / "other.yaml").write_text(TEAMS, encoding="utf-8")
    _swap_for_link(root / "org" / "teams.yaml", root / "org" / "other.yaml")
    with _opener(root) as opener:
        assert _read(opener, root / "org" / "teams.yaml") == TEAMS.encode()


def test_the_files_source_refuses_a_swap_between_its_check_and_its_read(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real swap during a real load: after the folder's files are found and checked
    (_discover), teams.yaml and a postmortem become links out of the root."""
    (root / "org" / "postmortems").mkdir()
    (root.parent / "outside" / "pm.md").write_text(PM.replace("ok", "SECRET"), "utf-8")
    env = SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC),
                    window=timedelta(days=90))
    discover = FilesSource._discover

    swaps = {"org/teams.yaml": root.parent / "outside" / "teams.yaml",
             "org/postmortems/inc-1.md": root.parent / "outside" / "pm.md"}

    def discover_then_swap(self: FilesSource) -> dict[str, list[Path]]:
        found = discover(self)
        if not self._files_swapped:
            self._files_swapped = True
            for rel, target in swaps.items():
                _swap_for_link(root / rel, target)
        return found

    monkeypatch.setattr(FilesSource, "_discover", discover_then_swap)
    monkeypatch.setattr(FilesSource, "_files_swapped", False, raising=False)
    for kind, file in (("teams", "org/teams.yaml"), ("postmortems", "org/postmortems/inc-1.md")):
        for rel in swaps:
            (root / rel).unlink(missing_ok=True)
        (root / "org" / "teams.yaml").write_text(TEAMS, encoding="utf-8")
        (root / "org" / "postmortems" / "inc-1.md").write_text(PM, encoding="utf-8")
        assert FilesSource({"path": "org"}, env).provides() == {"teams", "postmortems"}
        with pytest.raises(DataFileError) as info:
            FilesSource({"path": "org"}, env).gather({kind})
        assert info.value.file == file and "resolves outside" in info.value.message
        assert "SECRET" not in str(info.value)


def test_a_rule_file_swapped_for_a_link_out_is_refused(tmp_path: Path) -> None:
    from guardrails.configmodel import empty_config
    from guardrails.rulepaths import resolve_specs, rule_opener

    root = tmp_path / "root"
    (root / "rules").mkdir(parents=True)
    pack = root / "rules" / "mine.yaml"
    pack.write_text("pack: mine\nrules: []\n", encoding="utf-8")
    (tmp_path / "secret.yaml").write_text("SECRET: 1\n", encoding="utf-8")
    config = empty_config(root)
    (found,) = resolve_specs(config, ["rules/mine.yaml"])
    _swap_for_link(found, tmp_path / "secret.yaml")
    with rule_opener(config, found) as opener, pytest.raises(RuleFileError) as info:
        yamlio.read_text(found, "rules/mine.yaml", opener)
    assert "resolves outside" in info.value.message and "SECRET" not in str(info.value)
    # named on the command line, a rule file may lie anywhere (as check_file says)
    (cli,) = resolve_specs(config, [str(found)], from_cli=True)
    with rule_opener(config, cli) as opener:
        assert yamlio.read_text(cli, "rules/mine.yaml", opener) == "SECRET: 1\n"


def test_a_missing_file_is_the_plain_read_error(root: Path) -> None:
    with _opener(root) as opener, pytest.raises(UsageError, match="cannot read file"):
        _read(opener, root / "org" / "teams.yaml")


def test_rule_files_not_held_to_the_root_still_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builtin packs (guardrails' own, wherever installed) and a rule file named to
    ``guardrails validate`` are read wherever they are, as before the opener."""
    import io
    import shutil

    from guardrails import precommit, rulepaths
    from guardrails.configmodel import empty_config

    builtin = tmp_path / "site" / "rules"
    shutil.copytree(rulepaths.builtin_rules_dir(), builtin)
    monkeypatch.setattr(rulepaths, "builtin_rules_dir", lambda: builtin)
    monkeypatch.setattr(rulepaths, "is_builtin", lambda path: False)  # as a copy elsewhere
    root = tmp_path / "root"
    root.mkdir()
    config = empty_config(root)
    (pack,) = rulepaths.resolve_specs(config, ["builtin:teams"])
    with rulepaths.rule_opener(config, pack) as opener:
        assert yamlio.read_text(pack, "rules/teams.yaml", opener).startswith(
            pack.read_text("utf-8")[:20])
    (root / "guardrails.yaml").write_text("rules: []\n", encoding="utf-8")
    (tmp_path / "shared.yaml").write_text(
        "pack: shared\nrules:\n  - {id: some-teams, check: count, facts: teams, min: 1}\n",
        encoding="utf-8")
    os.symlink(tmp_path / "shared.yaml", root / "shared.yaml")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    err = io.StringIO()
    assert precommit._validate_in_session(["shared.yaml"], None, err) == 0, err.getvalue()


def test_a_folder_outside_the_root_is_read_only_when_allowed(root: Path) -> None:
    """allow_outside_root: a plain file of a folder outside opens as checked, and a link
    swapped in there is still checked (never /proc); without it, the check's error."""
    shared = root.parent / "outside"
    with _opener(root, allow=True) as opener:
        assert _read(opener, shared / "teams.yaml") == SECRET.encode()
    _swap_for_link(shared / "teams.yaml", Path("/proc/self/environ"))
    with _opener(root, allow=True) as opener, pytest.raises(DataFileError, match="never reads"):
        _read(opener, shared / "teams.yaml")
    (shared / "other.yaml").write_text(SECRET, encoding="utf-8")
    os.symlink(shared, root / "org" / "shared")
    with _opener(root) as opener, pytest.raises(DataFileError) as info:
        _read(opener, root / "org" / "shared" / "other.yaml")
    assert "resolves outside" in info.value.message and "SECRET" not in str(info.value)
