"""``guardrails check``: collect rules, gather facts, evaluate, report."""

from __future__ import annotations

from typing import Any

import click

from guardrails.checkcmd import OutputOrderError, output_pairs, run
from guardrails.checkcmd import progress_for as progress_for  # re-exported (was defined here)
from guardrails.cli.options import config_option, file_not_option, plugin_option
from guardrails.model import ExitCode


def click_output_pairs(args: list[str]) -> list[tuple[str, str | None]]:
    """Pair each ``--format`` with the ``--output`` that follows it, in argv order."""
    try:
        return output_pairs(args)
    except OutputOrderError as exc:
        raise click.UsageError(str(exc)) from None


def _short_options_first(parser: Any, ctx: click.Context) -> Any:
    """``parser``, reading ``-c``/``-q`` as short options without trying them as long ones.

    click's parser tries every single-dash word (``-q``) as a long option first;
    the miss builds a "No such option" error, with its "did you mean" list from
    difflib and its wording through gettext, and then reads the word as short
    options. A word no long option matches, with no ``=``, and that does not start
    with ``--`` goes straight to the short options here: the path click takes
    after the miss, without the error (difflib's import, ~1 ms of ``check``'s
    start-up, benchmarks/RESULTS.md). Any other word, or a click whose parser
    lacks these (private) parts, is read by click as before.
    """
    try:
        from click.parser import _normalize_opt
    except ImportError:
        return parser
    process = getattr(parser, "_process_opts", None)
    short = getattr(parser, "_match_short_opt", None)
    longs = getattr(parser, "_long_opt", None)
    prefixes = getattr(parser, "_opt_prefixes", None)
    if process is None or short is None or longs is None or prefixes is None:
        return parser

    def process_opts(arg: str, state: Any) -> None:
        if "=" not in arg and arg[:2] not in prefixes and _normalize_opt(arg, ctx) not in longs:
            short(arg, state)
        else:
            process(arg, state)

    parser._process_opts = process_opts
    return parser


class CheckCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["guardrails.outputs"] = click_output_pairs(list(args))
        return super().parse_args(ctx, args)

    def make_parser(self, ctx: click.Context) -> Any:
        return _short_options_first(super().make_parser(ctx), ctx)


@click.command(cls=CheckCommand)
@click.argument("paths", nargs=-1, type=click.Path())
@config_option
@click.option("-k", "keyword", metavar="EXPR", help="Only rules whose id or tags match "
              "the substring expression (e.g. 'stability and not lead').")
@click.option("-m", "markexpr", metavar="TAGS", help="Only rules with these tags "
              "(expression: 'dora or teams').")
@click.option("--focus", help="Evaluate under this execution focus (overrides the config).")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first failure.")
@click.option("--maxfail", type=click.IntRange(min=0), default=0, metavar="N",
              help="Stop after N failures.")
@click.option("-v", "--verbose", count=True, help="One line per rule; all evidence.")
@click.option("-q", "--quiet", count=True, help="Only the summary sections (-qq: final line).")
@click.option("-f", "--format", "formats", multiple=True, metavar="FORMAT",
              help="terminal, json, junit, sarif, github, markdown, html (and plugins'); "
              "repeatable.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              callback=file_not_option, help="Write the preceding --format to FILE.")
@click.option("--junitxml", metavar="FILE", callback=file_not_option,
              help="Shorthand for --format junit --output FILE.")
@click.option("--strict", is_flag=True, help="Warning-severity failures and rules skipped "
              "for lack of data fail the run too (also: 'strict: true' in the config).")
@click.option("--offline", is_flag=True, help="Use cached HTTP data only.")
@click.option("--now", "now", metavar="DATE", help="Evaluate as of this date or timestamp.")
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR=1).")
@click.option("--color/--no-force-color", "color", default=None, hidden=True)
@click.option("--group-by", type=click.Choice(["team"]), help="Group evidence by owning team.")
@click.option("--example", is_flag=True, help="Run on the bundled example org.")
@click.option("--baseline", "baseline", metavar="FILE", type=click.Path(dir_okay=False),
              callback=file_not_option,
              help="Fail only on failures FILE does not know (see --write-baseline; "
              "'-': read it from standard input, at most 64 MiB).")
@click.option("--write-baseline", "write_baseline", metavar="FILE",
              type=click.Path(dir_okay=False), callback=file_not_option,
              help="Record the current failures in FILE, for later --baseline runs "
              "('-': standard output, without the terminal report).")
@click.option("--progress/--no-progress", "progress", default=None,
              help="Show the sources' progress on stderr while facts are gathered (default: "
              "when stderr is a terminal and not -q).")
@click.option("--record", is_flag=True, help="Append this run's summary to the history store "
              "(.guardrails/history/, or 'history_dir:' in the config); see 'guardrails history'.")
@plugin_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], config_file: str | None,
          keyword: str | None, markexpr: str | None, focus: str | None, exitfirst: bool,
          maxfail: int, verbose: int, quiet: int, formats: tuple[str, ...],
          outputs: tuple[str, ...], junitxml: str | None, strict: bool, offline: bool,
          now: str | None, no_color: bool, color: bool | None, group_by: str | None,
          example: bool, baseline: str | None, write_baseline: str | None,
          progress: bool | None, plugins: tuple[str, ...], record: bool = False) -> int:
    """Collect rules, gather facts, evaluate, report.

    \b
    Exit codes: 0 passed, 1 failed or error, 2 interrupted, 3 internal error,
    4 usage or configuration error, 5 no rules collected.
    \b
    Examples:
      guardrails check --now 2026-11-20
      guardrails check -m dora --format json --output report.json --format terminal
      guardrails check --junitxml guardrails.xml -q
      guardrails check --write-baseline .guardrails-baseline.json
      guardrails check --record -q          (then: guardrails history, guardrails trend)
      guardrails check --baseline .guardrails-baseline.json --format sarif --output g.sarif
    """
    code = run(pairs=list(ctx.meta.get("guardrails.outputs", [])), paths=paths,
               config_file=config_file, keyword=keyword, markexpr=markexpr, focus=focus,
               exitfirst=exitfirst, maxfail=maxfail, verbose=verbose, quiet=quiet,
               junitxml=junitxml, strict=strict, offline=offline, now=now, no_color=no_color,
               color=color, group_by=group_by, example=example, baseline=baseline,
               write_baseline=write_baseline, progress=progress, plugins=plugins, record=record)
    if example and code in (ExitCode.OK, ExitCode.RULES_FAILED):
        # A demo, not a gate: the report is the point. Say what a gate would do.
        click.echo(f"(example run: a CI gate would have exited {code}; "
                   "see README 'Exit codes')", err=True)
        return ExitCode.OK
    return code


command = check
