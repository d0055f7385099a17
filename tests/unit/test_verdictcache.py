"""Schema verdicts remembered across runs: same facts and errors warm or cold, never
trusted for a changed file, and a corrupt or foreign cache is only a miss."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrails import verdictcache
from guardrails.errors import UsageError
from guardrails.plugin import SourceEnv
from guardrails.sources.files import FilesSource

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme" / "org"
TEAMS = (ACME / "teams.yaml").read_text(encoding="utf-8")
DEPLOYS = (ACME / "deployments.csv").read_text(encoding="utf-8")
PM_NAME = "2026-08-27-stale-search-index.md"
PM = (ACME / "postmortems" / PM_NAME).read_text(encoding="utf-8")


@pytest.fixture
def cache(startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The start-up cache folder, and the process's state of the cache forgotten."""
    monkeypatch.setattr(verdictcache, "_state", None)
    yield startup_cache
    monkeypatch.setattr(verdictcache, "_state", None)


def new_process() -> None:
    """What a run's exit and the next process's start do to the cache."""
    state = verdictcache._state
    if state is not None:
        verdictcache._write(state)
    verdictcache._state = None


def org(root: Path) -> Path:
    (root / "org" / "postmortems").mkdir(parents=True, exist_ok=True)
    (root / "org" / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    (root / "org" / "deployments.csv").write_text(DEPLOYS, encoding="utf-8")
    (root / "org" / "postmortems" / PM_NAME).write_text(PM, encoding="utf-8")
    return root


def gather(root: Path, cache_dir: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    env = SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC), window=timedelta(days=90),
                    cache_dir=cache_dir)
    src = FilesSource({"path": "org"}, env)
    src.validate()
    return src.gather(src.provides())


def stored(cache: Path) -> list[Path]:
    return sorted(cache.glob("verdicts-*.json"))


def test_a_warm_run_gives_the_same_facts_and_keeps_digests_not_data(
        tmp_path: Path, cache: Path) -> None:
    root = org(tmp_path)
    cold = gather(root)
    new_process()
    (file,) = stored(cache)
    text = file.read_text(encoding="utf-8")
    assert "Payments" not in text and "billing-api" not in text and "INC-726" not in text
    assert text.count("file:") == 3  # teams, deployments, the postmortem
    assert verdictcache.active()
    warm = gather(root)
    assert warm == cold
    state = verdictcache._state
    assert state is not None and not state["new"]  # every file known: nothing to write


def test_a_postmortem_the_fact_cache_keeps_is_not_kept_here_too(
        tmp_path: Path, cache: Path) -> None:
    # The fact cache holds a postmortem it keeps as known valid: a digest of it here
    # too cost two a file, and 4,096 postmortems filled this cache (then it kept nothing).
    root = org(tmp_path)
    facts = tmp_path / "facts"
    cold = gather(root, facts)
    new_process()
    (file,) = stored(cache)
    assert file.read_text(encoding="utf-8").count("file:") == 2  # teams, deployments
    assert list((facts / "files").glob("postmortems-*.bin"))
    assert gather(root, facts) == cold
    assert verdictcache._state is None  # every file from the fact cache: no verdict asked


