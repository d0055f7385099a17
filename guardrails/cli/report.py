"""``guardrails report REPORT.json``: render a saved JSON report in any format.

The reporter is the one a live run uses, fed the same way (its start, one
result at a time, its finish), from the report alone: the JSON, JUnit, SARIF,
GitHub and Markdown documents come out byte for byte as the run wrote them,
the terminal report too when given the run's display options.
"""

from __future__ import annotations

import contextlib
from typing import Any

import click

from guardrails.cli.options import (
    color_choice,
    file_not_option,
    plugin_option,
    render_options,
    split_plugins,
)
from guardrails.errors import UsageError
from guardrails.exits import wrap_session


def load_report(path: str) -> Any:
    """The :class:`~guardrails.model.Report` saved in ``path`` (version 1 to 3)."""
    from guardrails.jsonfile import read_json
    from guardrails.mergeread import MAX_FILE_BYTES, Unusable, parse

    fix = "give a file written by 'guardrails check --format json --output FILE'"
    # A saved report is an artefact another job wrote: as hostile as merge's inputs.
    data = read_json(path, noun="report", limit=MAX_FILE_BYTES, fix=fix,
                     too_deep="a guardrails report")
    if not isinstance(data, dict):
        raise UsageError("report is not a JSON object", file=path, fix=fix)
    try:
        # merge's checks: the report schema (types, closed objects) and its bounds,
        # before any field is used (a forged 'id': 5 was a traceback, exit 3)
        return parse(data).report
    except Unusable as exc:
        reason = str(exc)
        if "upgrade guardrails" in reason:
            fix = "upgrade guardrails (pip install -U execution-guardrails) to read it"
        raise UsageError(reason, file=path, fix=fix) from None


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
@click.option("-o", "--output", metavar="FILE", callback=file_not_option,
              help="Write to FILE instead of stdout ('-': stdout).")
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

    from guardrails.checkcmd import stdout_or_file

    output = stdout_or_file(output)

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
