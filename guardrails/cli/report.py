"""``guardrails report REPORT.json``: render a saved JSON report in any format.

The reporter is the one a live run uses, fed the same way (its start, one
result at a time, its finish), from the report alone: the JSON, JUnit, SARIF,
GitHub and Markdown documents come out byte for byte as the run wrote them,
the terminal report too when given the run's display options.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import click

from guardrails.cli.options import color_choice, plugin_option, render_options, split_plugins
from guardrails.errors import UsageError
from guardrails.exits import wrap_session


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_report(path: str) -> Any:
    """The :class:`~guardrails.model.Report` saved in ``path`` (version 1 to 3)."""
    from guardrails.mergeread import MAX_FILE_BYTES
    from guardrails.model import Report
    from guardrails.paths import kind_of

    fix = "give a file written by 'guardrails check --format json --output FILE'"
    # A saved report is an artefact another job wrote: as hostile as merge's inputs.
    # Checked before opening (a FIFO would wait for a writer forever), bounded in
    # size, and refused whole when json cannot decode it (NaN, thousands of digits,
    # nesting deeper than the recursion limit).
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"cannot read report: it is {kind_of(st.st_mode)}, not a "
                             "regular file", file=path, fix=fix)
        if st.st_size > MAX_FILE_BYTES:
            raise UsageError(f"cannot read report: {st.st_size} bytes, over the "
                             f"{MAX_FILE_BYTES // 2**20} MiB limit for one report",
                             file=path, fix=fix)
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read report: {exc.strerror or exc}", file=path,
                         fix=fix) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"report is not UTF-8 text (byte offset {exc.start})", file=path,
                         fix=fix) from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"report is not valid JSON: {exc.msg}", file=path, line=exc.lineno,
                         column=exc.colno, fix=fix) from None
    except RecursionError:
        raise UsageError("report is nested too deep to be a guardrails report", file=path,
                         fix=fix) from None
    except ValueError as exc:  # NaN/Infinity, integers of thousands of digits
        raise UsageError(f"report is not valid JSON ({exc})", file=path, fix=fix) from None
    if not isinstance(data, dict):
        raise UsageError("report is not a JSON object", file=path, fix=fix)
    try:
        return Report.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"not a guardrails JSON report: {type(exc).__name__}: {exc}",
                         file=path, fix=fix) from None


def render(report: Any, reporter: Any) -> None:
    """Feed a saved report to a reporter as a live run would."""
    reporter.start(report)
    for result in report.results:
        reporter.logreport(result)
    reporter.finish(report)


@click.command("report")
@click.argument("report_file", metavar="REPORT.json", type=click.Path(dir_okay=False))
@click.option("-f", "--format", "fmt", default="terminal", metavar="FORMAT",
              help="terminal, json, junit, sarif, github, markdown, html (and plugins').")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@render_options
@plugin_option
def report(report_file: str, fmt: str, output: str | None, verbose: int, quiet: int,
           no_color: bool, color: bool | None, group_by: str | None,
           plugins: tuple[str, ...]) -> int:
    """Render a saved JSON report again, in any format.

    \b
    Examples:
      guardrails check --format json --output report.json
      guardrails report report.json                       the terminal report
      guardrails report report.json -f junit -o junit.xml
    """

    def body() -> int:
        from guardrails.manager import create_manager
        from guardrails.plugin import ReportOptions
        from guardrails.reporters.setup import (
            check_render_outputs,
            reporter_types,
            stdout_stream,
        )
        from guardrails.reporters.setup import report_file as open_file

        if output:
            check_render_outputs([report_file], [("--output", output)])
        saved = load_report(report_file)
        disabled, extra = split_plugins(plugins)
        types = reporter_types(create_manager(disabled, extra))
        if fmt not in types:
            raise UsageError(f"unknown format {fmt!r}",
                             fix=f"known formats: {', '.join(sorted(types))}")
        options = ReportOptions(verbosity=verbose - quiet,
                                color=bool(color_choice(no_color, color)) and output is None,
                                group_by=group_by)
        with contextlib.ExitStack() as stack:
            out: Any = stack.enter_context(open_file(output)) if output else stdout_stream()
            render(saved, types[fmt](out, options))
            out.flush()
        return 0

    return wrap_session(body)


command = report