def test_a_file_too_big_to_be_looked_up_is_not_kept(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A text over MAX_BYTES is never looked up, so keeping its digest (the encoding
    # and BLAKE2 of a whole file) kept a verdict no run could read.
    root = org(tmp_path)
    monkeypatch.setattr(verdictcache, "MAX_BYTES", len(DEPLOYS) - 1)
    cold = gather(root)
    new_process()
    (file,) = stored(cache)
    assert file.read_text(encoding="utf-8").count("file:") == 2  # teams, the postmortem
    assert gather(root) == cold


@pytest.mark.parametrize(("name", "bad"), [
    ("teams.yaml", TEAMS.replace("name: Payments", "name: [1]")),
    ("deployments.csv", DEPLOYS.replace("production,success", "production,maybe", 1)),
    (f"postmortems/{PM_NAME}", PM.replace("published_at: 2026-09-01", "published_at: [1]")),
])
def test_a_changed_file_is_validated_again(
        tmp_path: Path, cache: Path, name: str, bad: str) -> None:
    root = org(tmp_path)
    gather(root)
    new_process()
    (root / "org" / name).write_text(bad, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        gather(root)
    assert info.value.file is not None and name.split("/")[-1] in info.value.file
    new_process()  # the bad file is not remembered either
    with pytest.raises(UsageError):
        gather(root)


@pytest.mark.parametrize("damage", [
    b"", b"not json", b"\xff\xfe\x00\n\x00", "context", "payload", "truncated",
])
def test_a_corrupt_or_foreign_cache_is_a_miss(
        tmp_path: Path, cache: Path, damage: bytes | str) -> None:
    root = org(tmp_path)
    expected = gather(root)
    new_process()
    (file,) = stored(cache)
    good = file.read_bytes()
    head, _, payload = good.partition(b"\n")
    if damage == "context":
        bad = head.replace(b'"context": [', b'"context": ["3.0", ', 1) + b"\n" + payload
    elif damage == "payload":
        bad = head + b"\n" + payload.replace(b'": ["', b'": ["0', 1)
    elif damage == "truncated":
        bad = good[: len(good) // 2]
    else:
        assert isinstance(damage, bytes)
        bad = damage
    file.write_bytes(bad)
    assert gather(root) == expected
    state = verdictcache._state
    assert state is not None and state["known"] == {} and state["new"]
    new_process()  # rewritten whole
    verdictcache._load()
    assert verdictcache._state is not None and verdictcache._state["known"]


def test_a_forged_entry_for_a_bad_file_is_never_taken_for_another(
        tmp_path: Path, cache: Path) -> None:
    # An entry only ever vouches for the exact text it was made from.
    root = org(tmp_path)
    gather(root)
    new_process()
    (root / "org" / "teams.yaml").write_text(TEAMS.replace("name: Payments", "name: 7"), "utf-8")
    with pytest.raises(UsageError):
        gather(root)


def test_turned_off_nothing_is_read_or_written(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    root = org(tmp_path)
    gather(root)
    new_process()
    assert stored(cache) == []
    assert not verdictcache.active()


def test_bounded(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verdictcache, "MAX_ENTRIES", 3)
    for i in range(4):
        verdictcache.remember("k", f"text {i}")
    assert not verdictcache.active()  # too many: nothing more kept, nothing written
    new_process()
    assert stored(cache) == []
    assert verdictcache.text_of({"a": 1}) == '{"a":1}'
    assert verdictcache.text_of({1: "a"}) is None  # JSON would not give it back as it was
    assert verdictcache.text_of({"a": float("nan")}) is None
    assert verdictcache.text_of("x" * (verdictcache.MAX_BYTES + 1)) is None


def test_record_checks_made_once_and_file_texts_not_kept(cache: Path, tmp_path: Path) -> None:
    """Review of issue 15: ``record_check`` is memoised (a kind's schema is parsed and its
    check built once a process), and the whole-file verdict keeps no file text: a
    long-lived process (the pytest plugin, library use) reading changing files would
    otherwise hold every text it ever read."""
    from guardrails.sources import files_formats

    assert files_formats.record_check("teams") is files_formats.record_check("teams")
    for i in range(3):
        root = org(tmp_path / f"run{i}")
        (root / "org" / "teams.yaml").write_text(TEAMS + f"# run {i}\n", encoding="utf-8")
        gather(root)
    info = getattr(files_formats.file_known_valid, "cache_info", None)
    assert info is None or info().currsize == 0


def test_two_installs_sharing_the_folder_keep_their_own_file(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two checkouts (or venvs) of different code share ~/.cache/guardrails: each keeps
    its verdicts, rather than each run overwriting the other's and missing."""
    root = org(tmp_path)
    real = verdictcache._context()
    assert real is not None
    for code in ("other", "this"):
        monkeypatch.setattr(verdictcache, "_context", lambda code=code: [*real, code])
        gather(root)
        new_process()
    assert len(stored(cache)) == 2
    for code in ("other", "this"):
        monkeypatch.setattr(verdictcache, "_context", lambda code=code: [*real, code])
        gather(root)
        state = verdictcache._state
        assert state is not None and not state["new"]  # all known: its own file was kept
        new_process()
