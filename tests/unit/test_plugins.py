"""The plugin manager: blocking by name, and what a plugin may register."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_blocking_a_module_the_config_names_is_no_unknown_block() -> None:
    """``plugins: [mod]`` with ``-p no:mod`` blocks that import: no warning that the
    block named no installed plugin (it did block one)."""
    from guardrails.manager import create_manager

    pm = create_manager(disabled=["json", "nosuchplugin"], extra=["json"])
    assert pm.blocked_unknown == ["nosuchplugin"]


MISSPELT_HOOK = """\
from guardrails import hookimpl


@hookimpl
def guardrails_gather_source():
    return []
"""


def test_a_misspelt_hook_of_a_local_plugin_is_refused(tmp_path: Path) -> None:
    """``guardrails_gather_source`` (no s) was registered and never called: the
    plugin's source silently missing, every rule it feeds skipped for no data."""
    from guardrails.errors import PluginError
    from guardrails.manager import create_manager

    (tmp_path / "guardrails_plugins.py").write_text(MISSPELT_HOOK)
    with pytest.raises(PluginError) as info:
        create_manager(local_root=tmp_path)
    text = str(info.value)
    assert text.startswith(f"{tmp_path / 'guardrails_plugins.py'}:4: plugin 'local' "
                           "implements guardrails_gather_source, which is no guardrails hook")
    assert "Fix: did you mean guardrails_gather_sources?" in text
    (tmp_path / "guardrails_plugins.py").write_text(
        MISSPELT_HOOK.replace("@hookimpl", "@hookimpl(optionalhook=True)"))
    pm = create_manager(local_root=tmp_path)  # kept on purpose: no error
    assert pm.get_plugin("local") is not None


@pytest.mark.parametrize(("text", "line"), [
    ("x = 1\ndef broken(:\n", 2),  # compiled by importlib: its frame is no place
    ("x = 1\nraise RuntimeError('boom')\n", 2),
    ("import guardrails_s29_not_installed\n", 1),  # importlib's frames are left out
])
def test_a_local_plugin_that_fails_to_load_names_its_own_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int) -> None:
    from helpers import check, write

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "guardrails.yaml", "rules: [builtin:teams]\n")
    write(tmp_path, "guardrails_plugins.py", text)
    result = check()
    assert result.exit_code == 4, result.output
    (first, *rest) = result.stderr.splitlines()
    assert first.startswith("ERROR: local plugin "), first
    assert first.endswith(f" ({tmp_path / 'guardrails_plugins.py'}:{line})"), first
    assert "frozen" not in first and "importlib" not in first and rest == []


def test_a_plugin_module_that_is_not_installed_names_no_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import check, write

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "guardrails.yaml", "rules: [builtin:teams]\n")
    result = check("-p", "guardrails_s29_not_installed")
    assert result.exit_code == 4, result.output
    assert result.stderr.strip().endswith(
        "ModuleNotFoundError: No module named 'guardrails_s29_not_installed'"), result.stderr
