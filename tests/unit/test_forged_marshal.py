"""A forged cache payload that claims a huge list or tuple is a quick miss.

marshal makes a list or tuple as long as its data claims before reading an
item: a files-cache ``.bin`` (or git history) whose checksums are right and
whose payload claims 2**31 - 1 items cost ~4.5 s (a list) or ~43 s and
16 GiB (a tuple) before marshal found the data short.
``guardrails.cachefiles.load_marshal`` caps the process's data for the load
(Linux), so such a claim fails at once; the run is as without the cache.
Without the cap the first tests here would take seconds; with it, they take
milliseconds.
"""

from __future__ import annotations

import json
import marshal
import resource
import sys
import zlib
from pathlib import Path

import pytest
from helpers import check_outputs, make_project

from guardrails import cachefiles
from guardrails.cachefiles import checksum
from guardrails.sources import gitcache

CLAIM = (2**31 - 1).to_bytes(4, "little")


def _cap_works() -> bool:
    lift = cachefiles._cap_data(0)
    if lift is None:
        return False
    lift()
    return True


capped = pytest.mark.skipif(not sys.platform.startswith("linux") or not _cap_works(),
                            reason="the data cap is Linux's RLIMIT_DATA; without it this "
                                   "test would take seconds and gigabytes")


def _report(config: Path, env: dict[str, str]) -> list[str]:
    return check_outputs(config, config.parent / "report.json", "-v", env=env)


def _forge(file: Path, payload: bytes) -> None:
    """Put ``payload`` in a files-cache file, header (size, checksums) made to match."""
    head = json.loads(file.read_bytes().partition(b"\n")[0])
    head.update(size=len(payload), payload=checksum(payload))
    file.write_bytes(json.dumps(head).encode() + b"\n" + payload)


# A table's stored form is a 7-tuple (records, columns, starts, prefix, nulls,
# single, has_text). Forged: the records list itself claims 2**31 - 1 items, or
# a record's value is a tuple claiming 2**26 (512 MiB of pointers to clear).
FORGED = {
    "records": b")\x07[" + CLAIM + b"N",
    "value": b")\x07[\x01\x00\x00\x00{z\x02id(" + (2**26).to_bytes(4, "little") + b"N",
}


@capped
@pytest.mark.parametrize("where", [*sorted(FORGED), "tables"])
def test_a_forged_size_in_the_files_cache_is_a_miss(where: str, tmp_path: Path) -> None:
    """A table forged inside the folder's one tables file (``records``, ``value``), or
    the tables file's own payload claiming 2**31 - 1 items (``tables``)."""
    config = make_project(tmp_path / "project")
    cache = tmp_path / "cache"
    env = {"GUARDRAILS_CACHE_DIR": str(cache)}
    want = _report(config, {"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert _report(config, env) == want
    (kept,) = (cache / "files").glob("tables-*.bin")
    good = marshal.loads(kept.read_bytes().partition(b"\n")[2])
    if where == "tables":
        _forge(kept, b"[" + CLAIM + b"N")
    else:
        forged = dict(good)
        forged["teams"] = (good["teams"][0], FORGED[where])
        _forge(kept, marshal.dumps(forged))
    before = resource.getrlimit(resource.RLIMIT_DATA)
    assert _report(config, env) == want
    assert resource.getrlimit(resource.RLIMIT_DATA) == before  # the cap was lifted
    # the miss parsed the file and kept it again
    assert marshal.loads(kept.read_bytes().partition(b"\n")[2]) == good


@capped
@pytest.mark.parametrize("code", [b"[", b"("])  # a list, a tuple
def test_a_forged_size_in_the_git_cache_is_a_miss(code: bytes, tmp_path: Path) -> None:
    payload = code + CLAIM
    path = gitcache.cache_path(tmp_path, "forged")
    path.parent.mkdir(parents=True)
    path.write_bytes(gitcache.seal(payload, marshal.dumps({})))
    warned: list[str] = []
    assert gitcache.load(tmp_path, "forged", warned.append) is None
    assert len(warned) == 1 and "MemoryError" in warned[0], warned
    # the file's second part, loaded when facts are built: the same cap, a damage
    data = {"_cold": memoryview(payload), "_cold_crc": zlib.crc32(payload)}
    assert gitcache.check.rest_problem(data) == "unreadable (MemoryError)"


@capped
@pytest.mark.parametrize("code", [b"[", b"(", b"\xdb", b"\xa8"])
def test_load_marshal_refuses_a_claim_beyond_its_room(code: bytes) -> None:
    with pytest.raises(MemoryError):
        cachefiles.load_marshal(code + CLAIM + b"N")


def test_load_marshal_reads_what_marshal_wrote() -> None:
    """The room is generous: the most memory a real payload needs per byte (a list of
    empty dicts, ~36 bytes a payload byte) loads under the cap."""
    before = resource.getrlimit(resource.RLIMIT_DATA)
    for value in ([{} for _ in range(200_000)], [None] * 1_000_000,
                  {"records": [{"id": f"d{i}", "n": i, "at": None} for i in range(50_000)]},
                  (), b"", "text"):
        assert cachefiles.load_marshal(marshal.dumps(value, 4)) == value
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    with pytest.raises(EOFError):
        cachefiles.load_marshal(b"[\x05\x00\x00\x00N")  # a short claim: marshal's own error



@capped
def test_capped_loads_take_turns() -> None:
    # Each load saves the limit it finds and puts it back. Two at once could
    # interleave so that one saves the other's cap and restores it after the
    # other lifted it, leaving the process capped: so loads take turns.
    import threading

    before = resource.getrlimit(resource.RLIMIT_DATA)
    payload = marshal.dumps([{"id": str(i)} for i in range(10)])
    done = threading.Event()
    loaded: list[object] = []

    def load() -> None:
        loaded.append(cachefiles.load_marshal(payload))
        done.set()

    with cachefiles._CAP_LOCK:  # a load in progress
        thread = threading.Thread(target=load)
        thread.start()
        assert not done.wait(0.3)  # the second waits for the first
    assert done.wait(30)
    thread.join()
    assert loaded == [[{"id": str(i)} for i in range(10)]]
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
