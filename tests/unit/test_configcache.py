"""The config's parse kept by its bytes (configcache.load_document): same Config warm
or cold, a changed byte or a forged cache file is a miss, and a warm check parses
no YAML at all (PyYAML not even imported: tests/unit/test_startup.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write

from guardrails import yamlio
from guardrails.config import RunOptions, load_config
from guardrails.errors import UsageError

CONFIG = """\
rules:
  - builtin:teams
focus:
  current: stability
  reviewed_on: 2026-11-01
waivers:
  - rule: teams::two-pizza-teams
    reason: "a reorg in progress"
    expires: 2026-12-31
"""


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every YAML parse from now on."""
    seen: list[str] = []
    real = yamlio.load

    def load(text: str, display: str, **kw: object):  # type: ignore[no-untyped-def]
        seen.append(display)
        return real(text, display, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(yamlio, "load", load)
    return seen


def test_a_warm_load_is_the_cold_one_without_a_parse(
        tmp_path: Path, startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "guardrails.yaml", CONFIG)
    cold = load_config(path, RunOptions())
    assert len(list(startup_cache.glob("doc-guardrails-*.json"))) == 1
    seen = _parses(monkeypatch)
    warm = load_config(path, RunOptions())
    assert seen == []
    assert (warm.data, warm.positions) == (cold.data, cold.positions)
    assert warm.line_of("waivers", 0, "reason") == cold.line_of("waivers", 0, "reason") == 8


def test_a_changed_byte_is_parsed_again(tmp_path: Path, startup_cache: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "guardrails.yaml", CONFIG)
    load_config(path, RunOptions())
    st = path.stat()
    path.write_text(CONFIG.replace("stability", "throughput"), "utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same time
    seen = _parses(monkeypatch)
    assert load_config(path, RunOptions()).data["focus"]["current"] == "throughput"
    assert len(seen) == 1 and seen[0].endswith("guardrails.yaml")


@pytest.mark.parametrize("damage", ["garbage", "payload", "positions"])
def test_a_forged_cache_file_is_a_miss_and_rewritten(
        tmp_path: Path, startup_cache: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "guardrails.yaml", CONFIG)
    cold = load_config(path, RunOptions())
    (file,) = startup_cache.glob("doc-guardrails-*.json")
    good = file.read_bytes()
    header, _, payload = good.partition(b"\n")
    if damage == "garbage":
        bad = b"\x00not a cache file"
    elif damage == "payload":  # a value changed under the header's checksum
        bad = header + b"\n" + payload.replace(b"a reorg", b"A reorg")
    else:  # a good checksum over positions of the wrong shape
        from guardrails.cachefiles import checksum

        forged = payload.replace(b'"positions": [', b'"positions": [["x"], ', 1)
        head = header.replace(checksum(payload).encode(), checksum(forged).encode())
        bad = head + b"\n" + forged
    file.write_bytes(bad)
    seen = _parses(monkeypatch)
    again = load_config(path, RunOptions())
    assert len(seen) == 1 and seen[0].endswith("guardrails.yaml")
    assert (again.data, again.positions) == (cold.data, cold.positions)
    assert file.read_bytes() == good


def test_what_json_cannot_give_back_is_not_kept(tmp_path: Path, startup_cache: Path) -> None:
    path = write(tmp_path, "guardrails.yaml", CONFIG + "1: a number as a key\n")
    with pytest.raises(UsageError):
        load_config(path, RunOptions())  # the schema refuses the key, as before
    assert list(startup_cache.glob("doc-*.json")) == []


def test_turned_off_it_is_neither_read_nor_written(
        tmp_path: Path, startup_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    path = write(tmp_path, "guardrails.yaml", CONFIG)
    load_config(path, RunOptions())
    assert list(startup_cache.glob("doc-*.json")) == []
