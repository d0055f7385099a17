"""Reading one repository's JSON report for ``guardrails merge``: untrusted input.

The files come from CI artefacts of hundreds of repositories, so each one is
treated as hostile and either read whole or refused with one reason that
names it (:class:`Unusable`); ``merge`` then skips it and merges the rest.
What is bounded, and why:

- size: at most :data:`MAX_FILE_BYTES` (a report of seven full metric series
  and a thousand evidence items is well under 2 MB); checked before reading;
- nesting: the report schema (loosened for older versions, closed where it
  was open) fixes the shape, so no part nests deeper than a report does;
  a document nested past Python's recursion limit is refused while decoded;
- counts: at most :data:`MAX_RESULTS` results, :data:`MAX_EVIDENCE` evidence
  items per result, and series of at most ``SERIES_CAP`` samples whose
  arrays agree in length, hold finite numbers and times inside the window;
- numbers: ``NaN``/``Infinity`` literals are refused, and so are numbers too
  large for a float (JSON allows them, a float becomes ``inf``).

A report newer than this guardrails (``version`` above ``REPORT_VERSION``)
is refused: it may mean something this reader cannot know (docs/report.md).
"""

from __future__ import annotations

import copy
import functools
import json
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.jsonfile import finite_number, refuse_constant
from guardrails.model import REPORT_VERSION, SERIES_CAP, Report, Series
from guardrails.series import AGGREGATES
from guardrails.timeutil import parse_timestamp

#: a larger file is skipped unread
MAX_FILE_BYTES = 64 * 1024 * 1024
#: most results one report may hold
MAX_RESULTS = 1_000
#: most evidence items one result may hold
MAX_EVIDENCE = 10_000


class Unusable(Exception):
    """A report file that cannot be merged; ``str()`` is the reason."""


@dataclass
class Samples:
    """One result's series as packed arrays: times (s after ``int(start)``), values."""

    agg: str
    start: float
    end: float
    offsets: array[int]
    values: array[float]
    weights: array[int] | None
    n: int
    total: float


@dataclass
class Loaded:
    """A report read for merging: its format version and each result's samples."""

    report: Report
    version: int
    #: aligned with ``report.results``: the packed series, or None
    samples: list[Samples | None]


def read_report(path: str) -> Loaded:
    """The report in ``path``, or :class:`Unusable` with the reason."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise Unusable("not a regular file")
        if size > MAX_FILE_BYTES:
            raise Unusable(f"{size} bytes, over the {MAX_FILE_BYTES // 2**20} MiB limit "
                           "for one report")
        raw = p.read_bytes()
    except OSError as exc:
        raise Unusable(f"cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise Unusable("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        # A cut-off artefact (a job killed mid-write) starts as a report and
        # never closes its top-level object.
        body = raw.strip()
        what = ("truncated" if body.startswith(b"{") and not body.endswith(b"}")
                else "not valid JSON")
        raise Unusable(f"{what}: {exc.msg} at {where}") from None
    except RecursionError:
        raise Unusable("nested too deep to be a report") from None
    except ValueError as exc:  # NaN/Infinity, integers of thousands of digits
        raise Unusable(f"not valid JSON ({exc})") from None
    return parse(data)


def parse(data: Any) -> Loaded:
    """Check a decoded document's shape and bounds, then read it as a Report."""
    if not isinstance(data, dict) or "results" not in data or "now" not in data:
        raise Unusable("not a guardrails JSON report (no 'now' and 'results'; written by "
                       "'guardrails check --format json'?)")
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Unusable(f"report format version {version!r} is not a version")
    if version > REPORT_VERSION:
        raise Unusable(f"report format version {version}; this guardrails reads versions "
                       f"1 to {REPORT_VERSION} (upgrade guardrails)")
    results = data["results"]
    if not isinstance(results, list) or len(results) > MAX_RESULTS:
        raise Unusable(f"'results' must be a list of at most {MAX_RESULTS} results")
    for i, r in enumerate(results):
        if not isinstance(r, dict):
            raise Unusable(f"results[{i}] is not an object")
        ev = r.get("evidence", [])
        if not isinstance(ev, list) or len(ev) > MAX_EVIDENCE:
            raise Unusable(f"results[{i}].evidence must be a list of at most "
                           f"{MAX_EVIDENCE} items")
    # Series arrays are checked as packed arrays below; everything else by the schema.
    series = [r.get("series") for r in results]
    for r in results:
        r.pop("series", None)
    fast, slow = _validators()
    error = None if fast is not None and fast(data) else next(iter(slow.iter_errors(data)), None)
    if error is not None:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                              for p in error.absolute_path)
        raise Unusable(f"not a guardrails JSON report: {error.message[:200]} at {where}")
    for i, r in enumerate(results):
        _finite_numbers(r, f"results[{i}]")
    try:
        report = Report.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unusable(f"not a guardrails JSON report ({type(exc).__name__}: {exc})") from None
    samples: list[Samples | None] = []
    for i, (result, s) in enumerate(zip(report.results, series, strict=True)):
        if s is None:
            samples.append(None)
            continue
        where = f"results[{i}] ({result.id}) series"
        result.series = _series(s, where)
        samples.append(packed(result.series, where))
    return Loaded(report, version, samples)


