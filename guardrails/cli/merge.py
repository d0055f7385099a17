"""``guardrails merge REPORT...``: one org report from many repositories' reports.

The library work is in guardrails/merge.py; this layer picks the reporter,
names every skipped file on stderr, and adds the org tables (by repository,
by team) to the terminal and Markdown renderings.
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
from guardrails.textsafe import printable


class MergeCommand(click.Command):
    """Pairs each ``--format`` with the ``--output`` after it, as ``check`` does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from guardrails.cli.check import click_output_pairs

        ctx.meta["guardrails.outputs"] = click_output_pairs(list(args))
        return super().parse_args(ctx, args)


@click.command("merge", cls=MergeCommand)
@click.argument("report_files", metavar="REPORT...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@click.option("-f", "--format", "formats", multiple=True, metavar="FORMAT",
              help="terminal (default), json, markdown, html when installed (and "
                   "plugins'); repeatable, each with its --output.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              callback=file_not_option, help="Write the preceding --format to FILE.")
@render_options
@plugin_option
@click.pass_context
def merge(ctx: click.Context, report_files: tuple[str, ...], formats: tuple[str, ...],
          outputs: tuple[str, ...], verbose: int, quiet: int, no_color: bool,
          color: bool | None, group_by: str | None, plugins: tuple[str, ...]) -> int:
    """Merge per-repository JSON reports into one org report.

    Org-wide metrics are recomputed from every repository's samples (medians
    of all samples, rates from summed counts), never averaged. A file that is
    truncated, foreign or too new is named and skipped; exit 4 only when no
    file could be merged. Otherwise the exit code is the org report's, as
    'guardrails check' gives it (0 passed, 1 a rule failed or errored).

    \b
    Examples:
      guardrails merge reports/*.json
      guardrails merge reports/*.json -f json -o org.json -f markdown -o org.md
    """
    pairs: list[tuple[str, str | None]] = list(ctx.meta.get("guardrails.outputs", []))

    def body() -> int:
        from guardrails import orgrender
        from guardrails.manager import create_manager
        from guardrails.merge import merge as merge_reports
        from guardrails.plugin import ReportOptions
        from guardrails.reporters.setup import (
            check_render_outputs,
            report_file,
            reporter_types,
            stdout_stream,
        )

        disabled, extra = split_plugins(plugins)
        types = reporter_types(create_manager(disabled, extra))
        wanted = pairs or [("terminal", None)]
        for fmt, _ in wanted:
            if fmt not in types:
                raise UsageError(f"unknown format {fmt!r}",
                                 fix=f"known formats: {', '.join(sorted(types))}")
        if sum(1 for _, out in wanted if out is None) > 1:
            raise UsageError("two formats would both write to standard output",
                             fix="give each --format but one its --output FILE")
        check_render_outputs(report_files, [("--output", out) for _, out in wanted if out])
        org, skipped = merge_reports(report_files)
        for s in skipped:
            # a report's name and what it holds are input: shown, not obeyed, one line
            click.echo(printable(f"guardrails merge: skipped {s.file}: {s.reason}"), err=True)
        if not org.org or not org.org["reports"]:
            raise UsageError(
                f"none of the {len(report_files)} report files could be merged",
                fix="give JSON reports written by 'guardrails check --format json "
                    "--output FILE' (each skipped file is named above)")
        for fmt, output in wanted:
            options = ReportOptions(verbosity=verbose - quiet,
                                    color=bool(color_choice(no_color, color)) and output is None,
                                    group_by=group_by)
            with contextlib.ExitStack() as stack:
                out: Any = (stack.enter_context(report_file(output)) if output
                            else stdout_stream())
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
