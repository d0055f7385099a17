"""The builtin packs' cache: same rules warm or cold, and never trusted when it should not be."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import collect_rules, write

from guardrails import packdata, rulepaths
from guardrails.errors import UsageError
from guardrails.model import Rule

ALL_BUILTIN = "rules:\n" + "".join(f"  - builtin:{name}\n" for name in rulepaths.builtin_packs())


@pytest.fixture(autouse=True)
def _no_shipped_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pack cache keeps what no shipped verdict answers (an edited builtin pack,
    a blocked builtin, another release's verdicts): here, every builtin pack."""
    monkeypatch.setattr(packdata, "VALIDATED", {})


def collect(root: Path, config: str = ALL_BUILTIN, **options: object) -> list[Rule]:
    return collect_rules(root, config, **options)


def pack_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("packs-*.json"))


def test_a_warm_run_builds_the_same_rules_as_a_cold_one(
        tmp_path: Path, startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = collect(tmp_path / "p")
    # One file for all the builtin packs (each file written costs a cold run ~0.5 ms)
    [file] = pack_files(startup_cache)
    head = json.loads(file.read_bytes().partition(b"\n")[0])
    assert head["format"] == 3 and len(head["packs"]) == len(rulepaths.builtin_packs())
    warm = collect(tmp_path / "p")
    assert warm == cold
    assert [r.line for r in warm] == [r.line for r in cold]
    # focus overrides applied from the cache as from the file
    focused = collect(tmp_path / "p", ALL_BUILTIN + "focus:\n  current: stability\n")
    assert any(r.focus_applied == "stability" for r in focused)
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    for file in pack_files(startup_cache):
        file.unlink()
    assert collect(tmp_path / "p", ALL_BUILTIN + "focus:\n  current: stability\n") == focused
    assert pack_files(startup_cache) == []  # turned off: nothing written either


@pytest.mark.parametrize("damage", [
    b"",
    b"not json at all",
    b'{"format": 1}\n{"data": {}}',
    b"\xff\xfe\x00garbage\n\x00",
    "header",      # another context (a foreign install or Python)
    "payload",     # the payload damaged under a good header
    "truncated",
])
def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(
        tmp_path: Path, startup_cache: Path, damage: bytes | str) -> None:
    expected = collect(tmp_path / "p")
    for file in pack_files(startup_cache):
        good = file.read_bytes()
        header, _, payload = good.partition(b"\n")
        if damage == "header":
            bad = header.replace(b'"context": [', b'"context": ["3.0", ', 1) + b"\n" + payload
        elif damage == "payload":
            bad = header + b"\n" + payload.replace(b'"id": "', b'"id": "X', 1)
        elif damage == "truncated":
            bad = good[: len(good) // 2]
        else:
            assert isinstance(damage, bytes)
            bad = damage
        assert bad != good
        file.write_bytes(bad)
    assert collect(tmp_path / "p") == expected
    assert collect(tmp_path / "p") == expected  # rewritten, and read back
    assert all(f.read_bytes().startswith(b'{"format": 3') for f in pack_files(startup_cache))


def _builtin_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "builtin"
    shutil.copytree(rulepaths.builtin_rules_dir(), folder)
    monkeypatch.setattr(rulepaths, "builtin_rules_dir", lambda: folder)
    return folder


def test_a_pack_that_changes_is_read_again(tmp_path: Path, startup_cache: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _builtin_copy(tmp_path, monkeypatch)
    config = "rules:\n  - builtin:teams\n"
    before = collect(tmp_path / "p", config)
    pack = folder / "teams.yaml"
    text = pack.read_text("utf-8")
    st = pack.stat()
    # Same size, same modification time: only the checksum tells.
    at = text.index("title: ") + len("title: ")
    changed = text[:at] + ("Z" if text[at] != "Z" else "Y") + text[at + 1:]
    assert len(changed) == len(text) and changed != text
    pack.write_text(changed, "utf-8")
    os.utime(pack, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = collect(tmp_path / "p", config)
    assert [r.title for r in after] != [r.title for r in before]
    # and a pack broken after it was cached is reported, not taken from the cache
    pack.write_text(text.replace("check: ", "check: no_such_", 1), "utf-8")
    with pytest.raises(UsageError, match="unknown check 'no_such_"):
        collect(tmp_path / "p", config)


def test_an_unwritable_cache_folder_costs_only_the_validation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("GUARDRAILS_NO_STARTUP_CACHE", raising=False)
    first = collect(tmp_path / "p")
    assert collect(tmp_path / "p") == first
    assert blocker.read_text() == "not a folder"


def test_the_configs_override_of_a_cached_rule_is_still_validated(
        tmp_path: Path, startup_cache: Path) -> None:
    collect(tmp_path / "p")
    assert pack_files(startup_cache)
    bad = ALL_BUILTIN + "overrides:\n  teams::two-pizza-teams:\n    no_such_key: 3\n"
    with pytest.raises(UsageError, match="no_such_key"):
        collect(tmp_path / "p", bad)
    good = collect(tmp_path / "p", ALL_BUILTIN + "overrides:\n  teams::two-pizza-teams:\n"
                   "    severity: warning\n")
    assert {r.nodeid: r.severity for r in good}["teams::two-pizza-teams"] == "warning"


def test_a_plugin_that_is_not_ours_turns_the_cache_off(tmp_path: Path, startup_cache: Path) -> None:
    root = tmp_path / "p"
    write(root, "guardrails_plugins.py", "X = 1\n")
    collect(root)
    assert pack_files(startup_cache) == []


def test_blocking_a_builtin_plugin_is_part_of_the_key(tmp_path: Path, startup_cache: Path) -> None:
    teams = "rules:\n  - builtin:teams\n"
    collect(tmp_path / "p", teams)
    [file] = pack_files(startup_cache)
    assert b'"reporter-html"' not in file.read_bytes().partition(b"\n")[0]
    blocked = collect(tmp_path / "p", teams, disabled_plugins=("reporter-html",))
    assert b'"reporter-html"' in file.read_bytes().partition(b"\n")[0]  # stored again
    assert collect(tmp_path / "p", teams, disabled_plugins=("reporter-html",)) == blocked
    with pytest.raises(UsageError, match="unknown check 'teams.slack_in_plans'"):
        collect(tmp_path / "p", teams, disabled_plugins=("checks-teams",))


def test_turned_off_the_entry_point_cache_is_neither_read_nor_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import installed

    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    installed._cached.cache_clear()
    try:
        assert installed.pluggy_version()
        assert not (tmp_path / "c").exists()
    finally:
        installed._cached.cache_clear()


@pytest.mark.parametrize("forge", [
    lambda e: [e[0], e[1], e[2] + 10**6, e[3]],        # a length past the end
    lambda e: [e[0], -1, e[2], e[3]],                   # an offset before the start
    lambda e: [e[0], e[1] + 1, e[2], e[3]],             # another span: its checksum fails
    lambda e: [e[0], e[1], e[2], "0" * 16],             # a checksum that is not the span's
    lambda e: [[*e[0][:-1], "0" * 16], *e[1:]],         # the key of other pack bytes
    lambda e: [e[0], float(e[1]), e[2], e[3]],          # not an integer
    lambda e: {"key": e[0]},                            # not an entry
    lambda e: e[:3],
])
def test_a_forged_entry_of_the_packs_file_is_a_miss(
        tmp_path: Path, startup_cache: Path, forge: object) -> None:
    expected = collect(tmp_path / "p")
    [file] = pack_files(startup_cache)
    line, _, body = file.read_bytes().partition(b"\n")
    head = json.loads(line)
    head["packs"] = {name: forge(entry)  # type: ignore[operator]
                     for name, entry in head["packs"].items()}
    file.write_bytes(json.dumps(head).encode() + b"\n" + body)
    assert collect(tmp_path / "p") == expected  # validated again, not trusted
    again = json.loads(file.read_bytes().partition(b"\n")[0])
    # rewritten (compared as text: 12109.0 == 12109 in Python)
    assert json.dumps(again["packs"]) != json.dumps(head["packs"])
    assert len(again["packs"]) == len(head["packs"])
    assert collect(tmp_path / "p") == expected


def test_a_run_of_some_packs_keeps_the_others_and_writes_nothing_when_all_hit(
        tmp_path: Path, startup_cache: Path) -> None:
    teams = "rules:\n  - builtin:teams\n"
    only = collect(tmp_path / "p", teams)
    [file] = pack_files(startup_cache)
    assert len(json.loads(file.read_bytes().partition(b"\n")[0])["packs"]) == 1
    everything = collect(tmp_path / "p")  # teams from the file, the others stored beside it
    head = json.loads(file.read_bytes().partition(b"\n")[0])
    assert len(head["packs"]) == len(rulepaths.builtin_packs())
    before = file.stat().st_mtime_ns, file.read_bytes()
    assert collect(tmp_path / "p", teams) == only  # all hits: the file is not written again
    assert collect(tmp_path / "p") == everything
    assert (file.stat().st_mtime_ns, file.read_bytes()) == before


def test_two_entries_swapped_in_the_packs_file_give_no_pack_the_others_parse(
        tmp_path: Path, startup_cache: Path) -> None:
    """Each entry's checksum is right for its own bytes; swapping two entries' places
    in the header must still not hand a pack another pack's parse."""
    expected = collect(tmp_path / "p")
    [file] = pack_files(startup_cache)
    line, _, body = file.read_bytes().partition(b"\n")
    head = json.loads(line)
    a, b = sorted(head["packs"])[:2]
    ea, eb = head["packs"][a], head["packs"][b]
    head["packs"][a], head["packs"][b] = [ea[0], *eb[1:]], [eb[0], *ea[1:]]
    file.write_bytes(json.dumps(head).encode() + b"\n" + body)
    assert collect(tmp_path / "p") == expected


def test_writing_the_packs_file_deletes_the_one_pack_files_of_older_releases(
        tmp_path: Path, startup_cache: Path) -> None:
    """Format 1 kept a file a pack (pack-NAME-<checksum>.json), which no run reads now:
    writing the packs file deletes them, and nothing else: not a link of that name
    (nor its target), not a folder, not a name of another shape, not another cache's."""
    import time

    from guardrails import cacheprune

    startup_cache.mkdir(parents=True, exist_ok=True)
    retired = [startup_cache / f"pack-{name}-{i:016x}.json"
               for i, name in enumerate(["teams", "stability", "x" * 40])]
    left = startup_cache / f".pack-teams-{9:016x}.json.{'a' * 16}.tmp"  # a killed write
    for path in [*retired, left]:
        path.write_text("{}")
    os.utime(left, (time.time() - 7200,) * 2)
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    kept = [startup_cache / f"pack-{'y' * 41}-{1:016x}.json",  # longer than a stem was
            startup_cache / f"pack--{2:016x}.json", startup_cache / f"pack-teams-{3:016x}.yaml",
            startup_cache / f"doc-guardrails-{4:016x}.json", startup_cache / "pack-teams.json",
            startup_cache / "notes.txt"]
    for path in kept:
        path.write_text("mine")
    link = startup_cache / f"pack-link-{5:016x}.json"
    link.symlink_to(target)
    folder = startup_cache / f"pack-dir-{6:016x}.json"
    folder.mkdir()
    collect(tmp_path / "p")  # cold: the packs file is written
    assert pack_files(startup_cache) and not any(p.exists() for p in [*retired, left])
    assert all(p.read_text() == "mine" for p in kept)
    assert link.is_symlink() and target.read_text() == "keep me" and folder.is_dir()
    # bounded: a folder of many retired files loses RETIRED_MAX of them a write
    many = [startup_cache / f"pack-teams-{i:016x}.json" for i in range(100, 300)]
    for path in many:
        path.write_text("{}")
    for file in pack_files(startup_cache):
        file.unlink()
    collect(tmp_path / "p")
    assert sum(p.exists() for p in many) == len(many) - cacheprune.RETIRED_MAX
    # a warm run (nothing written) deletes nothing
    collect(tmp_path / "p")
    assert sum(p.exists() for p in many) == len(many) - cacheprune.RETIRED_MAX


def test_a_retired_file_that_cannot_be_deleted_is_no_error(
        tmp_path: Path, startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A delete refused (a read-only folder; this suite may run as root, whom no mode
    stops, so the refusal is the system call's): the run goes on, the file stays."""
    startup_cache.mkdir(parents=True, exist_ok=True)
    stuck = startup_cache / f"pack-teams-{1:016x}.json"
    stuck.write_text("{}")
    unlink = os.unlink

    def refuse(path: object, *args: object, **kwargs: object) -> None:
        if str(path) == str(stuck):
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", refuse)
    assert collect(tmp_path / "p") and pack_files(startup_cache)
    assert stuck.exists()
