"""Schema verdicts remembered across runs, so an unchanged org needs no schema engine.

Importing jsonschema-rs costs ~9-14 ms of every run's start-up (its extension
imports email.utils, socket, decimal and calendar; benchmarks/RESULTS.md,
"start-up"), a tenth of ``guardrails check`` on the example org, to say "valid"
about the same config and the same records as the run before. So
:func:`guardrails.fastvalid.predicate` with ``remember=True`` (the config, rule
and org data files; never a rule's own ``where``/``expect``) keeps the
instances it found valid, as their exact canonical JSON text, in one small
file beside the entry-point cache; a later run that meets exactly the same
instance under exactly the same schema takes the stored "valid" and does not
import the engine. Only "valid" is stored: anything else always goes to the
engine, and jsonschema still words every error.

What a stored verdict rests on is in its key: the cache format, Python's
version, guardrails' version and the size and modification time of every file
of the package (schemas and the custom keywords are code), the size and
modification time of the jsonschema-rs extension, and the schema itself (by
checksum of its ``repr``; schemas are the package's or a plugin's, never input).
The instance is compared by a cryptographic digest of its text, so crafted
data cannot collide with a stored one; an instance JSON cannot give back exactly (a date,
a non-text key, NaN, a tuple) is never looked up nor stored. The file is
bounded (:data:`MAX_ENTRIES` verdicts, texts up to :data:`MAX_BYTES`: a big
org simply stops remembering), read once a
process, and rewritten at exit only when the run met a verdict it did not
have. A corrupt, foreign or unreadable file is a miss; nothing in it is ever
executed. ``GUARDRAILS_NO_STARTUP_CACHE=1`` turns it off.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from guardrails.cachefiles import blake2, checksum, load_json_cache, package_files, store_json_cache

#: bump when what is stored, or how it is read, changes
_FORMAT = 1
#: the longest text (a config, a data file) looked up or kept
MAX_BYTES = 1024 * 1024
#: the most verdicts kept in all
MAX_ENTRIES = 4096

_state: dict[str, Any] | None = None


def _context() -> list[Any] | None:
    from guardrails import __version__
    from guardrails.cachefiles import code_fingerprint

    # The engine's files (its extension above all), found without importing it.
    engine = list(package_files("jsonschema_rs"))
    if not engine:
        return None
    return [sys.version, __version__, code_fingerprint(), engine]


def _load() -> dict[str, Any]:
    """This process's state: the file, its context, the stored and the seen verdicts."""
    global _state
    if _state is not None:
        return _state
    from guardrails.cachefiles import cache_dir, caches_disabled

    folder = None if caches_disabled() else cache_dir()
    ctx = _context() if folder is not None else None
    state: dict[str, Any] = {"file": None, "ctx": ctx, "known": {}, "seen": {},
                             "size": 0, "new": False, "full": False}
    _state = state
    if folder is None or ctx is None:
        return state
    # One file per context (Python, this code, the engine): two checkouts or installs
    # sharing the cache folder would otherwise overwrite each other's file on every run.
    file = folder / f"verdicts-{checksum(json.dumps(ctx).encode('utf-8', 'surrogatepass'))}.json"
    state["file"] = file
    # a FIFO there is a miss, not a hang
    stored = load_json_cache(file, 128 * MAX_ENTRIES, {"format": _FORMAT, "context": ctx})
    if isinstance(stored, dict):
        state["known"] = {k: frozenset(v) for k, v in stored.items()
                          if isinstance(k, str) and isinstance(v, list)
                          and all(isinstance(t, str) for t in v)}
    return state


def schema_key(schema_repr: str) -> str:
    """What a schema is remembered by: checksum and length of its ``repr``."""
    return f"{checksum(schema_repr.encode('utf-8', 'surrogatepass'))}:{len(schema_repr)}"


def text_of(instance: Any) -> str | None:
    """The exact canonical JSON text of ``instance``, or None when JSON cannot give it
    back as it is (then it is neither looked up nor remembered)."""
    from guardrails.cachefiles import json_exact

    if not json_exact(instance):
        return None
    try:
        text = json.dumps(instance, sort_keys=True, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return None
    return text if len(text) <= MAX_BYTES else None


def active() -> bool:
    """Whether verdicts are looked up and kept in this process (a cache folder is
    known and this run's verdicts still fit)."""
    state = _load()
    return state["file"] is not None and not state["full"]


def _digest(text: str) -> str:
    return blake2(text.encode("utf-8", "surrogatepass"), b"guardrails-valid")


def known_valid(key: str, text: str) -> bool:
    """Whether a run with this code found ``text`` valid under schema ``key``."""
    state = _load()
    known = state["known"].get(key)
    if not known:  # nothing kept under this schema (a first run): no digest to take
        return False
    digest = _digest(text)
    if digest in known:
        _seen(state, key, digest, new=False)
        return True
    return False


def remember(key: str, text: str) -> None:
    """Keep ``text`` as valid under schema ``key`` for later runs (at exit)."""
    _seen(_load(), key, _digest(text), new=True)


def _seen(state: dict[str, Any], key: str, digest: str, *, new: bool) -> None:
    if state["file"] is None or state["full"]:
        return
    bucket = state["seen"].setdefault(key, set())
    if digest in bucket:
        return
    state["size"] += 1
    if state["size"] > MAX_ENTRIES:
        state["full"] = True  # too big to be worth it: keep nothing more, write nothing
        state["seen"].clear()
        return
    bucket.add(digest)
    if new and not state["new"]:
        state["new"] = True
        atexit.register(_write, state)


def _write(state: dict[str, Any]) -> None:
    """Store this run's valid verdicts (what it met, stored or new), and the stored
    ones it did not meet while they fit. Never raises."""
    file: Path | None = state["file"]
    if file is None or state["full"] or not state["new"]:
        return
    seen: dict[str, set[str]] = {k: set(v) for k, v in state["seen"].items()}
    # What earlier runs kept stays too (another project's files) while it fits.
    if state["size"] + sum(map(len, state["known"].values())) <= MAX_ENTRIES:
        for k, v in state["known"].items():
            seen.setdefault(k, set()).update(v)
    with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
        payload = json.dumps({k: sorted(v) for k, v in sorted(seen.items())},
                             ensure_ascii=False).encode("utf-8", "surrogatepass")
        store_json_cache(file, {"format": _FORMAT, "context": state["ctx"]}, payload)
