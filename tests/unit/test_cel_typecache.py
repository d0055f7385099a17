"""CEL checks remembered across runs (guardrails/celrules/typecache.py): the same fields
read and kinds reached warm or cold, a problem always checked and worded afresh, another
kind registry or a damaged file only a miss."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import modules_after

from guardrails.celrules import runtime, typecache
from guardrails.celrules.runtime import CelProblem, compile_expression
from guardrails.celrules.uses import Uses
from guardrails.datakinds import BUILTIN
from guardrails.kinds import FactKind, KindRegistry

EXPRESSIONS = [
    ('fact.severity in ["SEV1", "SEV2"]', "incidents", (), "bool"),
    ("has(fact.postmortem)", "incidents", (), "bool"),
    ("fact.members.size()", "teams", (), "number"),
    ('fact.deployment.incidents.exists(i, i.severity == "SEV1")', "changes", (), "bool"),
    ("fact.team.members.size() > 2", "services", (), "bool"),
    ("fact", "teams", (), None),
    ("fact.members", "teams", (), None),  # a group_by: its type (a list) is kept too
    ("deployments.size() + incidents.size()", None, ("deployments", "incidents"), "number"),
]


@pytest.fixture
def cache(startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The start-up cache folder, and the process's state of the cache forgotten; the
    shipped entries (tests/unit/test_cel_shipped.py) off: these tests are about the file."""
    monkeypatch.setattr(typecache, "_state", None)
    monkeypatch.setattr(typecache, "_shipped", {})
    runtime._compiled.clear()
    yield startup_cache
    monkeypatch.setattr(typecache, "_state", None)
    runtime._compiled.clear()


def new_process() -> None:
    """What a run's exit and the next process's start do to the cache."""
    state = typecache._state
    if state is not None:
        typecache._write(state)
    typecache._state = None
    runtime._compiled.clear()


def plain(uses: dict[str, Uses]) -> dict[str, object]:
    return {name: tree.to_plain() for name, tree in uses.items()}


def compiled_all(kinds: KindRegistry = BUILTIN) -> list[tuple[object, ...]]:
    out = []
    for src, kind, lists, want in EXPRESSIONS:
        c = compile_expression(src, kind, kinds, lists=lists, want=want)
        out.append((plain(dict(c.uses)), c.reaches, (c.checked.type_name, c.checked.type_text),
                    not c.checked.fresh))
    return out


def test_a_warm_run_reads_the_same_fields_without_checking(cache: Path) -> None:
    cold = compiled_all()
    assert not any(warm_hit for *_, warm_hit in cold)
    new_process()
    assert len(list(cache.glob("cel-types-*.json"))) == 1
    warm = compiled_all()
    assert [c[:3] for c in warm] == [c[:3] for c in cold]
    assert all(hit for *_, hit in warm)  # from the cache: checked by the earlier run
    assert any(reaches for _, reaches, *_ in warm)  # links were remembered too
    new_process()
    assert [c[:3] for c in compiled_all()] == [c[:3] for c in cold]


def test_a_problem_is_never_stored_and_worded_each_time(cache: Path) -> None:
    bad = ["fact.nosuch > 1", "fact.severity +", "fact.members.size()"]
    for _ in range(2):
        for src in bad:
            with pytest.raises(CelProblem) as exc:
                compile_expression(src, "incidents", BUILTIN)
            assert str(exc.value)
        new_process()
    for file in cache.glob("cel-types-*.json"):
        assert len(json.loads(file.read_bytes().partition(b"\n")[2])) == 0


def test_another_kind_registry_is_another_key(cache: Path) -> None:
    compile_expression("fact.size > 2", "widgets", KindRegistry(
        [*BUILTIN.values(), FactKind("widgets", "widget",
                                     schema={"type": "object",
                                             "properties": {"size": {"type": "integer"}}})]))
    new_process()
    # the same expression over a widget without ``size``: checked again, and refused
    with pytest.raises(CelProblem, match="no field 'size'"):
        compile_expression("fact.size > 2", "widgets", KindRegistry(
            [*BUILTIN.values(), FactKind("widgets", "widget",
                                         schema={"type": "object", "additionalProperties": False,
                                                 "properties": {"weight": {"type": "integer"}}})]))


