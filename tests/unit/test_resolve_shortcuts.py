"""Resolving a path once a folder: SourceEnv.resolved and rulepaths.is_builtin answer as
Path.resolve does, links and all."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guardrails.sourcebase import SourceEnv


def _env(root: Path) -> SourceEnv:
    return SourceEnv(root, datetime(2026, 11, 20, tzinfo=UTC), timedelta(days=30))


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "cfg"
    (root / "org" / "postmortems").mkdir(parents=True)
    (root / "org" / "teams.yaml").write_text("teams: []\n")
    (root / "org" / "postmortems" / "a.md").write_text("x\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "deployments.csv").write_text("id\n")
    (root / "org" / "deployments.csv").symlink_to(elsewhere / "deployments.csv")
    (root / "org" / "gone.csv").symlink_to(tmp_path / "missing.csv")
    (root / "linked").symlink_to(root / "org", target_is_directory=True)
    (root / "loop.csv").symlink_to(root / "loop.csv")
    return root


def _paths(root: Path) -> list[Path]:
    return [
        root / "org" / "teams.yaml", root / "org" / "deployments.csv",
        root / "org" / "gone.csv", root / "org" / "absent.yaml",
        root / "org" / "postmortems", root / "org" / "postmortems" / "a.md",
        root / "linked" / "teams.yaml", root / "linked" / "postmortems" / "a.md",
        root / "linked" / "deployments.csv", root / "org" / ".." / "org" / "teams.yaml",
        root / "org" / "..", root / "org" / ".", root, Path("org") / "teams.yaml",
        Path("teams.yaml"), Path("linked") / "deployments.csv",
    ]


def test_resolved_is_path_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    env = _env(root)
    for _ in range(2):  # the second time from the kept folders
        for path in _paths(root):
            assert env.resolved(path) == path.resolve(), path
            assert env.display(path) == str(path.resolve().relative_to(root.resolve())) \
                if path.resolve().is_relative_to(root.resolve()) else str(path)


def test_a_link_loop_is_refused_as_resolve_refuses_it(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    env = _env(root)
    # 3.11 and 3.12 raise RuntimeError; 3.13's resolve returns the looping path
    try:
        want: object = (root / "loop.csv").resolve()
    except RuntimeError as exc:
        with pytest.raises(RuntimeError) as got:
            env.resolved(root / "loop.csv")
        assert str(got.value) == str(exc)
    else:
        assert env.resolved(root / "loop.csv") == want


def test_a_file_that_becomes_a_link_is_resolved_as_one(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    env = _env(root)
    path = root / "org" / "teams.yaml"
    assert env.resolved(path) == path.resolve()
    os.replace(path, root / "org" / "teams-real.yaml")
    path.symlink_to(tmp_path / "elsewhere" / "deployments.csv")
    assert env.resolved(path) == tmp_path.resolve() / "elsewhere" / "deployments.csv"


def test_is_builtin_answers_as_resolving_the_pack_would(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import rulepaths

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text("rules: []\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.yaml").write_text("rules: []\n")
    (rules / "out.yaml").symlink_to(other / "b.yaml")
    (rules / "in.yaml").symlink_to(rules / "a.yaml")
    (tmp_path / "linked").symlink_to(rules, target_is_directory=True)
    monkeypatch.setattr(rulepaths, "builtin_rules_dir", lambda: rules)
    monkeypatch.setattr(rulepaths, "_builtin_rules_real", lambda: rules.resolve())
    for path, want in [(rules / "a.yaml", True), (rules / "out.yaml", False),
                       (rules / "in.yaml", True), (rules / "absent.yaml", True),
                       (other / "b.yaml", False), (tmp_path / "linked" / "a.yaml", True),
                       (tmp_path / "linked" / "out.yaml", False), (rules / "..", False)]:
        assert rulepaths.is_builtin(path) is want, path
        assert (rules.resolve() in path.resolve().parents) is want, path
