"""Writes :mod:`guardrails.packdata`: the builtin packs, parsed ahead of time.

    python -m guardrails.packgen          # rewrite guardrails/packdata.py
    python -m guardrails.packgen --check  # exit 1 when it is not what this writes

A run without its caches (a CI job's first run, ``GUARDRAILS_NO_STARTUP_CACHE``)
parsed the six builtin packs with PyYAML, line positions and all, ~3-4 ms of
CPU that gives the same answer for every user. :mod:`guardrails.packdata` holds
that answer as Python literals, each pack with the BLAKE2b digest of the exact
bytes it was parsed from; :func:`guardrails.packcache.precompiled` gives a
pack's data and positions only when the file's bytes have that digest, and
otherwise the file is parsed as before. So an edited pack is never answered
from an old parse, and tests/unit/test_packdata.py regenerates the module and
fails (naming the command above) when the committed one differs by one byte:
a pack edited without regenerating, or a change to the parser.

It also writes each builtin pack's validation verdict (``VALIDATED``,
:func:`verdicts`): the full validation runs here, and a run takes the pack as
valid only as :mod:`guardrails.packverdict` says.

Only plain data is written (strings, numbers, booleans, null, lists and
mappings); a pack holding anything else is refused here, and stays parsed at
run time.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

from guardrails.packcache import PERSON  # what the digests are personalised with

HERE = Path(__file__).resolve().parent
TARGET = HERE / "packdata.py"
_HEADER = '''"""The builtin packs, parsed ahead of time by ``python -m guardrails.packgen``.

Do not edit: regenerate (tests/unit/test_packdata.py fails until this file is
what the generator writes). Each pack's data and positions are used only for a
file whose bytes have its digest (guardrails/packcache.py, ``precompiled``);
its validation verdict only as guardrails/packverdict.py says.
"""

# fmt: off
# ruff: noqa: E501

'''


def _literal(value: Any, depth: int = 0, *, sort_keys: bool = False) -> str:
    """``value`` as a Python literal that evaluates to an equal value of the same types
    (``sort_keys``: mappings written in key order, as celrules.shipgen writes them)."""
    if depth > 64:
        raise ValueError("nested too deep")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return repr(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not finite")
        return repr(value)
    if kind is list:
        return "[" + ", ".join(_literal(v, depth + 1, sort_keys=sort_keys) for v in value) + "]"
    if kind is dict:
        items = sorted(value.items()) if sort_keys else value.items()
        return "{" + ", ".join(f"{_literal(k, depth + 1)}: "
                               f"{_literal(v, depth + 1, sort_keys=sort_keys)}"
                               for k, v in items) + "}"
    raise ValueError(f"a {kind.__name__} is not plain data")


def _key(path: tuple[Any, ...]) -> str:
    for part in path:
        if part is not None and type(part) not in (str, int):
            raise ValueError(f"a position key {part!r} is not a string or an index")
    return repr(path)


def render(packs: dict[str, Path]) -> str:
    """The module's text for builtin packs ``packs`` (name -> YAML file)."""
    from guardrails import yamlio
    from guardrails.cachefiles import blake2

    out = [_HEADER]
    digests: dict[str, str] = {}
    for name, path in sorted(packs.items()):
        raw = path.read_bytes()
        data, pos = yamlio.load(yamlio.decode_text(raw, path.name), path.name, positions=True)
        digests[name] = blake2(raw, PERSON)
        positions = "{" + ", ".join(f"{_key(k)}: ({v[0]}, {v[1]})" for k, v in pos.items()) + "}"
        out.append(f"def {_function(name)}():  # rules/{name}.yaml\n"
                   f"    return ({_literal(data)},\n            {positions})\n\n\n")
    out.append("#: pack name -> (BLAKE2b digest of the YAML file's bytes, function giving its "
               "data and positions)\n")
    out.append("PACKS = {\n" + "".join(
        f"    {name!r}: ({digests[name]!r}, {_function(name)}),\n"
        for name in sorted(packs)) + "}\n")
    valid = verdicts(packs)
    out.append("\n#: pack name -> fingerprint of what its full validation read, for each pack "
               "that passed it\n#: (guardrails/packverdict.py)\n")
    out.append("VALIDATED = {\n" + "".join(
        f"    {name!r}: {valid[name]!r},\n" for name in sorted(valid)) + "}\n")
    return "".join(out)


def verdicts(packs: dict[str, Path]) -> dict[str, str]:
    """Pack name -> :func:`guardrails.packverdict.fingerprint`, for each builtin pack that
    the full validation passes (no verdict trusted, no cache, no sources: the fewest
    fact kinds a run can know, guardrails' own plugins only). A pack that fails is
    left out, and said so on stderr: runs then validate it, and report its errors."""
    import tempfile

    from guardrails import packdata, packverdict, yamlio
    from guardrails.config import RunOptions, load_config
    from guardrails.errors import UsageError
    from guardrails.manager import Provided
    from guardrails.rulefile import RuleParser
    from guardrails.session import Session

    saved = getattr(packdata, "VALIDATED", {}), os.environ.get("GUARDRAILS_NO_STARTUP_CACHE")
    packdata.VALIDATED = {}  # type: ignore[attr-defined]
    os.environ["GUARDRAILS_NO_STARTUP_CACHE"] = "1"
    out: dict[str, str] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "guardrails.yaml"
            config.write_text("rules: []\n", "utf-8")
            session = Session(load_config(config, RunOptions()))
            session.configure()
            try:
                pm = session.config.pluginmanager
                checks: Provided[Any] = Provided(pm, "checks")
                metrics: Provided[Any] = Provided(pm, "metrics")
                for name, path in sorted(packs.items()):
                    try:
                        RuleParser(session.config, checks, metrics).parse(path)
                    except UsageError as exc:
                        print(f"rules/{name}.yaml does not validate, no verdict: {exc}",
                              file=sys.stderr)
                        continue
                    raw = path.read_bytes()
                    data, _ = yamlio.load(yamlio.decode_text(raw, path.name), path.name,
                                          positions=True)
                    found = packverdict.fingerprint(data, checks, metrics)
                    if found is not None and packverdict.only_ours(pm):
                        out[name] = found
            finally:
                session.unconfigure()
    finally:
        packdata.VALIDATED = saved[0]  # type: ignore[attr-defined]
        if saved[1] is None:
            os.environ.pop("GUARDRAILS_NO_STARTUP_CACHE", None)
        else:
            os.environ["GUARDRAILS_NO_STARTUP_CACHE"] = saved[1]
    return out


def _function(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"pack name {name!r} is not an identifier")
    return f"_{name}"


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) :data:`TARGET`."""
    from guardrails.rulepaths import builtin_packs

    return write_or_check(TARGET, render(builtin_packs()), argv, "guardrails.packgen")


def write_or_check(target: Path, text: str, argv: list[str], module: str) -> int:
    """A generator's command line: write ``text`` to ``target``, or with ``--check``
    exit 1 (saying which ``python -m MODULE`` regenerates it) when they differ."""
    if "--check" in argv:
        current = target.read_text("utf-8") if target.is_file() else ""
        if current != text:
            print(f"{target} is out of date: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, "utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