def test_a_damaged_or_foreign_file_is_a_miss(cache: Path) -> None:
    cold = compiled_all()
    new_process()
    (file,) = cache.glob("cel-types-*.json")
    head, _, payload = file.read_bytes().partition(b"\n")
    entries = json.loads(payload)
    broken = {k: [{"fact": [1, {"x": "y"}]}, [3]] for k in entries}
    damaged = json.dumps(broken).encode()
    meta = json.loads(head)
    meta["payload"] = typecache.checksum(damaged)
    for text in (head + b"\n" + damaged, b"not json\n{}", b"[" * 100_000,
                 json.dumps({**meta, "context": ["other"]}).encode() + b"\n" + damaged):
        file.write_bytes(text)
        typecache._state = None
        runtime._compiled.clear()
        warm = compiled_all()
        assert [c[:3] for c in warm] == [c[:3] for c in cold]
        assert not any(hit for *_, hit in warm)


def test_off_when_start_up_caches_are(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    compiled_all()
    new_process()
    assert not cache.exists() or not list(cache.glob("cel-types-*.json"))


def test_uses_trees_round_trip_and_refuse_anything_else() -> None:
    tree = Uses()
    tree.child("a").child("b").whole = True
    tree.whole = True
    back = Uses.from_plain(json.loads(json.dumps(tree.to_plain())))
    assert back.to_plain() == tree.to_plain() and back.whole and back["a"]["b"].whole
    deep: list[object] = [False, {}]
    for _ in range(40):
        deep = [False, {"x": deep}]
    for bad in ([True], [1, {}], [False, []], [False, {"x": 3}], deep, "x"):
        with pytest.raises(ValueError):
            Uses.from_plain(bad)


def test_a_warm_run_with_group_by_imports_no_checker(tmp_path: Path) -> None:
    """``group_by`` is checked once at load (its type refuses a list) and that check is
    kept with its type: a warm run of rules grouping by a field, ``count`` and
    ``metric``, needs neither the CEL parser nor the type checker."""
    example = Path(__file__).resolve().parents[2] / "examples" / "acme"
    (tmp_path / "rules.yaml").write_text(
        "pack: local\nrules:\n"
        "  - {id: per-team, title: At most 3 services a team, check: count,\n"
        "     facts: services, group_by: team, max: 3}\n"
        "  - {id: per-service, title: Failure rate per service, check: metric,\n"
        "     metric: dora.change_failure_rate, group_by: service, max: 0.5}\n", "utf-8")
    (tmp_path / "guardrails.yaml").write_text(
        f"rules:\n  - rules.yaml\nsources:\n  files:\n    path: {example / 'org'}\n"
        "allow_outside_root: true\n", "utf-8")
    env = {"PATH": "/usr/bin:/bin", "GUARDRAILS_CACHE_DIR": str(tmp_path / "cache"),
           "GUARDRAILS_PLUGIN_CACHE_DIR": str(tmp_path / "startup")}
    args = ["check", "-c", str(tmp_path / "guardrails.yaml"), "--now", "2026-11-20", "-q"]
    cold = modules_after(args, env, cwd=tmp_path)
    assert cold.code == 0 and "2 passed" in cold.output, cold.output
    assert "guardrails.celrules.check" in cold.modules  # checked once, then kept
    warm = modules_after(args, env, cwd=tmp_path)
    assert warm.code == 0 and "2 passed" in warm.output, warm.output
    assert "guardrails.celrules.rules" in warm.modules  # the rule's group_by was validated
    assert not {"guardrails.celrules.check", "guardrails.celrules.parse"} & warm.modules


def test_group_by_is_type_checked_once(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``count``'s group_by compiles ``fact.PATH`` and refuses a list by the same check."""
    from guardrails.celrules.rules import group_by_problems

    calls: list[str] = []
    check = runtime._check

    def counted(src: str, *args: object) -> object:
        calls.append(src)
        return check(src, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "_check", counted)
    (problem,) = group_by_problems("members", "teams", BUILTIN)
    assert "members of teams is a list (list(map))" in str(problem)
    assert group_by_problems("name", "teams", BUILTIN) == []
    assert calls == ["fact.members", "fact.name"]
