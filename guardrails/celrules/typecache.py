"""CEL expressions checked by an earlier run, remembered: no parser, no type checker.

A rule's expression is parsed (:mod:`.parse`) and typed against its fact kind
(:mod:`.check`) before the runtime compiles it; on the example org, importing
those two modules and their types is ~2.5 ms of every ``check`` for the same
three builtin expressions as the run before (benchmarks/RESULTS.md,
"start-up, boot3"). So :func:`guardrails.celrules.runtime.check_expression`
keeps what the check found for an expression that passed it: the fields it
reads (:class:`~guardrails.celrules.uses.Uses`), the kinds it reaches through
links and the type it gives (a ``group_by`` naming a list is refused by its
type, :func:`guardrails.celrules.rules.list_group_problems`), in one small
file beside the other start-up caches (docs/configuration.md, "Caches"); a
later run meeting the same expression takes them from there and only
compiles it with the runtime, which still refuses what it cannot run (in
the words it refused it with the first time).

The key holds everything the check reads: the expression, its kind, the names
it sees as lists, the type it must give, and the run's whole kind registry
(:attr:`~guardrails.kinds.KindRegistry.stable_fingerprint`: every kind's
schema, fields and links, a plugin's included), by a BLAKE2b-256 digest; the
file's context is Python's version, guardrails' version and the size and
modification time of every file of the package (the checker and the shipped
schemas are code). Only a success is stored: an expression with a problem is
checked, and its problem worded, every time. The file is bounded
(:data:`MAX_ENTRIES`), read once a process and rewritten at exit only when
the run met an expression it did not have; a corrupt, foreign or unreadable
file is a miss and nothing in it is executed. ``GUARDRAILS_NO_STARTUP_CACHE=1``
turns it off.

Under the file, :mod:`guardrails.celrules.shipped`: the same entries for the
builtin packs' expressions over the builtin kinds, written ahead of time by
``python -m guardrails.celrules.shipgen``, so that a run without its caches (a
CI job's first run, or with them off) checks none of them either. It is code,
not a cache: answered by the same key (expression, kind, lists, wanted type
and the run's whole kind registry, so a plugin's kind or any change to a
builtin kind is a miss and the expression is checked), used with the caches
off too, and kept current with the checker by tests/unit/test_cel_shipped.py,
which regenerates it and fails on one byte of difference.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.cachefiles import blake2, checksum, load_json_cache, store_json_cache
from guardrails.celrules.uses import Checked, Uses

if TYPE_CHECKING:
    from guardrails.kinds import KindRegistry

#: bump when what is stored, or how it is read, changes (2: the type was added)
_FORMAT = 2
#: the most expressions kept
MAX_ENTRIES = 1024

_state: dict[str, Any] | None = None
#: the shipped entries (None: not imported yet; shipgen sets {} while it regenerates them)
_shipped: dict[str, Any] | None = None


def _shipped_entries() -> dict[str, Any]:
    global _shipped
    if _shipped is None:
        from guardrails.celrules.shipped import ENTRIES

        _shipped = ENTRIES
    return _shipped


def _load() -> dict[str, Any]:
    """This process's state: the file, its context, the stored and the new entries."""
    global _state
    if _state is not None:
        return _state
    from guardrails import __version__
    from guardrails.cachefiles import cache_dir, caches_disabled, code_fingerprint

    folder = None if caches_disabled() else cache_dir()
    state: dict[str, Any] = {"file": None, "known": {}, "new": {}, "ctx": None,
                             "dirty": False}
    _state = state
    if folder is None:
        return state
    state["ctx"] = [sys.version, __version__, code_fingerprint()]
    # One file per context: installs sharing the folder do not overwrite each other's.
    name = checksum(json.dumps(state["ctx"]).encode("utf-8", "surrogatepass"))
    file = state["file"] = folder / f"cel-types-{name}.json"
    # a FIFO there is a miss, not a hang
    stored = load_json_cache(file, 4096 * MAX_ENTRIES,
                             {"format": _FORMAT, "context": state["ctx"]})
    if isinstance(stored, dict) and len(stored) <= MAX_ENTRIES:
        state["known"] = stored
    return state


@functools.lru_cache(maxsize=16)
def _registry_json(fingerprint: str) -> str:
    """A registry's stable fingerprint as JSON text: the key's costly part."""
    return json.dumps(fingerprint, ensure_ascii=False)


def key_of(src: str, kind: str | None, kinds: KindRegistry, lists: tuple[str, ...],
           want: str | None) -> str:
    """What an expression's check is remembered (or shipped) by."""
    # the registry's JSON (~6 KB of escaped text) once a registry, not once an
    # expression: the same text as dumping the whole list
    tail = _registry_json(kinds.stable_fingerprint)
    head = json.dumps([src, kind, list(lists), want], ensure_ascii=False)
    text = f"{head[:-1]}, {tail}]"
    return blake2(text.encode("utf-8", "surrogatepass"), b"guardrails-cel")


def lookup(key: str) -> Checked | None:
    """What a run found (or shipgen shipped) for ``key``; None when unknown."""
    entry = _load()["known"].get(key)
    shipped = entry is None
    if shipped:
        entry = _shipped_entries().get(key)
        if entry is None:
            return None
    try:
        plain_uses, reached, type_name, type_text = entry
        if not (isinstance(plain_uses, dict) and isinstance(reached, list)
                and all(isinstance(k, str) for k in reached)
                and isinstance(type_name, str) and isinstance(type_text, str)):
            raise ValueError("not an entry")
        uses = {str(name): Uses.from_plain(tree) for name, tree in plain_uses.items()}
    except (ValueError, TypeError):
        return None  # damaged: checked again, and stored right at exit
    if not shipped:  # kept in the file (a shipped entry needs no file)
        _load()["new"][key] = entry
    return Checked(uses, frozenset(reached), type_name, type_text, fresh=False)


def remember(key: str, checked: Checked) -> None:
    """Keep what the check of ``key`` found (written at exit)."""
    state = _load()
    if state["file"] is None or len(state["new"]) >= MAX_ENTRIES:
        return
    state["new"][key] = [{name: tree.to_plain() for name, tree in checked.uses.items()},
                         sorted(checked.reaches), checked.type_name, checked.type_text]
    if not state["dirty"]:
        state["dirty"] = True
        atexit.register(_write, state)


def _write(state: dict[str, Any]) -> None:
    """Store this run's entries, and the stored ones it did not meet while they fit.
    Never raises."""
    file: Path | None = state["file"]
    if file is None or not state["dirty"]:
        return
    entries = dict(state["new"])
    for key, entry in state["known"].items():
        if len(entries) >= MAX_ENTRIES:
            break
        entries.setdefault(key, entry)
    with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
        payload = json.dumps(entries, sort_keys=True, ensure_ascii=False).encode(
            "utf-8", "surrogatepass")
        store_json_cache(file, {"format": _FORMAT, "context": state["ctx"]}, payload)
