"""A config found above the working folder that another account owns is refused.

guardrails looks for its config from the working folder upwards. Anyone can
create ``/tmp/guardrails.yaml`` and a ``guardrails_plugins.py`` beside it: a
run from ``/tmp/project`` (a folder without a config of its own) loaded them,
running the other account's code as the user, with the user's tokens (a config
also names the ``api_url`` a token is sent to). Such a config is now refused
(exit 4, the file, the owner, the fix: ``-c`` when it is trusted); the user's
own, root's, and the start folder owner's (a checkout another uid owns, read
as root in a container) are loaded as before.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from helpers import run_cli, write

from guardrails import precommit

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0,
                                reason="giving a file to another uid takes root")
OTHER = 65534  # nobody

PLUGIN = """\
from pathlib import Path

Path(__file__).with_name("PLUGIN-RAN").write_text("ran")
"""


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as a shared /tmp: another uid's config and plugin, and the user's project."""
    config = write(tmp_path, "guardrails.yaml", "rules:\n  - builtin:teams\n")
    plugin = write(tmp_path, "guardrails_plugins.py", PLUGIN)
    for path in (config, plugin):
        os.chown(path, OTHER, OTHER)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    return tmp_path


@pytest.mark.parametrize("args", [["check", "--now", "2026-11-20"], ["list"], ["validate"],
                                  ["hook", "org/teams.yaml"]])
def test_a_config_another_user_planted_above_is_refused(planted: Path, args: list[str]) -> None:
    result = run_cli(args)
    assert result.exit_code == 4, result.output
    assert f"{planted / 'guardrails.yaml'}: the config found above this folder belongs to " \
           f"another user (uid {OTHER})" in result.output
    assert f"pass -c {planted / 'guardrails.yaml'}" in result.output
    assert not (planted / "PLUGIN-RAN").exists()


def test_the_pre_commit_hook_refuses_it_too(planted: Path) -> None:
    write(Path.cwd(), "org/teams.yaml", "teams: []\n")
    err = io.StringIO()
    assert precommit.validate(["org/teams.yaml"], None, err) == 4
    assert "belongs to another user" in err.getvalue()
    assert not (planted / "PLUGIN-RAN").exists()


def test_a_link_another_user_planted_to_a_config_of_yours_is_refused(
        planted: Path, tmp_path: Path) -> None:
    mine = write(tmp_path / "mine", "guardrails.yaml", "rules:\n  - builtin:teams\n")
    os.unlink(planted / "guardrails.yaml")
    os.symlink(mine, planted / "guardrails.yaml")
    os.lchown(planted / "guardrails.yaml", OTHER, OTHER)
    result = run_cli(["list"])
    assert result.exit_code == 4, result.output
    assert "belongs to another user" in result.output
    assert not (planted / "PLUGIN-RAN").exists()


def test_named_with_c_it_is_the_users_choice(planted: Path) -> None:
    result = run_cli(["list", "-c", str(planted / "guardrails.yaml")])
    assert result.exit_code == 0, result.output
    assert (planted / "PLUGIN-RAN").exists()


def test_a_checkout_another_uid_owns_is_read_from_a_subfolder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A container run as root on a checkout owned by the host's user (uid 1001)."""
    root = tmp_path / "checkout"
    write(root, "guardrails.yaml", "rules:\n  - builtin:teams\n")
    write(root, "docs/readme.md", "x\n")
    for path in (root, root / "guardrails.yaml", root / "docs", root / "docs/readme.md"):
        os.chown(path, 1001, 1001)
    monkeypatch.chdir(root / "docs")
    result = run_cli(["list"])
    assert result.exit_code == 0, result.output
    assert "teams::" in result.output
