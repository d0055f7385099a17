"""On-call fairness for guardrails: a fact kind, a source, a check and a reporter.

guardrails.yaml::

    sources:
      oncall: {path: oncall.csv}
    rules: [rules/oncall.yaml]

rules/oncall.yaml::

    pack: oncall
    rules:
      - id: fair-rotation
        check: oncall.max_shifts_per_person
        max: 4
        window: 28d
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from guardrails import (
    Check,
    CheckResult,
    DataFileError,
    Evidence,
    FactKind,
    Outcome,
    Reporter,
    Source,
    SourceError,
    hookimpl,
    parse_timestamp,
)

__version__ = "0.1.0"

COLUMNS = ("person", "start", "end")

#: The ``shifts`` kind: rules name it in ``facts:``, evidence names ``shift/<id>``,
#: and ``each``/``count`` rules may only name these fields.
SHIFTS = FactKind(
    "shifts", "shift", id_field="id", timestamps=("start", "end"),
    schema={
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "person@start"},
            "person": {"type": "string"},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "file": {"type": "string"},
            "line": {"type": "integer"},
        },
        "required": ["id", "person", "start", "end"],
    },
)


class OncallSource(Source):
    """Shifts from a CSV file: ``person,start,end`` with ISO timestamps."""

    name = "oncall"
    schema = {
        "type": "object",
        "properties": {"path": {"type": "string", "default": "oncall.csv"}},
        "additionalProperties": False,
    }

    def provides(self) -> set[str]:
        return {"shifts"}

    def _path(self):  # type: ignore[no-untyped-def]
        return self.env.root / self.options.get("path", "oncall.csv")

    def validate(self) -> None:
        self._read()

    def _read(self) -> list[dict[str, Any]]:
        path = self._path()
        shown = self.env.display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataFileError("on-call file not found", file=shown,
                                fix="set sources.oncall.path to your shifts CSV") from None
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
            raise DataFileError(f"the header must be {','.join(COLUMNS)}", file=shown, line=1)
        shifts = []
        for n, row in enumerate(rows[1:], start=2):
            if not row:
                continue
            if len(row) != len(COLUMNS):
                raise DataFileError(f"expected {len(COLUMNS)} cells, got {len(row)}",
                                    file=shown, line=n)
            person, start, end = (c.strip() for c in row)
            try:
                shift = {"id": f"{person}@{start}", "person": person,
                         "start": parse_timestamp(start), "end": parse_timestamp(end),
                         "file": shown, "line": n}
            except ValueError as exc:
                raise DataFileError(f"invalid timestamp: {exc}", file=shown, line=n,
                                    fix="write ISO timestamps with an offset, "
                                    "e.g. 2026-11-02T09:00:00Z") from None
            shifts.append(shift)
        return shifts

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        try:
            return {"shifts": self._read()}
        except OSError as exc:
            raise SourceError(self.name, str(exc)) from exc

    def describe(self) -> str:
        return f"oncall {self.options.get('path', 'oncall.csv')}"


class MaxShiftsPerPerson(Check):
    """Nobody takes more than ``max`` shifts starting in the rule's window."""

    name = "oncall.max_shifts_per_person"
    kinds = ("shifts",)
    schema = {"properties": {"max": {"type": "integer", "minimum": 1}}, "required": ["max"]}
    doc = "Nobody takes more than `max` on-call shifts starting in the window."

    def evaluate(self, rule, ctx):  # type: ignore[no-untyped-def]
        start, end = ctx.window_for(rule)
        shifts = [s for s in ctx.facts("shifts") if start <= s["start"] < end]
        if not shifts:
            return CheckResult.skipped("no on-call shifts in the window")
        limit = rule.params["max"]
        counts = Counter(s["person"] for s in shifts)
        first_line = {}
        for s in sorted(shifts, key=lambda s: s["line"]):
            first_line.setdefault(s["person"], (s["file"], s["line"]))
        evidence = [
            Evidence(f"person/{p}", f"{n} shifts (max {limit})",
                     file=first_line[p][0], line=first_line[p][1])
            for p, n in sorted(counts.items()) if n > limit
        ]
        top = max(counts.values())
        msg = (f"{len(evidence)} of {len(counts)} people over {limit} shifts"
               if evidence else f"at most {top} shifts per person (max {limit})")
        return CheckResult(Outcome.FAILED if evidence else Outcome.PASSED, msg, value=top,
                           unit="count", threshold={"max": limit}, samples=len(shifts),
                           evidence=evidence, details=[ctx.window_text(rule)])


class CsvReporter(Reporter):
    """``--format csv``: one row per evidence item (a row per rule without evidence)."""

    name = "csv"

    def finish(self, report):  # type: ignore[no-untyped-def]
        out = csv.writer(self.out, lineterminator="\n")
        out.writerow(["rule", "outcome", "severity", "value", "subject", "detail"])
        for r in report.results:
            for e in r.evidence or [None]:
                out.writerow([r.id, r.outcome.value, r.severity.value,
                              "" if r.value is None else r.value,
                              e.subject if e else "", e.detail if e else r.message])
        self.out.flush()


@hookimpl
def guardrails_fact_kinds() -> list[FactKind]:
    return [SHIFTS]


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [OncallSource]


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    return [MaxShiftsPerPerson()]


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [CsvReporter]
