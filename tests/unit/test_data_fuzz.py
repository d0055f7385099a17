"""Fuzzing the org data loaders: every input is loaded or refused as a UsageError.

Records of every kind are generated (plausible values mixed with hostile
ones: NaN, huge integers, years at the edge, control characters, deep
nesting, references to nothing), written in every format the kind accepts,
sometimes mutated byte-wise, and read by the real files source and joins.
Anything but a clean load or a :class:`UsageError` (with a file) fails; a
clean load must be printable as UTF-8 JSON (no lone surrogate reaches a
reporter).
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import validation
from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import UsageError
from guardrails.factjson import to_jsonable
from guardrails.facts import FactStore, join
from guardrails.plugin import SourceEnv
from guardrails.sources.files import FilesSource

pytestmark = pytest.mark.fuzz

FILES = {
    "teams": ("teams", (".yaml", ".json")),
    "services": ("services", (".yaml", ".json")),
    "goals": ("goals", (".yaml", ".json")),
    "deployments": ("deployments", (".csv", ".jsonl", ".json", ".yaml")),
    "incidents": ("incidents", (".csv", ".jsonl", ".json", ".yaml")),
    "changes": ("pull_requests", (".csv", ".jsonl", ".json", ".yaml")),
    "ci_runs": ("ci_runs", (".csv", ".jsonl", ".json", ".yaml")),
    "iterations": ("iterations", (".csv", ".jsonl", ".json", ".yaml")),
    "survey_answers": ("surveys/westrum", (".csv", ".jsonl", ".json", ".yaml")),
}

def _huge(digits: int) -> int:
    """An integer of ``digits`` digits (built lazily: hypothesis cannot repr 10**5000)."""
    return 10 ** (digits - 1)


_stamp = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-10-01T10:00:00Z", "2026-10-01T10:00:00+02:00", "2026-10-01",
                     "2026-10-01T10:00:00", "9999-12-31T23:59:59-01:00",
                     "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00Z", "", "now"]),
)
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(_huge, st.sampled_from([120, 5000])),
    st.sampled_from([float("nan"), float("inf"), "nan", "inf", "1e309",
                     "\x1b[31mred", "\ud800", "x\u2028y", "a,b", 'q"uote', "---", "&a", "*a"]),
    st.text(max_size=12),
)
_value = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)
_ids = st.sampled_from(["a", "b", "alpha", "beta", "api", "d1", "d2", "I1", "p1", 1, 2, "zzz"])


def _mostly(valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> Any:
    """Valid values three times in four: records must get past the schema to reach
    the deeper checks (dates in order, years, joins), hostile ones the rest."""
    return st.one_of(valid, valid, valid, hostile)


_good_stamp = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                           timezones=st.just(UTC)).map(lambda d: d.isoformat())
_good_date = st.dates(min_value=datetime(2026, 1, 1).date(),
                      max_value=datetime(2026, 12, 31).date()).map(str)
_good_id = st.sampled_from(["a", "b", "alpha", "beta", "api", "d1", "d2", "I1", "p1", "zzz"])


def _field(kind: str, name: str) -> st.SearchStrategy[Any]:
    k = KINDS[kind]
    if name in k.dates or name in ("published_at", "due"):
        return _mostly(_good_date, _stamp)
    if name in k.timestamps or name == "submitted_at":
        return _mostly(_good_stamp, _stamp)
    if name in ("id", "team", "service", "owner", "caused_by", "remediates", "incident", "parent"):
        return _mostly(_good_id, st.one_of(_ids, _scalar))
    if name in k.integers:
        return _mostly(st.integers(1, 7), _scalar)
    if name in k.numbers:
        return _mostly(st.one_of(st.integers(0, 20), st.floats(0, 20)), _scalar)
    if name == "status":
        return _mostly(st.sampled_from(["success", "failure", "draft", "reviewed"]), _scalar)
    if name == "kind":
        return _mostly(st.sampled_from(["normal", "rollback", "hotfix"]), _scalar)
    if name == "members":
        return _mostly(st.lists(st.fixed_dictionaries({"handle": _good_id}), max_size=3),
                       st.lists(st.fixed_dictionaries({"handle": _scalar}), max_size=3))
    if name == "changes":
        return st.lists(_ids, max_size=3)
    return _mostly(st.text(max_size=8), _value)


def _records(kind: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    schema = validation.load_schema(kind)
    names = sorted(schema.get("properties", {}))
    required = list(schema.get("required", ()))
    record = st.fixed_dictionaries(
        {n: _field(kind, n) for n in required},
        optional={**{n: _field(kind, n) for n in names if n not in required},
                  "extra": _value},
    )
    return st.lists(record, min_size=1, max_size=4)


def _dump(records: list[dict[str, Any]], suffix: str, key: str) -> str:
    if suffix == ".yaml":
        return yaml.safe_dump({key: records}, allow_unicode=True, sort_keys=False)
    if suffix == ".json":
        return json.dumps(records, indent=1)
    if suffix == ".jsonl":
        return "".join(json.dumps(r) + "\n" for r in records)
    columns = sorted({k for r in records for k in r})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in records:
        writer.writerow(["" if r.get(c) is None else
                         " ".join(map(str, r[c])) if isinstance(r.get(c), list) else str(r[c])
                         for c in columns])
    return out.getvalue()


_mutation = st.one_of(
    st.none(), st.none(), st.none(),
    st.tuples(st.just("insert"), st.integers(0, 10 ** 6),
              st.sampled_from(["\n", "[", "{", "&a ", "*a", ":", ",", '"', "\\ud800", "- ",
                               "\t", "\x00", "<<: *a", ".nan", "9" * 5000, "[" * 2000])),
    st.tuples(st.just("cut"), st.integers(0, 10 ** 6), st.integers(1, 40)),
)


def _mutate(text: str, mutation: Any) -> str:
    if mutation is None or not text:
        return text
    at = mutation[1] % (len(text) + 1)
    if mutation[0] == "insert":
        return text[:at] + mutation[2] + text[at:]
    return text[:at] + text[at + mutation[2]:]


def _load(root: Path) -> None:
    """Validate, gather, join and print as JSON: UsageError is the only way out."""
    src = FilesSource({"path": "org"}, SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC),
                                                 window=timedelta(days=90)))
    try:
        src.validate()
        got = src.gather(src.provides())
    except UsageError as exc:
        assert exc.file, f"an error without a file: {exc}"
        assert len(exc.message) < 2000, "an error message quoting too much"
        return
    store = FactStore()
    for kind, facts in got.items():
        store.add(kind, facts, "files")
    store.locators = [src.locate]
    join(store)
    for kind, facts in got.items():
        for f in facts:
            text = json.dumps(to_jsonable(kind, f), ensure_ascii=False, allow_nan=False,
                              default=str)
            text.encode("utf-8")  # a lone surrogate would raise here
    for w in store.warnings:
        w.encode("utf-8")


def _write(root: Path, rel: str, text: str) -> None:
    path = root / "org" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


@st.composite
def _data_file(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(FILES)))
    stem, suffixes = FILES[kind]
    suffix = draw(st.sampled_from(suffixes))
    records = draw(_records(kind))
    key = "pull_requests" if kind == "changes" else stem.rsplit("/", 1)[-1]
    if kind == "survey_answers":
        key = "survey_answers"
    try:
        text = _dump(records, suffix, key)
    except (ValueError, OverflowError):  # csv/json of 10**5000: Python's int-str limit
        text = _dump([{"id": "x"}], suffix, key)
    return f"{stem}{suffix}", _mutate(text, draw(_mutation))


@settings(max_examples=fuzz_examples(150), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=st.lists(_data_file(), min_size=1, max_size=3,
                      unique_by=lambda f: f[0].rsplit(".", 1)[0]))
def test_generated_data_files_load_or_are_usage_errors(files: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files:
            _write(root, rel, text)
        _load(root)


_front = st.fixed_dictionaries(
    {"incident": _mostly(st.just("I1"), _scalar)},
    optional={
        "status": _mostly(st.sampled_from(["draft", "in_review", "reviewed", "closed"]), _value),
        "published_at": _mostly(_good_date, _stamp),
        "authors": _mostly(st.lists(_good_id, max_size=2), _value),
        "action_items": _mostly(
            st.lists(st.fixed_dictionaries({"title": st.text(max_size=8)},
                                           optional={"due": _mostly(_good_date, _stamp),
                                                     "owner": _good_id}), max_size=2),
            _value),
        "x": _value,
    },
)


@settings(max_examples=fuzz_examples(150), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(front=_front, body=st.text(max_size=80), mutation=_mutation,
       raw=st.sampled_from([False, False, False, True]))
def test_generated_postmortems_load_or_are_usage_errors(
    front: dict[str, Any], body: str, mutation: Any, raw: bool
) -> None:
    try:
        matter = yaml.safe_dump(front, allow_unicode=True)
    except (ValueError, OverflowError):
        matter = "incident: I1\n"
    text = f"---\n{matter}---\n# Title\n## Summary\n{body}\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, "incidents.csv", "id,created_at\nI1,2026-10-01T00:00:00Z\n")
        _write(root, "postmortems/inc-1.md", _mutate(text, mutation) if not raw else body)
        _load(root)


@settings(max_examples=fuzz_examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200),
       name=st.sampled_from(["teams.yaml", "incidents.csv", "deployments.jsonl",
                             "ci_runs.json", "postmortems/a.md", "reviews.csv"]))
def test_arbitrary_bytes_load_or_are_usage_errors(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "org" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if name == "reviews.csv":
            _write(root, "pull_requests.csv", "id\np1\n")
        _load(root)


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("[]{}:,- &*ab1.\n\"'!<>|#")), max_size=120))
def test_yaml_shaped_noise_loads_or_is_a_usage_error(text: str) -> None:
    from guardrails import yamlio

    try:
        data, _ = yamlio.load(text, "f.yaml", positions=True)
    except UsageError as exc:
        assert exc.file == "f.yaml"
        return
    json.dumps(data, default=str, allow_nan=True)  # finite, printable, acyclic
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            assert math.isfinite(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
