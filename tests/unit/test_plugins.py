

def test_blocking_a_module_the_config_names_is_no_unknown_block() -> None:
    """``plugins: [mod]`` with ``-p no:mod`` blocks that import: no warning that the
    block named no installed plugin (it did block one)."""
    from guardrails.manager import create_manager

    pm = create_manager(disabled=["json", "nosuchplugin"], extra=["json"])
    assert pm.blocked_unknown == ["nosuchplugin"]
