"""The files source's cache of parsed records (guardrails/sources/files_cache.py and
files_cachefile.py).

A run with the cache cold, warm or off must print the same report, byte for
byte but the timings; a cache file that is damaged, foreign, huge, a FIFO, a
folder or a link is a miss; a data file whose bytes changed (size and
modification time kept) is parsed again; an error in a file is reported as
without the cache.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import check_outputs, run_cli

from guardrails.sources import files_cache, files_cachefile, files_postmortems, files_tables
from guardrails.sources.files_cache import FactCache

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme" / "guardrails.yaml"

CONFIG = """\
focus: {current: stability, reviewed_on: 2026-10-02}
rules: [builtin:stability, builtin:incidents, builtin:teams, builtin:delivery, builtin:goals,
        builtin:culture]
sources:
  files: {path: org}
timezone: Europe/Berlin
window: 90d
"""

# Every format the files source reads, nulls, a YAML alias, naive timestamps
# (the config's time zone), integer ids, a review of an unknown change (a
# warning), postmortems with sections and action items.
ORG = {
    "teams.yaml": """\
teams:
  - id: web
    members: &crew
      - {handle: ann}
      - {handle: ben, email: null}
      - {handle: cat}
  - id: billing
    parent: null
    members: *crew
""",
    "services.json": json.dumps({"services": [
        {"id": "shop", "owner": "web", "tier": 1},
        {"id": "invoices", "owner": "billing", "tier": None}]}),
    "goals.yaml": """\
goals:
  - id: 7
    team: web
    objective: Ship on any weekday
    key_results:
      - {metric: cfr, baseline: 0.2, target: 0.1, due: 2026-12-31}
""",
    "iterations.csv": "team,name,start,end,capacity,committed,unplanned,unit\n"
                      "web,S1,2026-10-05,2026-10-16,60,46,9,points\n"
                      "billing,S1,2026-10-05,2026-10-16,40,30,,points\n",
    "deployments.csv": "id,service,status,started_at,finished_at,changes,remediates\n"
                       + "".join(f"{100 + i},{'shop' if i % 2 else 'invoices'},"
                                 f"{'failure' if i % 7 == 0 else 'success'},"
                                 f"2026-{9 + i // 20:02d}-{1 + i % 20:02d}T10:00:00,"
                                 f"2026-{9 + i // 20:02d}-{1 + i % 20:02d}T10:20:00,"
                                 f"{i} {i + 1000},\n" for i in range(50)),
    "incidents.jsonl": "\n".join(json.dumps(r) for r in [
        {"id": 1, "title": "Checkout down", "severity": "SEV1", "service": "shop",
         "created_at": "2026-10-01T10:00:00Z", "resolved_at": "2026-10-01T12:00:00Z",
         "caused_by": 107},
        {"id": "INC-2", "title": None, "severity": "SEV2", "service": "invoices",
         "created_at": "2026-10-09T08:00:00+02:00", "resolved_at": None},
    ]) + "\n\n",
    "pull_requests.json": json.dumps([
        {"id": i, "repo": "acme/shop", "title": f"change {i}", "author": "ann",
         "created_at": "2026-09-20T09:00:00Z", "merged_at": f"2026-10-{1 + i % 27:02d}T09:00:00Z",
         "additions": 10 * i, "deletions": i,
         "reviews": [{"user": "ben", "state": "APPROVED", "submitted_at": "2026-09-30T10:00:00Z"}]}
        for i in range(30)], indent=1),
    "reviews.csv": "pull_request,user,state,submitted_at\n3,cat,APPROVED,2026-10-02T09:00:00Z\n"
                   "9999,cat,APPROVED,2026-10-02T09:00:00Z\n",
    "ci_runs.yaml": "ci_runs:\n" + "".join(
        f"  - {{id: r{i}, started_at: '2026-10-0{1 + i % 9}T10:00:00Z', "
        f"finished_at: '2026-10-0{1 + i % 9}T10:0{i % 9}:00Z', conclusion: success}}\n"
        for i in range(12)),
    "surveys/westrum.csv": "team,date,q1,q2,q3,q4,q5,q6\nweb,2026-10-12,5,6,7,6,7,7\n",
    "postmortems/2026-10-01-checkout.md": """\