@functools.cache
def _validators() -> tuple[Any, Any]:
    """The report schema, loosened to every version this guardrails reads.

    Only what older versions lack is relaxed: the version number, the keys
    versions 2 and 3 added, and the result keys a version 1 writer could
    leave out. Types and closed objects stay, so a foreign or forged file
    is refused before any field of it is used. ``format: date`` goes too
    (merge reads no date from a waiver; its ``pattern`` stays), so the fast
    jsonschema-rs check decides (guardrails/fastvalid.py; 75 ms a report
    with jsonschema), and jsonschema words the reason of a refused file.
    """
    from guardrails.fastvalid import predicate
    from guardrails.jsonvalidators import make_validator
    from guardrails.validation import load_schema

    schema = _without_format(copy.deepcopy(load_schema("report")))
    schema["properties"]["version"] = {"type": "integer", "minimum": 1}
    schema["required"] = ["now", "results"]
    schema["$defs"]["result"]["required"] = ["id", "outcome", "severity"]
    # Version 3 added the header's repository_root and the rules' help: a version 2
    # report lacks them (merge refused every version 2 report for it). The run's
    # time is optional as Report.from_json reads it: a report with its timings
    # taken out (to compare two runs byte for byte) is still the same report.
    for place, key in ((schema["$defs"]["header"], "repository_root"),
                       (schema["$defs"]["rule"], "help"),
                       (schema["properties"]["summary"], "duration_s")):
        place["required"] = [k for k in place["required"] if k != key]
    # Close the two places the schema leaves open, so it also bounds the depth.
    schema["$defs"]["result"]["properties"]["threshold"]["additionalProperties"] = {
        "type": ["number", "string", "boolean", "null"]}
    schema["$defs"]["baseline"]["properties"]["fixed"]["items"]["items"] = {"type": "string"}
    return predicate(schema), make_validator(schema)


def _finite_numbers(result: dict[str, Any], where: str) -> None:
    """Refuse a result whose value, threshold or measure is a number no report holds:
    an integer past float's range (the schema takes any number, and charting one,
    ``float``, raised OverflowError: a traceback from ``report --format html``) or
    ``1e999``, which decodes to infinity (guardrails writes null for one)."""
    threshold = result.get("threshold")
    numbers = [("value", result.get("value"))]
    numbers += [(f"threshold.{k}", v) for k, v in (threshold or {}).items()]
    numbers += [(f"measures[{j}].value", m.get("value"))
                for j, m in enumerate(result.get("measures") or ())]
    for name, v in numbers:
        if type(v) in (int, float) and not finite_number(v):
            what = (f"an integer of {len(str(abs(v)))} digits" if type(v) is int
                    else f"{v} (not a finite number)")
            raise Unusable(f"{where}.{name} is {what}, past any number a report holds")


def _without_format(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_format(v) for k, v in schema.items()
                if not (k == "format" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_format(v) for v in schema]
    return schema


def _series(s: Any, where: str) -> Series:
    if not isinstance(s, dict):
        raise Unusable(f"{where} is not an object")
    try:
        series = Series.from_json(s)
    except (KeyError, TypeError, ValueError) as exc:
        raise Unusable(f"{where}: {type(exc).__name__}: {exc}") from None
    return series


def packed(s: Series, where: str = "series") -> Samples:
    """``s`` as packed arrays of absolute times and values, checked against its bounds."""
    if s.agg not in AGGREGATES:
        raise Unusable(f"{where}: unknown agg {s.agg!r} (known: {', '.join(AGGREGATES)})")
    try:
        start = parse_timestamp(s.start).timestamp()
        end = parse_timestamp(s.end).timestamp()
    except (ValueError, TypeError, OverflowError) as exc:
        raise Unusable(f"{where}: bad window: {exc}") from None
    if not end > start:
        raise Unusable(f"{where}: window end is not after its start")
    k = len(s.v)
    if len(s.t) != k or k > SERIES_CAP or (s.w is not None and len(s.w) != k):
        raise Unusable(f"{where}: 't', 'v' and 'w' must have the same length, at most "
                       f"{SERIES_CAP}")
    try:
        offsets = array("q", s.t)
        values = array("d", s.v)
        weights = array("q", s.w) if s.w is not None else None
        n, total = int(s.n), float(s.total)
    except (TypeError, OverflowError, ValueError):
        raise Unusable(f"{where}: 't', 'w' and 'n' must hold integers, 'v' and 'total' "
                       "numbers") from None
    if k and (min(offsets) < 0 or max(offsets) > end - start):
        raise Unusable(f"{where}: a sample time lies outside its window")
    # One pass: a NaN or infinity (or values so large they add up to one)
    # makes the plain sum non-finite.
    if not math.isfinite(sum(values)):
        raise Unusable(f"{where}: a value is not a finite number (or is far too large)")
    if not math.isfinite(total):
        raise Unusable(f"{where}: 'total' is not a finite number")
    counted = sum(weights) if weights is not None else k
    if weights is not None and k and min(weights) < 1:
        raise Unusable(f"{where}: a weight is below 1")
    if n != counted:
        raise Unusable(f"{where}: 'n' is {n} but the samples stand for {counted}")
    return Samples(s.agg, start, end, offsets, values, weights, n, total)
