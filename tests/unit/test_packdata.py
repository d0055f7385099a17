"""guardrails/packdata.py, the builtin packs parsed ahead of time, is exactly what
``python -m guardrails.packgen`` writes, and is used only for the very bytes it
was made from (guardrails/packcache.py, ``precompiled``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from guardrails import packcache, packgen, yamlio
from guardrails.rulepaths import builtin_packs


def _typed(value: object) -> object:
    """``value`` with the type of every part spelled out (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return {(type(k).__name__, k): _typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [type(value).__name__, *(_typed(v) for v in value)]
    return (type(value).__name__, value)


def test_the_module_is_what_the_generator_writes() -> None:
    text = packgen.render(builtin_packs())
    current = packgen.TARGET.read_text("utf-8")
    assert current == text, (
        "guardrails/packdata.py is out of date (a builtin pack, the YAML parser, a "
        "builtin check or metric, or the pack validation changed): run  python -m "
        "guardrails.packgen  and commit the result")
    assert packgen.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(builtin_packs()))
def test_each_pack_is_its_parse(name: str) -> None:
    path = builtin_packs()[name]
    raw = path.read_bytes()
    got = packcache.precompiled(path, raw)
    assert got is not None
    data, pos = yamlio.load(yamlio.decode_text(raw, name), name, positions=True)
    assert _typed(got[0]) == _typed(data)
    assert list(got[1].items()) == list(pos.items())
    # fresh objects every call: a caller may change what it was given
    again = packcache.precompiled(path, raw)
    assert again is not None and again[0] == got[0] and again[0] is not got[0]
    assert again[0]["rules"][0] is not got[0]["rules"][0]


def test_other_bytes_are_parsed(tmp_path: Path) -> None:
    path = builtin_packs()["culture"]
    raw = path.read_bytes()
    copy = tmp_path / "culture.yaml"
    copy.write_bytes(raw)
    assert packcache.precompiled(copy, raw) is not None  # the bytes decide, not the place
    edited = raw.replace(b"min: 5.0", b"min: 4.0")
    assert edited != raw
    assert packcache.precompiled(copy, edited) is None
    assert packcache.precompiled(copy, raw + b"\n") is None
    assert packcache.precompiled(tmp_path / "unknown.yaml", raw) is None


def test_only_plain_data_is_written() -> None:
    import datetime

    for bad in (float("nan"), float("inf"), datetime.date(2026, 1, 1), {1, 2}, (1, 2), b"x"):
        with pytest.raises(ValueError):
            packgen._literal({"k": bad})
    value = {"a": [1, 1.0, True, None, "é\n", {"b": -0.5}]}
    assert _typed(ast.literal_eval(packgen._literal(value))) == _typed(value)


def _collected(tmp_path: Path) -> list[object]:
    """The rules of a run naming every builtin pack (the start-up caches off: no pack
    cache answers), as the session collects them."""
    from guardrails.config import RunOptions, load_config
    from guardrails.session import Session

    (tmp_path / "org").mkdir(exist_ok=True)
    config = tmp_path / "guardrails.yaml"
    config.write_text("rules:\n" + "".join(f"  - builtin:{name}\n" for name in
                                          sorted(builtin_packs()))
                      + "sources:\n  files:\n    path: org\n", "utf-8")
    session = Session(load_config(config, RunOptions()))
    session.configure()
    try:
        return list(session.collect())
    finally:
        session.unconfigure()


def test_an_edited_pack_is_parsed_from_the_bytes_read_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A builtin pack whose bytes the shipped parse does not hold (edited in place) is
    parsed from the bytes packcache.read_pack read, not read from disk again."""
    from guardrails import packdata

    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    shipped = _collected(tmp_path)
    monkeypatch.setattr(packdata, "PACKS", {})  # no parse of these bytes ships

    packs = set(builtin_packs().values())
    read_bytes = yamlio.read_bytes

    def no_second_read(path: Path, display: str | None = None) -> bytes:
        assert path not in packs, f"{path} was read again"
        return read_bytes(path, display)

    monkeypatch.setattr(yamlio, "read_bytes", no_second_read)
    assert _collected(tmp_path) == shipped