---
incident: 1
status: reviewed
published_at: 2026-10-05
action_items:
  - {title: Add a canary, owner: ann, due: 2026-10-30, status: open}
---
# Checkout down

## Summary
The checkout was down for two hours.

## Contributing factors
A configuration change.
""",
    "postmortems/2026-10-09-invoices.md": """\
---
incident: INC-2
status: draft
---
# Invoices late

## Summary
Human error by the on-call engineer.
""",
}


def write_org(root: Path, files: dict[str, str] | None = None) -> Path:
    (root / "guardrails.yaml").write_text(CONFIG, "utf-8")
    for rel, text in (files or ORG).items():
        path = root / "org" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root / "guardrails.yaml"


def outputs(config: Path, tmp: Path, env: dict[str, str | None] | None = None, *,
            facts: bool = True) -> list[str]:
    """What a user sees of one run: the terminal report (-v), the JSON report and the
    facts, timings masked."""
    out = check_outputs(config, tmp / "report.json", "-v", env=env)
    if facts:
        shown = run_cli(["facts", "-c", str(config), "--now", "2026-11-20", "--format", "json"],
                        env=env)
        out += [f"exit {shown.exit_code}", shown.output]
    return out


def cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "files").glob("*.bin")) if (folder / "files").is_dir() \
        else []


def kept_kinds(folder: Path) -> set[str]:
    """The kinds kept: in files of their own, or in the folder's one tables file."""
    import marshal

    kinds = {name.split("-")[0] for name in cache_files(folder)} - {"tables"}
    for tables in (folder / "files").glob("tables-*.bin"):
        kinds |= set(marshal.loads(tables.read_bytes().partition(b"\n")[2]))
    return kinds


@pytest.fixture(params=["one-file", "own-files"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small tables in the folder's one tables file (as the example's), or every table
    in a file of its own (as a big one's: files_cache.BUNDLE_MAX)."""
    if request.param == "own-files":
        monkeypatch.setattr(files_cache, "BUNDLE_MAX", -1)
    return str(request.param)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(folder))
    return folder


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make parsing a data file fail loudly: a warm run must not parse any."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a data file was parsed although its records were cached")

    monkeypatch.setattr(files_tables, "read_table", refuse)
    monkeypatch.setattr(files_postmortems.postmortem, "parse", refuse)


