"""The builtin packs' shipped validation verdicts (guardrails/packverdict.py): taken
only for the exact pack bytes, plugins and check definitions they were made for;
anything else is validated in full, and reported as before."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import ALL_BUILTIN, collect_rules, write

import guardrails
from guardrails import packdata, packgen, packverdict, rulepaths, validation
from guardrails.errors import UsageError


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")


def _validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the ``what`` of every schema check a collection makes but the config's."""
    calls: list[str] = []
    real = validation.errors_of

    def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("what") != "config":  # the config's own, every run
            calls.append(str(kwargs.get("what")))
        return real(*args, **kwargs)

    monkeypatch.setattr(validation, "errors_of", counted)
    return calls


collect = collect_rules


def test_every_builtin_pack_ships_its_verdict() -> None:
    """The generator leaves out a pack the full validation fails: a change of a check
    that makes a builtin pack invalid fails here (and in test_packdata)."""
    assert set(packdata.VALIDATED) == set(rulepaths.builtin_packs()), (
        "a builtin pack has no shipped verdict: it fails its validation (python -m "
        "guardrails.packgen says why), or guardrails/packdata.py is out of date")


def test_the_verdicts_give_the_rules_full_validation_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    trusted = collect(tmp_path / "a")
    assert calls == []  # no pack, rule or override schema checked
    monkeypatch.setattr(packdata, "VALIDATED", {})
    validated = collect(tmp_path / "b")
    assert calls  # validated in full
    assert trusted == validated
    assert [(r.file, r.line, r.params, r.defaults) for r in trusted] == \
        [(r.file, r.line, r.params, r.defaults) for r in validated]


def test_the_configs_overrides_are_still_validated(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    bad = ALL_BUILTIN + "overrides:\n  teams::two-pizza-teams:\n    no_such_key: 3\n"
    with pytest.raises(UsageError, match="no_such_key"):
        collect(tmp_path, bad)
    assert calls == ["override of teams::two-pizza-teams"]
    with pytest.raises(UsageError, match="min 9 is above max 8"):
        collect(tmp_path, ALL_BUILTIN + "overrides:\n  teams::two-pizza-teams:\n    min: 9\n")


def _builtin_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "builtin"
    shutil.copytree(rulepaths.builtin_rules_dir(), folder)
    monkeypatch.setattr(rulepaths, "builtin_rules_dir", lambda: folder)
    monkeypatch.setattr(rulepaths, "_builtin_rules_real", lambda: folder.resolve())
    return folder


def test_an_edited_pack_is_validated_in_full(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _builtin_copy(tmp_path, monkeypatch)
    calls = _validations(monkeypatch)
    teams = "rules:\n  - builtin:teams\n"
    collect(tmp_path / "p", teams)
    assert calls == []  # the same bytes: the verdict holds wherever the pack is
    pack = folder / "teams.yaml"
    text = pack.read_text("utf-8")
    pack.write_text(text + "\n", "utf-8")  # one byte more
    collect(tmp_path / "p", teams)
    assert "rule file" in calls
    pack.write_text(text.replace("check: ", "check: no_such_", 1), "utf-8")
    with pytest.raises(UsageError, match="unknown check 'no_such_"):
        collect(tmp_path / "p", teams)


def _teams_check_schema(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    from guardrails.checks.teams import SlackInPlansCheck

    schema = copy.deepcopy(SlackInPlansCheck.schema)
    change(schema)
    monkeypatch.setattr(SlackInPlansCheck, "schema", schema)


def test_a_check_whose_schema_changed_has_no_verdict(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    _teams_check_schema(monkeypatch, lambda s: s["properties"].update(
        {"new_key": {"type": "integer"}}))
    collect(tmp_path, "rules:\n  - builtin:teams\n")
    assert "rule file" in calls  # the teams pack validated in full
    _teams_check_schema(monkeypatch, lambda s: s.__setitem__("required", ["new_key"]))
    with pytest.raises(UsageError, match="new_key"):
        collect(tmp_path, "rules:\n  - builtin:teams\n")


def test_another_release_has_no_verdict(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    monkeypatch.setattr(guardrails, "__version__", "0.0.0-other")
    collect(tmp_path, "rules:\n  - builtin:culture\n")
    assert "rule file" in calls


def test_a_plugin_that_is_not_ours_has_no_verdict(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    root = tmp_path / "p"
    write(root, "guardrails_plugins.py", "X = 1\n")
    collect(root, "rules:\n  - builtin:culture\n")
    assert "rule file" in calls


def test_a_blocked_builtin_has_no_verdict(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    teams = "rules:\n  - builtin:teams\n"
    collect(tmp_path, teams, disabled_plugins=("reporter-html",))
    assert "rule file" in calls
    with pytest.raises(UsageError, match="unknown check 'teams.slack_in_plans'"):
        collect(tmp_path, teams, disabled_plugins=("checks-teams",))


def test_the_fingerprint_refuses_what_it_cannot_describe() -> None:
    class Odd:
        name = "odd"
        schema = {"properties": {"x": object()}}  # its text holds an address
        kinds = ()

    data = {"pack": "p", "rules": [{"id": "a", "check": "odd"}]}
    assert packverdict.fingerprint(data, {}, {}) is None  # no such check
    first = packverdict.fingerprint(data, {"odd": Odd()}, {})
    # an address differs from object to object: never the shipped digest twice
    Odd.schema = {"properties": {"x": object()}}
    assert packverdict.fingerprint(data, {"odd": Odd()}, {}) != first
    assert packverdict.fingerprint({"rules": "x"}, {}, {}) is None
    metric_rule = {"pack": "p", "rules": [{"id": "a", "check": "metric", "metric": "nope"}]}
    assert packverdict.fingerprint(metric_rule, {"metric": Odd()}, {}) is None


def test_the_generator_validates_with_no_verdict_trusted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What packgen writes comes from the full validation, whatever packdata holds."""
    monkeypatch.setattr(packdata, "VALIDATED", {name: "forged" for name in packdata.PACKS})
    assert packgen.verdicts(rulepaths.builtin_packs()) == {
        name: digest for name, digest in sorted(_shipped().items())}
    assert {name: "forged" for name in packdata.PACKS} == packdata.VALIDATED  # put back


def _shipped() -> dict[str, str]:
    import ast

    text = packgen.TARGET.read_text("utf-8")
    start = text.index("VALIDATED = ")
    return dict(ast.literal_eval(text[start + len("VALIDATED = "):]))
