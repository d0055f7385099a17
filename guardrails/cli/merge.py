"""``guardrails merge REPORT...``: one org report from many repositories' reports.

The library work is in guardrails/merge.py; this layer picks the reporter,
names every skipped file on stderr, and adds the org tables (by repository,
by team) to the terminal and Markdown renderings.
"""

from __future__ import annotations

import contextlib
from typing import Any

import click

from guardrails.cli.options import color_choice, plugin_option, split_plugins
from guardrails.errors import UsageError
from guardrails.exits import wrap_session


@click.command("merge")
@click.argument("report_files", metavar="REPORT...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@click.option("-f", "--format", "fmt", default="terminal", metavar="FORMAT",
              help="terminal, json, markdown, html when installed (and plugins').")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("-v", "--verbose", count=True, help="Terminal: one line per rule; all evidence.")
@click.option("-q", "--quiet", count=True, help="Terminal: only the summary sections.")
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR=1).")
@click.option("--color/--no-force-color", "color", default=None, hidden=True)
@click.option("--group-by", type=click.Choice(["team"]), help="Group evidence by owning team.")
@plugin_option
def merge(report_files: tuple[str, ...], fmt: str, output: str | None, verbose: int,
          quiet: int, no_color: bool, color: bool | None, group_by: str | None,
          plugins: tuple[str, ...]) -> int:
    """Merge per-repository JSON reports into one org report.

    Org-wide metrics are recomputed from every repository's samples (medians
    of all samples, rates from summed counts), never averaged. A file that is
    truncated, foreign or too new is named and skipped; exit 4 only when no
    file could be merged. Otherwise the exit code is the org report's, as
    'guardrails check' gives it (0 passed, 1 a rule failed or errored).

    \b
    Examples:
      guardrails merge reports/*.json
      guardrails merge reports/*.json -f json -o org.json
      guardrails merge reports/*.json -f markdown >> "$GITHUB_STEP_SUMMARY"
    """

    def body() -> int:
        from guardrails import orgrender
        from guardrails.manager import create_manager
        from guardrails.merge import merge as merge_reports
        from guardrails.plugin import ReportOptions
        from guardrails.reporters.setup import report_file, reporter_types, stdout_stream

        disabled, extra = split_plugins(plugins)
        types = reporter_types(create_manager(disabled, extra))
        if fmt not in types:
            raise UsageError(f"unknown format {fmt!r}",
                             fix=f"known formats: {', '.join(sorted(types))}")
        org, skipped = merge_reports(report_files)
        for s in skipped:
            click.echo(f"guardrails merge: skipped {s.file}: {s.reason}", err=True)
        if not org.org or not org.org["reports"]:
            raise UsageError(
                f"none of the {len(report_files)} report files could be merged",
                fix="give JSON reports written by 'guardrails check --format json "
                    "--output FILE' (each skipped file is named above)")
        options = ReportOptions(verbosity=verbose - quiet,
                                color=bool(color_choice(no_color, color)) and output is None,
                                group_by=group_by)
        with contextlib.ExitStack() as stack:
            out: Any = stack.enter_context(report_file(output)) if output else stdout_stream()
            if fmt == "terminal":
                out.write(orgrender.terminal(org.org))
            reporter = types[fmt](out, options)
            reporter.start(org)
            for result in org.results:
                reporter.logreport(result)
            reporter.finish(org)
            if fmt == "markdown":
                out.write(orgrender.markdown(org.org))
            out.flush()
        return org.exit_code

    return wrap_session(body)


command = merge
