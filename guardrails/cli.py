"""The command line: a thin click layer over :mod:`guardrails.session`.

Every command returns an exit code; ``GuardrailsGroup.main`` maps click's own
usage errors to exit code 4 (click's default is 2, which pytest uses for
"interrupted").
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from guardrails import __version__
from guardrails.config import RunOptions
from guardrails.errors import UsageError
from guardrails.session import ExitCode, wrap_session

EXAMPLE_CONFIG = "examples/acme/guardrails.yaml"
#: the years --now may name (git timestamps start in 1970; 9999 leaves no room for windows)
NOW_RANGE = (1970, 9998)


class GuardrailsGroup(click.Group):
    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name or "guardrails", complete_var,
                              standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.exceptions.Abort:
            click.echo("\n!!! interrupted !!!", err=True)
            code = ExitCode.INTERRUPTED
        except click.ClickException as exc:
            exc.show()
            code = ExitCode.USAGE_ERROR
        else:
            code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def _output_pairs(args: list[str]) -> list[tuple[str, str | None]]:
    """Pair each ``--format`` with the ``--output`` that follows it, in argv order."""
    pairs: list[list[Any]] = []
    it = iter(range(len(args)))
    for i in it:
        a = args[i]
        if a == "--":
            break
        name, value = a, None
        if a.startswith("--") and "=" in a:
            name, value = a.split("=", 1)
        elif a.startswith(("-f", "-o")) and len(a) > 2 and not a.startswith("--"):
            name, value = a[:2], a[2:]
        if name in ("--format", "-f", "--output", "-o"):
            if value is None:
                if i + 1 >= len(args):
                    break
                value = args[i + 1]
                next(it, None)
            if name in ("--format", "-f"):
                pairs.append([value, None])
            else:
                if not pairs or pairs[-1][1] is not None:
                    raise click.UsageError(
                        f"--output {value} must follow the --format it is for "
                        "(e.g. --format junit --output report.xml)")
                pairs[-1][1] = value
    return [(f, o) for f, o in pairs]


class CheckCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["guardrails.outputs"] = _output_pairs(list(args))
        return super().parse_args(ctx, args)


def _color(no_color: bool, color: bool | None) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if color is not None:
        return color
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def _now(value: str | None) -> Any:
    from guardrails.timeutil import parse_now

    if value is None:
        return None
    try:
        now = parse_now(value)
        if not NOW_RANGE[0] <= now.year <= NOW_RANGE[1]:
            # Windows and offsets are subtracted from and added to it: keep them representable.
            raise ValueError(f"the year must be within {NOW_RANGE[0]}..{NOW_RANGE[1]}")
        return now
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"invalid --now {value!r}: {exc}",
                         fix="give a date (2026-11-20) or a timestamp (2026-11-20T12:00:00Z)"
                         ) from None


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
                        help="Config file (default: guardrails.yaml or pyproject.toml found "
                        "from the current folder upwards).")(f)


def plugin_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-p", "plugins", multiple=True, metavar="NAME",
                        help="'no:NAME' disables a plugin; a module name loads one.")(f)


def _split_plugins(plugins: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    disabled = tuple(p[3:] for p in plugins if p.startswith("no:"))
    extra = tuple(p for p in plugins if not p.startswith("no:"))
    return disabled, extra


def _example_config() -> str:
    """The bundled example org: in a source checkout, or next to an installed package."""
    here = Path(__file__).resolve().parent.parent / EXAMPLE_CONFIG
    if here.is_file():
        return str(here)
    cwd = Path.cwd() / EXAMPLE_CONFIG
    if cwd.is_file():
        return str(cwd)
    raise UsageError("the example org is not available in this installation",
                     fix="run from a checkout of the guardrails repository")


def _print_version(ctx: click.Context, _param: Any, value: bool) -> None:
    """``--version``: ours, then the plugins loaded with their versions (like pytest's)."""
    if not value or ctx.resilient_parsing:
        return
    import platform

    import pluggy

    from guardrails.errors import GuardrailsError
    from guardrails.manager import create_manager

    click.echo(f"guardrails {__version__} (python {platform.python_version()}, "
               f"pluggy {pluggy.__version__})")
    try:
        infos = create_manager().infos
    except GuardrailsError as exc:  # a broken plugin must not hide the version
        click.echo(f"plugins: not loaded: {exc}")
        ctx.exit(0)
    ours = [i for i in infos if i.dist == "execution-guardrails"]
    others = [i for i in infos if i.dist != "execution-guardrails"]
    click.echo(f"builtin plugins: {', '.join(i.name for i in ours)}")
    if others:
        click.echo("third-party plugins:")
        for i in others:
            dist = f"{i.dist} {i.version}" if i.dist else "(no distribution)"
            click.echo(f"  {i.name}: {dist} ({i.module})")
    else:
        click.echo("third-party plugins: none")
    ctx.exit(0)


@click.group(cls=GuardrailsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and the plugins loaded.")
def cli() -> None:
    """Check an engineering organisation's execution practices, like tests.

    \b
    Examples:
      guardrails init                      scaffold guardrails.yaml and org/
      guardrails check                     run every configured rule
      guardrails check -k stability -v     only rules matching 'stability'
      guardrails check --example           a report on the bundled example org
      guardrails explain stability::lead-time
    """


@cli.command(cls=CheckCommand)
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
              help="terminal, json, junit (and plugins'); repeatable.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              help="Write the preceding --format to FILE.")
@click.option("--junitxml", metavar="FILE", help="Shorthand for --format junit --output FILE.")
@click.option("--strict", is_flag=True, help="Warning-severity failures and rules skipped "
              "for lack of data fail the run too (also: 'strict: true' in the config).")
@click.option("--offline", is_flag=True, help="Use cached HTTP data only.")
@click.option("--now", "now", metavar="DATE", help="Evaluate as of this date or timestamp.")
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR=1).")
@click.option("--color/--no-force-color", "color", default=None, hidden=True)
@click.option("--group-by", type=click.Choice(["team"]), help="Group evidence by owning team.")
@click.option("--example", is_flag=True, help="Run on the bundled example org.")
@click.option("--baseline", "baseline", metavar="FILE", type=click.Path(dir_okay=False),
              help="Fail only on failures FILE does not know (see --write-baseline).")
@click.option("--write-baseline", "write_baseline", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Record the current failures in FILE, for later --baseline runs.")
@plugin_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], config_file: str | None,
          keyword: str | None, markexpr: str | None, focus: str | None, exitfirst: bool,
          maxfail: int, verbose: int, quiet: int, formats: tuple[str, ...],
          outputs: tuple[str, ...], junitxml: str | None, strict: bool, offline: bool,
          now: str | None, no_color: bool, color: bool | None, group_by: str | None,
          example: bool, baseline: str | None, write_baseline: str | None,
          plugins: tuple[str, ...]) -> int:
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
      guardrails check --baseline .guardrails-baseline.json --format sarif --output g.sarif
    """
    pairs = list(ctx.meta.get("guardrails.outputs", []))
    if junitxml:
        pairs.append(("junit", junitxml))
    # With stdout closed, files asked for are the whole report.
    files_only = all(o is not None for _, o in pairs) and "terminal" not in dict(pairs)
    if not pairs or files_only and sys.stdout is not None:
        pairs.insert(0, ("terminal", None))

    def body() -> int:
        from guardrails.reporters.setup import open_reporters
        from guardrails.session import Session, build_config

        disabled, extra = _split_plugins(plugins)
        options = RunOptions(
            now=_now(now), focus=focus, keyword=keyword, markexpr=markexpr,
            exitfirst=exitfirst, maxfail=maxfail, verbosity=verbose - quiet, strict=strict,
            offline=offline, color=_color(no_color, color), paths=paths,
            disabled_plugins=disabled, group_by=group_by,
        )
        cfg_file = _example_config() if example else config_file
        config = build_config(cfg_file, options)
        if extra:
            config.data.setdefault("plugins", [])
            config.data["plugins"] = [*config.data["plugins"], *extra]
        known = None
        if baseline:
            from guardrails.baseline import load

            known = load(baseline)  # a bad file stops the run before any output
        session = Session(config)
        session.configure()
        from guardrails.reporters.setup import check_output_paths

        written = [("--junitxml" if o == junitxml and f == "junit" else "--output", o)
                   for f, o in pairs if o is not None]
        if write_baseline:
            written.append(("--write-baseline", write_baseline))
        check_output_paths(config, written, baseline)  # before anything runs
        tracker = None
        if baseline or write_baseline:
            from guardrails.baseline import BaselinePlugin

            tracker = BaselinePlugin(known, source=baseline, record=bool(write_baseline))
            assert session.pm is not None
            session.pm.register(tracker, "baseline")
        try:
            with open_reporters(session, pairs) as reporters:
                session.reporters = reporters
                report = session.run()
            if sys.stdout is not None:
                sys.stdout.flush()  # a reader that went away is noticed here, not at exit
        except BrokenPipeError:
            # The reader of standard output went away (`guardrails check | head -0`):
            # the report was not delivered, so the gate cannot claim a verdict.
            _silence_stdout()
            raise UsageError("standard output was closed before the report was written",
                             fix="write the report to a file with --format FORMAT "
                             "--output FILE") from None
        if tracker is not None:
            fixed = tracker.fixed_line()
            if fixed:
                click.echo(fixed, err=True)
            if write_baseline:
                tracker.write(write_baseline, report.now)
                n = len(tracker.recorded)
                click.echo(f"wrote {write_baseline}: {n} failing rule{'s' if n != 1 else ''} "
                           "recorded", err=True)
        if example and report.exit_code in (ExitCode.OK, ExitCode.RULES_FAILED):
            # A demo, not a gate: the report is the point. Say what a gate would do.
            click.echo(f"(example run: a CI gate would have exited {report.exit_code}; "
                       "see README 'Exit codes')", err=True)
            return ExitCode.OK
        return report.exit_code

    return wrap_session(body)


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real descriptor (tests)
        pass


def _session_for(config_file: str | None, plugins: tuple[str, ...], *,
                 keyword: str | None = None, markexpr: str | None = None,
                 focus: str | None = None, now: str | None = None,
                 allow_no_config: bool = False) -> Any:
    from guardrails.config import empty_config
    from guardrails.session import NoConfigError, Session, build_config

    disabled, extra = _split_plugins(plugins)
    options = RunOptions(keyword=keyword, markexpr=markexpr, focus=focus, now=_now(now),
                         disabled_plugins=disabled)
    try:
        config = build_config(config_file, options)
    except NoConfigError:
        if not allow_no_config:
            raise
        config = empty_config(Path.cwd(), options)
        config.data["rules"] = []
    if extra:
        config.data["plugins"] = [*config.data.get("plugins", []), *extra]
    session = Session(config)
    session.configure()
    return session


@cli.command("list")
@config_option
@click.option("-k", "keyword", metavar="EXPR")
@click.option("-m", "markexpr", metavar="TAGS")
@click.option("--focus")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@plugin_option
def list_cmd(config_file: str | None, keyword: str | None, markexpr: str | None,
             focus: str | None, fmt: str, plugins: tuple[str, ...]) -> int:
    """Show the collected rules (id, check, severity, tags) without evaluating."""
    from guardrails.commands import list_rules

    return wrap_session(lambda: list_rules(
        _session_for(config_file, plugins, keyword=keyword, markexpr=markexpr, focus=focus),
        fmt))


@cli.command()
@click.argument("rule_id")
@config_option
@click.option("--focus")
@plugin_option
def explain(rule_id: str, config_file: str | None, focus: str | None,
            plugins: tuple[str, ...]) -> int:
    """What a rule checks, its parameters, its data needs, and why it matters.

    Works on the configured rules and on every builtin rule, with or without a config.
    """
    from guardrails.commands import explain_rule

    return wrap_session(lambda: explain_rule(
        _session_for(config_file, plugins, focus=focus, allow_no_config=True), rule_id))


@cli.command()
@click.argument("kind", required=False)
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--now", "now", metavar="DATE")
@click.option("--offline", is_flag=True)
@click.option("--rule", "rule_id", metavar="RULE_ID",
              help="Only the facts this rule reads.")
@plugin_option
def facts(kind: str | None, config_file: str | None, fmt: str, now: str | None,
          offline: bool, rule_id: str | None, plugins: tuple[str, ...]) -> int:
    """Show the facts the sources gathered (all kinds, or KIND)."""
    from guardrails.commands import show_facts

    def body() -> int:
        session = _session_for(config_file, plugins, now=now)
        session.options.offline = offline
        return show_facts(session, kind, fmt, rule_id)

    return wrap_session(body)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path())
@config_option
def validate(files: tuple[str, ...], config_file: str | None) -> int:
    """Validate the config, rule packs and org data files among FILES (offline, fast).

    Files guardrails does not read are ignored; with no FILES, everything the
    config names is validated. Exit code 0, or 4 with file:line messages.
    Used by the guardrails-validate pre-commit hook.
    """
    from guardrails.precommit import validate as run_validate

    return wrap_session(lambda: run_validate(list(files), config_file, sys.stderr))


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".",
              help="Where to scaffold (default: the current folder).")
def init(directory: str) -> int:
    """Scaffold guardrails.yaml and an org data folder (never overwrites)."""
    from guardrails.commands import scaffold

    return wrap_session(lambda: scaffold(Path(directory)))


@cli.command()
@click.argument("name", required=False)
@click.option("--document", is_flag=True,
              help="For a data kind: the schema of a whole YAML/JSON file (teams: [...]), "
              "for editors, instead of one record's.")
@plugin_option
def schema(name: str | None, document: bool, plugins: tuple[str, ...]) -> int:
    """Print the JSON Schema of rule files, the config, the report or a data file.

    \b
    Examples:
      guardrails schema rules > .guardrails-rules.schema.json
      guardrails schema deployments            one deployment record
      guardrails schema teams --document       a whole org/teams.yaml
    """
    from guardrails.commands import print_schema

    return wrap_session(lambda: print_schema(name, plugins, document))


def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM (a CI runner cancelling the job) ends the run as Ctrl-C does."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: returns the exit code.

    SIGTERM is turned into ``KeyboardInterrupt`` for the time of the run, so
    both signals take the same way out: exit code 2, "interrupted", every
    report file left as it was (see guardrails.fileio).
    """
    import signal

    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return cli.main(args=argv, standalone_mode=False)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
