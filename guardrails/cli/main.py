"""The command line: a thin click layer over :mod:`guardrails.session`.

One module per command under ``guardrails.cli``; this one holds the group,
``--version`` and the console entry point. Every command returns an exit
code through :func:`guardrails.exits.wrap_session`; ``GuardrailsGroup.main``
maps click's own usage errors to exit code 4 (click's default is 2, which
pytest uses for "interrupted").
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from guardrails import __version__
from guardrails.cli import check as check_module
from guardrails.cli import explain as explain_module
from guardrails.cli import facts as facts_module
from guardrails.cli import history as history_module
from guardrails.cli import hook as hook_module
from guardrails.cli import init as init_module
from guardrails.cli import list as list_module
from guardrails.cli import merge as merge_module
from guardrails.cli import report as report_module
from guardrails.cli import schema as schema_module
from guardrails.cli import validate as validate_module
from guardrails.exits import wrap_session


class GuardrailsGroup(click.Group):
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


for _module in (check_module, list_module, explain_module, facts_module, validate_module,
                init_module, schema_module, report_module, hook_module, merge_module):
    cli.add_command(_module.command)
for _command in history_module.commands:
    cli.add_command(_command)


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
