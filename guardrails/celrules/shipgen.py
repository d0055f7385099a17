"""Writes :mod:`guardrails.celrules.shipped`: the builtin packs' CEL checks, done ahead.

    python -m guardrails.celrules.shipgen          # rewrite guardrails/celrules/shipped.py
    python -m guardrails.celrules.shipgen --check  # exit 1 when it is not what this writes

A run without its caches (a CI job's first run, ``GUARDRAILS_NO_STARTUP_CACHE``)
imported the CEL parser and type checker and checked the builtin packs'
expressions (~2-2.5 ms of CPU on the example org) to learn what the type cache
(:mod:`guardrails.celrules.typecache`) would have told a warm run: the same
answer for every user of the builtin kinds. This loads every builtin pack the
way a run does (a config naming them all, the files source over an empty
folder: every builtin kind known) with the type cache recording what each
check found, and writes those entries, under the type cache's own keys, as
Python literals. tests/unit/test_cel_shipped.py regenerates the module and
fails (naming the command above) when the committed one differs by one byte:
a pack, a builtin kind or the checker changed without regenerating. A changed
pack expression or kind changes the key (the entry is then unused); a changed
checker does not, so that test is its only guard, as for packdata's parser.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from guardrails.packgen import _literal, write_or_check

HERE = Path(__file__).resolve().parent
TARGET = HERE / "shipped.py"
_HEADER = '''"""The builtin packs' CEL checks done ahead: ``python -m guardrails.celrules.shipgen``.

Do not edit: regenerate (tests/unit/test_cel_shipped.py fails until this file is
what the generator writes). Keys and entries are the type cache's
(guardrails/celrules/typecache.py): a key holds the expression, its kind, lists,
wanted type and the whole kind registry; an entry is (fields read, kinds reached,
type name, type text).
"""

# fmt: off
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

'''


def entries() -> dict[str, Any]:
    """Every typecache entry a run with all builtin packs and the builtin kinds makes."""
    from guardrails import packdata
    from guardrails.celrules import runtime, typecache
    from guardrails.config import RunOptions, load_config
    from guardrails.rulepaths import builtin_packs
    from guardrails.session import Session

    saved = typecache._state, typecache._shipped, os.environ.get("GUARDRAILS_NO_STARTUP_CACHE")
    # a state that records every success and writes nothing, with no answers to give
    state: dict[str, Any] = {"file": Path(os.devnull), "known": {}, "new": {}, "ctx": None,
                             "dirty": True}
    typecache._state, typecache._shipped = state, {}
    # every pack validated, its expressions checked: no shipped verdict (packverdict)
    verdicts = getattr(packdata, "VALIDATED", {})
    packdata.VALIDATED = {}  # type: ignore[attr-defined]
    runtime._compiled.clear()
    os.environ["GUARDRAILS_NO_STARTUP_CACHE"] = "1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "org").mkdir()
            config = Path(tmp) / "guardrails.yaml"
            config.write_text("rules:\n" + "".join(
                f"  - builtin:{name}\n" for name in sorted(builtin_packs()))
                + "sources:\n  files:\n    path: org\n", "utf-8")
            session = Session(load_config(config, RunOptions()))
            session.configure()
            try:
                session.collect()
            finally:
                session.unconfigure()
    finally:
        packdata.VALIDATED = verdicts  # type: ignore[attr-defined]
        typecache._state, typecache._shipped = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("GUARDRAILS_NO_STARTUP_CACHE", None)
        else:
            os.environ["GUARDRAILS_NO_STARTUP_CACHE"] = saved[2]
        runtime._compiled.clear()
    return dict(sorted(state["new"].items()))


def render() -> str:
    """The module's text."""
    lines = [_HEADER, "ENTRIES: dict[str, Any] = {\n"]
    for key, entry in entries().items():
        lines.append(f"    {key!r}: {_literal(entry, sort_keys=True)},\n")
    lines.append("}\n")
    return "".join(lines)


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) :data:`TARGET`."""
    return write_or_check(TARGET, render(), argv, "guardrails.celrules.shipgen")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
