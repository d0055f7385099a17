"""The command line: a thin click layer over :mod:`guardrails.session`.

One module per command under ``guardrails.cli``; this one holds the group,
``--version`` and the console entry point. A command's module is imported
only when that command runs (or its own ``--help`` is asked): the group's
``--help`` reads the one-line summaries from :data:`COMMANDS`, which
``tests/unit/test_startup.py`` holds equal to each command's own. Every
command returns an exit code through :func:`guardrails.exits.wrap_session`; ``GuardrailsGroup.main``
maps click's own usage errors to exit code 4 (click's default is 2, which
pytest uses for "interrupted").
"""

from __future__ import annotations

import sys
from typing import Any

import click

from guardrails import __version__
from guardrails.exits import wrap_session

#: command name -> (module whose ``command`` it is, the first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("guardrails.cli.check", "Collect rules, gather facts, evaluate, report."),
    "explain": ("guardrails.cli.explain",
                "What a rule checks, its parameters, its data needs, and why it matters."),
    "facts": ("guardrails.cli.facts", "Show the facts the sources gathered (all kinds, or KIND)."),
    "history": ("guardrails.cli.history",
                "Metrics over time: a row per rule with a sparkline of its last points."),
    "hook": ("guardrails.cli.hook",
             "Run the rules whose inputs FILES are, quietly (the pre-commit hooks' entry)."),
    "init": ("guardrails.cli.init",
             "Scaffold guardrails.yaml and an org data folder (never overwrites)."),
    "list": ("guardrails.cli.list",
             "Show the collected rules (id, check, severity, tags) without evaluating."),
    "merge": ("guardrails.cli.merge", "Merge per-repository JSON reports into one org report."),
    "report": ("guardrails.cli.report", "Render a saved JSON report again, in any format."),
    "schema": ("guardrails.cli.schema",
               "Print the JSON Schema of rule files, the config, the report or a data file."),
    "trend": ("guardrails.cli.history",
              "Regressions before they fail: rules drifting toward their threshold."),
    "validate": ("guardrails.cli.validate", "Validate the config, rule packs and org data "
                 "files among FILES (offline, fast)."),
}


class GuardrailsGroup(click.Group):
    """The group: commands from :data:`COMMANDS`, imported when used; click's
    usage errors exit 4."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module = importlib.import_module(COMMANDS[cmd_name][0])
            # A module holds one ``command``, or several ``commands`` (history, trend).
            for command in getattr(module, "commands", None) or [module.command]:
                self.add_command(command, command.name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name != "check":
            # The program paused the collector for start-up (guardrails/collector.py):
            # only check takes it back later, at its first gather.
            from guardrails import collector

            collector.resume()
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the summaries of :data:`COMMANDS` for the
        commands not imported yet (the same text click would make of their help)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands or name not in COMMANDS:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit)))
            else:
                # A stand-in command: click shortens its help as it would the real one's.
                stand_in = click.Command(name, help=COMMANDS[name][1])
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        def body() -> int:
            rv = super(GuardrailsGroup, self).main(args, prog_name or "guardrails",
                                                   complete_var, standalone_mode=False, **extra)
            return rv if isinstance(rv, int) else 0

        # click's own errors (a bad option: exit 4) take the one way to an exit code.
        code = wrap_session(body)
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def _print_version(ctx: click.Context, _param: Any, value: bool) -> None:
    """``--version``: ours, then the plugins installed with their versions (like pytest's).

    Nothing is imported to list them: builtins come from guardrails.builtins,
    third-party plugins from their entry points.
    """
    if not value or ctx.resilient_parsing:
        return
    from guardrails.builtins import available_plugins
    from guardrails.installed import pluggy_version, python_version

    click.echo(f"guardrails {__version__} (python {python_version()}, "
               f"pluggy {pluggy_version()})")
    infos = available_plugins()
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


def main(argv: list[str] | None = None, *, program: bool = False) -> int:
    """Console entry point: returns the exit code.

    SIGTERM is turned into ``KeyboardInterrupt`` for the time of the run, so
    both signals take the same way out: exit code 2, "interrupted", every
    report file left as it was (see guardrails.fileio). ``program``: the
    process ends when this returns (see :func:`guardrails.exits.sigterm_as_interrupt`).
    """
    from guardrails.exits import sigterm_as_interrupt

    with sigterm_as_interrupt(program=program):
        return cli.main(args=argv, standalone_mode=False)


def console() -> int:
    """The ``guardrails`` program (console script, ``python -m guardrails``): :func:`main`
    in a process that ends when it returns.

    Before the process ends, every object left is moved out of the collector's
    reach (``gc.freeze``): CPython's shutdown runs full collections over every
    object the run made, ~20 ms of a ~0.2 s ``check`` (benchmarks/RESULTS.md,
    "start-up"), to find garbage the exit frees anyway. Not in :func:`main`,
    which tests and libraries call in a process that goes on. The program's
    entry (:func:`guardrails.entry.console`) then usually skips the shutdown:
    it flushes the standard streams, runs the atexit handlers and calls
    ``os._exit`` (see there for when it does not).
    """
    code = main(program=True)
    import gc

    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
