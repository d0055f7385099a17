"""``--format json``: the whole report as one JSON document.

The shape is the one docs/report.md and docs/metrics.md ("Units") fix and
``guardrails/schemas/report.json`` describes (``guardrails schema report``);
:meth:`guardrails.model.Report.to_json` builds it, this module only makes the
text stable:

- floats are rounded to 6 decimal places here, not in the model, so a ratio
  of 3/14 prints ``0.214286`` instead of ``0.21428571428571427`` and
  ``0.1 + 0.2`` prints ``0.3``. Six places keep seconds to the microsecond
  and ratios far below any threshold anyone writes. ``-0.0`` becomes ``0.0``;
  NaN and infinities, which JSON cannot hold, become ``null``.
- keys keep the model's order (``sort_keys=False``) so the file reads like
  the contract; the same report always gives the same bytes.
- text stays UTF-8 (``ensure_ascii=False``): team names and quotes from
  postmortems are shown as written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.textsafe import inert_json
from guardrails.timeutil import iso

if TYPE_CHECKING:
    from guardrails.model import Report

#: decimal places kept for every float in the JSON report
FLOAT_PLACES = 6


def stable(value: Any) -> Any:
    """``value`` made JSON-ready: floats rounded, containers rebuilt as lists/dicts.

    Dates and datetimes become ISO text and timedeltas seconds, in case a
    check put one in ``threshold`` or a waiver; anything else unknown becomes
    its ``str`` so a plugin's odd value cannot crash the report.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        rounded = round(value, FLOAT_PLACES)
        return 0.0 if rounded == 0 else rounded
    if isinstance(value, Mapping):
        return {str(k): stable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((stable(v) for v in value), key=repr)
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, timedelta):
        return stable(value.total_seconds())
    return str(value)


def render(report: Report) -> str:
    """The JSON report as text, ending in a newline."""
    data = stable(report.to_json())
    # a report printed to a terminal or a CI log: shown, never obeyed
    return inert_json(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)) + "\n"


class JsonReporter(DocumentReporter):
    """Writes the JSON report once the run is over."""

    name = "json"

    def render(self, report: Report) -> str:
        return render(report)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [JsonReporter]