@pytest.mark.parametrize("which", ["acme", "mixed"])
def test_cold_warm_and_off_print_the_same(which: str, tmp_path: Path, cache: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = ACME if which == "acme" else write_org(tmp_path)
    off = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert cache_files(cache) == []  # turned off: nothing kept
    cold = outputs(config, tmp_path)
    # two files: the tables, the postmortems (each file written costs a cold run)
    assert {name.split("-")[0] for name in cache_files(cache)} == {"tables", "postmortems"}
    kinds = kept_kinds(cache)
    expected = {"teams", "services", "goals", "iterations", "deployments", "incidents",
                "changes", "ci_runs", "survey_answers", "postmortems"}
    assert kinds == (expected if which == "acme" else {*expected, "reviews"})
    with monkeypatch.context() as m:
        _no_parsing(m)
        warm = outputs(config, tmp_path)
    assert off[0] in ("exit 0", "exit 1")
    for a, b, c in zip(off, cold, warm, strict=True):
        assert a == b == c
    if which == "mixed":  # what the mixed org is there to show
        assert "review of change 9999, which is not in the data" in warm[1]
        assert '"members"' in warm[4] and "2026-10-01T08:00:00" in warm[4]


def test_a_file_with_an_error_is_never_kept_and_reads_the_same(tmp_path: Path,
                                                                cache: Path) -> None:
    config = write_org(tmp_path)
    outputs(config, tmp_path)  # the good version is kept
    bad = tmp_path / "org" / "deployments.csv"
    bad.write_text(bad.read_text("utf-8").replace("2026-09-08T10:20:00", "2026-09-08T09:20:00"),
                   "utf-8")
    first = run_cli(["check", "-c", str(config), "--now", "2026-11-20"])
    again = run_cli(["check", "-c", str(config), "--now", "2026-11-20"])
    off = run_cli(["check", "-c", str(config), "--now", "2026-11-20"],
                  env={"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert first.exit_code == again.exit_code == off.exit_code == 4
    assert "finished before it started" in first.output
    assert first.output == again.output == off.output
    # The snapshot taken before the error was dropped: no temporary file is left,
    # and the entry kept is still the good version's.
    assert [p.name for p in (cache / "files").iterdir() if p.name.endswith(".tmp")] == []
    good = FactCache.open(cache, (tmp_path / "org").resolve())
    assert good is not None
    table, _ = good.table("deployments", ".csv", bad.read_bytes(), "x")
    assert table is None


def test_a_time_zone_change_is_not_hidden_by_the_cache(tmp_path: Path, cache: Path) -> None:
    # Naive timestamps are kept as parsed: normalising them still needs the config's zone.
    config = write_org(tmp_path)
    assert run_cli(["check", "-c", str(config), "--now", "2026-11-20"]).exit_code in (0, 1)
    config.write_text(CONFIG.replace("timezone: Europe/Berlin\n", ""), "utf-8")
    warm = run_cli(["check", "-c", str(config), "--now", "2026-11-20"])
    off = run_cli(["check", "-c", str(config), "--now", "2026-11-20"],
                  env={"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert warm.exit_code == off.exit_code == 4
    assert "has no UTC offset" in warm.output and warm.output == off.output


def test_changed_bytes_with_the_same_size_and_mtime_are_read_again(
        tmp_path: Path, cache: Path) -> None:
    config = write_org(tmp_path)
    path = tmp_path / "org" / "teams.yaml"
    run_cli(["facts", "-c", str(config), "teams", "--format", "json"])
    st = path.stat()
    text = path.read_text("utf-8")
    path.write_text(text.replace("id: web", "id: wex"), "utf-8")  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    out = run_cli(["facts", "-c", str(config), "teams", "--format", "json"]).output
    assert '"wex"' in out and '"web"' not in out


def _kept(cache: Path, kind: str) -> Path:
    """The file holding ``kind``: its own, else the folder's one tables file."""
    (found,) = list((cache / "files").glob(f"{kind}-*.bin")) or list(
        (cache / "files").glob("tables-*.bin"))
    return found


def _in_tables(path: Path) -> bool:
    return path.name.startswith("tables-")


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "foreign", "empty", "huge",
                                    "fifo", "folder", "link", "other-version", "shape",
                                    "deep", "not-data", "shared"])
def test_a_bad_cache_file_is_a_miss(damage: str, tmp_path: Path, cache: Path, layout: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_org(tmp_path)
    want = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    outputs(config, tmp_path, facts=False)
    for kind in ("deployments", "postmortems"):
        path = _kept(cache, kind)
        data = path.read_bytes()
        head, _, payload = data.partition(b"\n")
        if damage in ("fifo", "folder", "link", "huge"):
            path.unlink()
        if damage == "corrupt":
            flipped = bytes([payload[len(payload) // 2] ^ 0x55])
            mid = len(payload) // 2
            path.write_bytes(head + b"\n" + payload[:mid] + flipped + payload[mid + 1:])
        elif damage == "truncated":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "foreign":
            path.write_bytes(b"\x00\x01garbage" * 100)
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "huge":
            monkeypatch.setattr(files_cachefile, "MAX_CACHE_BYTES", len(data) - 1)
            path.write_bytes(data)
        elif damage == "fifo":
            os.mkfifo(path)  # opened without blocking: a miss, never a hang
        elif damage == "folder":
            path.mkdir()
        elif damage == "link":
            target = tmp_path / "elsewhere.bin"
            target.write_bytes(data)
            path.symlink_to(target)
        elif damage == "other-version":
            meta = json.loads(head)
            meta["context"][2] = "0.0.0-other"
            path.write_bytes(json.dumps(meta).encode() + b"\n" + payload)
        elif damage == "shape":  # the checksums right, the payload not what is written
            import marshal

            from guardrails.cachefiles import checksum

            meta = json.loads(head)
            forged = marshal.dumps(([1, 2], (), None, (), False, False, False) if
                                   kind == "deployments" else {"x": 1})
            if _in_tables(path):  # the tables file's shape right, one table's not
                stored = marshal.loads(payload)
                stored[kind] = (stored[kind][0], forged)
                forged = marshal.dumps(stored)
            meta.update(size=len(forged), payload=checksum(forged))
            path.write_bytes(json.dumps(meta).encode() + b"\n" + forged)
        elif damage in ("deep", "not-data", "shared"):
            # The checksums right and the shape written, a record's value not what a
            # parser gives: nested past any recursion limit, a code object, or 80
            # lists each holding the next twice (2**80 paths through 80 objects).
            path.write_bytes(_forged_value(head, payload, kind, damage, _in_tables(path)))
    assert outputs(config, tmp_path, facts=False) == want
    for kind in ("deployments", "postmortems"):
        if damage == "huge":
            break  # what the run wrote under the lowered bound is too big to read back
        path = _kept(cache, kind)
        if damage == "folder":
            assert path.is_dir()  # left as it was
        elif damage == "fifo":
            # replaced by a file (os.replace), never opened for writing: that would block
            assert path.is_file()
        elif damage == "link":
            assert path.is_file() and not path.is_symlink()  # replaced, target untouched
            assert (tmp_path / "elsewhere.bin").read_bytes() != b""
        else:
            assert path.read_bytes().startswith(b'{"format"')
    if damage not in ("huge", "folder"):
        # rewritten: the next run takes every record from the cache again
        _no_parsing(monkeypatch)
        assert outputs(config, tmp_path, facts=False) == want


def _forged_value(head: bytes, payload: bytes, kind: str, damage: str,
                  in_tables: bool = False) -> bytes:
    """A cache file as written but for one record's value (see the test above)."""
    import marshal

    from guardrails.cachefiles import checksum

    value: Any = compile("1", "forged", "eval")
    if damage == "deep":
        value = []
        for _ in range(1900):  # marshal writes at most ~2000 levels
            value = [value]
    elif damage == "shared":
        value = []
        for _ in range(80):
            value = [value, value]
    stored = marshal.loads(payload)
    if kind == "deployments":
        table = marshal.loads(stored[kind][1]) if in_tables else stored
        records = table[0]
        records[0] = {**records[0], "changes": value}
        forged = marshal.dumps(table, 4)
        if in_tables:
            stored[kind] = (stored[kind][0], forged)
            forged = marshal.dumps(stored, 4)
    else:  # postmortems: digest -> the stored form of one postmortem
        key = next(iter(stored))
        front, *rest = marshal.loads(stored[key])
        stored[key] = marshal.dumps(({**front, "incident": value}, *rest), 4)
        forged = marshal.dumps(stored, 4)
    meta = json.loads(head)
    meta.update(size=len(forged), payload=checksum(forged))
    return json.dumps(meta).encode() + b"\n" + forged


def test_a_forged_entry_must_match_the_files_digest(tmp_path: Path, cache: Path,
                                                     layout: str) -> None:
    # An entry is found by the digest of the file's bytes, not by its name or size.
    import marshal

    from guardrails.cachefiles import checksum

    config = write_org(tmp_path)
    outputs(config, tmp_path)
    path = _kept(cache, "teams")
    head, _, payload = path.read_bytes().partition(b"\n")
    meta = json.loads(head)
    raw = (tmp_path / "org" / "teams.yaml").read_bytes()

    def forge(digest: str) -> None:
        if _in_tables(path):  # the entry beside the table in the tables file
            stored = marshal.loads(payload)
            stored["teams"] = (["teams", ".yaml", digest], stored["teams"][1])
            forged = marshal.dumps(stored, 4)
            meta.update(size=len(forged), payload=checksum(forged))
            path.write_bytes(json.dumps(meta).encode() + b"\n" + forged)
        else:
            meta["entry"][2] = digest
            path.write_bytes(json.dumps(meta).encode() + b"\n" + payload)

    forge("0" * 64)
    source_cache = FactCache.open(cache, (tmp_path / "org").resolve())
    assert source_cache is not None
    table, pending = source_cache.table("teams", ".yaml", raw, "teams.yaml")
    assert table is None and pending is not None
    forge(files_cache.digest(raw))  # the right digest: a hit
    source_cache = FactCache.open(cache, (tmp_path / "org").resolve())
    assert source_cache is not None
    table, pending = source_cache.table("teams", ".yaml", raw, "teams.yaml")
    assert table is not None and pending is None and table.records[0]["id"] == "web"


def test_no_cache_inside_the_data_folder_and_none_when_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    org = (tmp_path / "org").resolve()
    org.mkdir()
    assert FactCache.open(org / ".cache", org) is None
    assert FactCache.open(None, org) is None
    assert FactCache.open(tmp_path / "c", org) is not None
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    assert FactCache.open(tmp_path / "c", org) is None


def test_a_big_data_file_is_not_kept(tmp_path: Path, cache: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_org(tmp_path)
    size = (tmp_path / "org" / "pull_requests.json").stat().st_size
    monkeypatch.setattr(files_cache, "MAX_DATA_BYTES", size - 1)
    outputs(config, tmp_path)
    kinds = kept_kinds(cache)
    assert "changes" not in kinds and "teams" in kinds


def test_deleted_and_edited_postmortems_are_dropped_from_the_cache(
        tmp_path: Path, cache: Path) -> None:
    config = write_org(tmp_path)
    outputs(config, tmp_path)
    (tmp_path / "org" / "postmortems" / "2026-10-09-invoices.md").unlink()
    outputs(config, tmp_path)
    source_cache = FactCache.open(cache, (tmp_path / "org").resolve())
    assert source_cache is not None
    assert len(source_cache._postmortems()) == 1


def test_the_cache_names_no_content_of_the_header(tmp_path: Path, cache: Path,
                                                   layout: str) -> None:
    # The header line is JSON (read without marshal); the records follow it.
    config = write_org(tmp_path)
    outputs(config, tmp_path)
    head = json.loads(_kept(cache, "teams").read_bytes().partition(b"\n")[0])
    assert set(head) == {"format", "context", "entry", "size", "payload"}
    assert head["format"] == 2
    if layout == "one-file":
        assert head["entry"] == ["tables"]  # each table's entry is in the payload
        return
    assert head["entry"][:2] == ["teams", ".yaml"]
    assert re.fullmatch(r"[0-9a-f]{64}", head["entry"][2])


def test_postmortems_too_many_bytes_to_read_back_are_not_written(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_org(tmp_path)
    monkeypatch.setattr(files_cachefile, "MAX_CACHE_BYTES", files_cachefile.HEAD_BYTES + 10)
    want = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    assert outputs(config, tmp_path, facts=False) == want
    assert not list((cache / "files").glob("postmortems-*.bin"))
    assert outputs(config, tmp_path, facts=False) == want


def test_tables_too_many_bytes_to_read_back_are_not_written(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A table's snapshot above what a read accepts would be written for nothing.
    config = write_org(tmp_path)
    monkeypatch.setattr(files_cachefile, "MAX_CACHE_BYTES", files_cachefile.HEAD_BYTES + 10)
    want = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    assert outputs(config, tmp_path, facts=False) == want
    assert not list((cache / "files").glob("*.bin"))
    assert not list((cache / "files").glob(".*.tmp"))
    assert outputs(config, tmp_path, facts=False) == want


def test_the_cache_folder_keeps_the_most_recent_folders_of_each_kind(
        tmp_path: Path, cache: Path) -> None:
    # One file per kind and data folder: a CI runner that checks out to a new path
    # each time would add a set of files every run. Each kind keeps the 16 most
    # recently written; nothing the cache did not name is touched.
    import time

    from guardrails.cacheprune import KEEP

    folder = cache / "files"
    folder.mkdir(parents=True)
    old = [folder / f"deployments-{i:016x}.bin" for i in range(KEEP + 4)]
    for i, path in enumerate(old):
        path.write_bytes(b"from another folder")
        os.utime(path, (time.time() - 1000 * (i + 1),) * 2)
    mine = [folder / "deployments-notes.bin", folder / "README"]
    for path in mine:
        path.write_bytes(b"mine")
        os.utime(path, (1, 1))
    config = write_org(tmp_path)
    outputs(config, tmp_path, facts=False)
    kept = sorted(p.name for p in folder.glob("deployments-*.bin") if p not in mine)
    assert len(kept) == KEEP and _kept(cache, "teams").exists()
    # the newest stayed, beside the one this run wrote
    assert set(kept) > {p.name for p in old[:KEEP - 1]}
    assert all(p.exists() for p in mine)


@pytest.mark.parametrize("damage", ["none", "garbage", "shape", "other-entry"])
def test_positions_found_once_are_read_back(damage: str, tmp_path: Path, cache: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Evidence in a YAML file is located by parsing its text with positions; the
    # first warm run keeps them beside the records, the next reads them back.
    want = outputs(ACME, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    outputs(ACME, tmp_path, facts=False)  # cold: the records kept
    assert outputs(ACME, tmp_path, facts=False) == want  # warm: positions found, kept
    kept = {p.name.split("-")[0]: p for p in (cache / "files").glob("*.pos")}
    assert {"incidents", "teams"} <= set(kept)
    head, _, payload = kept["incidents"].read_bytes().partition(b"\n")
    if damage == "garbage":
        kept["incidents"].write_bytes(b"\x00garbage" * 50)
    elif damage == "shape":  # the checksums right, the payload not positions
        import marshal

        from guardrails.cachefiles import checksum

        meta = json.loads(head)
        forged = marshal.dumps({("a",): ("1", 2)})
        meta.update(size=len(forged), payload=checksum(forged))
        kept["incidents"].write_bytes(json.dumps(meta).encode() + b"\n" + forged)
    elif damage == "other-entry":  # the teams file's positions under the incidents' name
        kept["incidents"].write_bytes(kept["teams"].read_bytes())
    if damage != "none":
        assert outputs(ACME, tmp_path, facts=False) == want  # a miss: found again, kept
        assert kept["incidents"].read_bytes().partition(b"\n")[2] == payload
    from guardrails.sources import files_formats

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("positions parsed although they were kept")

    monkeypatch.setattr(files_formats.yamlio, "positions_of", refuse)
    assert outputs(ACME, tmp_path, facts=False) == want


def test_evidence_positions_files_are_pruned_like_the_records(
        tmp_path: Path, cache: Path) -> None:
    import time

    from guardrails.cacheprune import KEEP

    folder = cache / "files"
    folder.mkdir(parents=True)
    old = [folder / f"incidents-{i:016x}.pos" for i in range(KEEP + 4)]
    for i, path in enumerate(old):
        path.write_bytes(b"from another folder")
        os.utime(path, (time.time() - 1000 * (i + 1),) * 2)
    outputs(ACME, tmp_path, facts=False)  # cold: the records kept
    outputs(ACME, tmp_path, facts=False)  # warm: the positions found and kept
    kept = list(folder.glob("incidents-*.pos"))
    assert len(kept) == KEEP
    assert old[-1] not in kept and old[0] in kept


@pytest.mark.parametrize("shape", ["list-entry", "text-payload", "number-key", "a-list",
                                   "too-many", "short-pair"])
def test_a_tables_file_of_another_shape_is_a_miss(shape: str, tmp_path: Path,
                                                  cache: Path) -> None:
    """The folder's one tables file, its checksums right, holding anything but
    ``{kind: (entry list, payload bytes)}``: every table read again, none trusted."""
    import marshal

    from guardrails.cachefiles import checksum

    config = write_org(tmp_path)
    want = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    outputs(config, tmp_path, facts=False)
    path = _kept(cache, "teams")
    head, _, payload = path.read_bytes().partition(b"\n")
    stored = marshal.loads(payload)
    entry, blob = stored["teams"]
    forged: Any = {
        "list-entry": {**stored, "teams": [entry, blob]},
        "text-payload": {**stored, "teams": (entry, "text")},
        "number-key": {**stored, 1: (entry, blob)},
        "a-list": list(stored.items()),
        "too-many": {**stored, **{f"k{i}": (entry, blob) for i in range(70)}},
        "short-pair": {**stored, "teams": (entry,)},
    }[shape]
    data = marshal.dumps(forged, 4)
    meta = json.loads(head)
    meta.update(size=len(data), payload=checksum(data))
    path.write_bytes(json.dumps(meta).encode() + b"\n" + data)
    source_cache = FactCache.open(cache, (tmp_path / "org").resolve())
    assert source_cache is not None
    raw = (tmp_path / "org" / "teams.yaml").read_bytes()
    assert source_cache.table("teams", ".yaml", raw, "teams.yaml")[0] is None
    assert outputs(config, tmp_path, facts=False) == want  # a miss, then kept again
    assert kept_kinds(cache) >= {"teams", "deployments"}


def test_a_run_that_reads_some_kinds_keeps_the_others_in_the_tables_file(
        tmp_path: Path, cache: Path) -> None:
    config = write_org(tmp_path)
    outputs(config, tmp_path, facts=False)
    everything = kept_kinds(cache)
    (tmp_path / "org" / "teams.yaml").write_text(
        (tmp_path / "org" / "teams.yaml").read_text("utf-8") + "\n", "utf-8")
    shown = run_cli(["facts", "-c", str(config), "teams", "--format", "json"])
    assert shown.exit_code == 0
    assert kept_kinds(cache) == everything  # teams stored again, the others still there
    source_cache = FactCache.open(cache, (tmp_path / "org").resolve())
    assert source_cache is not None
    raw = (tmp_path / "org" / "teams.yaml").read_bytes()
    assert source_cache.table("teams", ".yaml", raw, "teams.yaml")[0] is not None


def test_writing_the_tables_file_deletes_the_folders_own_files_it_supersedes(
        tmp_path: Path, cache: Path) -> None:
    """An older release kept each table in a file of its own (KIND-<checksum>.bin); the
    tables file holds the small ones now, so writing it deletes this folder's own file
    of each kind it holds, and nothing of another folder's, a link or a big table's."""
    config = write_org(tmp_path)
    mine = FactCache(cache / "files", (tmp_path / "org").resolve())
    folder = cache / "files"
    folder.mkdir(parents=True)
    retired = [mine._file(kind) for kind in ("teams", "deployments", "incidents")]
    for path in retired:
        path.write_bytes(b"an older release's table")
    others = [folder / f"teams-{1:016x}.bin",  # another data folder's
              mine._file("teams").with_suffix(".pos"),  # positions: still read
              folder / f"{mine._file('teams').name}.bak"]
    for path in others:
        path.write_bytes(b"not this write's to delete")
    target = tmp_path / "elsewhere.bin"
    target.write_bytes(b"keep me")
    mine._file("goals").symlink_to(target)
    want = outputs(config, tmp_path, env={"GUARDRAILS_NO_STARTUP_CACHE": "1"}, facts=False)
    assert outputs(config, tmp_path, facts=False) == want  # cold: the tables file written
    assert list(folder.glob("tables-*.bin")) and not any(p.exists() for p in retired)
    assert all(p.read_bytes() == b"not this write's to delete" for p in others)
    assert mine._file("goals").is_symlink() and target.read_bytes() == b"keep me"


def test_the_postmortem_part_names_what_its_host_must_give() -> None:
    """``PostmortemEntries`` needs ``_file`` and ``max_data_bytes`` from its host: a host
    without one cannot be made (it was made, and failed with NotImplementedError at the
    first postmortem), and ``FactCache`` gives both."""
    from guardrails.sources.files_postmortemcache import PostmortemEntries

    class NoSizeLimit(PostmortemEntries):
        def _file(self, kind: str) -> Path:
            return Path(kind)

    with pytest.raises(TypeError, match="max_data_bytes"):
        NoSizeLimit()  # type: ignore[abstract]
    assert not getattr(FactCache, "__abstractmethods__", None)
