"""Options and helpers the commands share: click option decorators, -p, --now, colour
(what the values mean is :mod:`guardrails.runargs`, without click)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guardrails.configmodel import RunOptions
from guardrails.runargs import (  # re-exported: the click commands' helpers are these
    color_choice,
    parse_now_option,
    split_plugins,
)
from guardrails.textsafe import inert_json, inert_line, printable

if TYPE_CHECKING:
    from guardrails.session import Session


def echo(text: str = "") -> None:
    """Print a line; rule titles, ids and fact values come from files: shown, not obeyed."""
    # each line inert too: a line starting with "::" is a GitHub workflow command
    click.echo("\n".join(inert_line(line)
                         for line in printable(text, newlines=True).split("\n")))


def echo_json(data: Any, **dumps: Any) -> None:
    """Print ``data`` as JSON that parses back to it and that no terminal or CI runner
    obeys (:func:`guardrails.textsafe.inert_json`); never through :func:`echo`,
    whose escapes would make the text invalid JSON."""
    import json

    click.echo(inert_json(json.dumps(data, **dumps)))


def file_not_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse a FILE value that is an option's word (``--junitxml -q``): a file name
    forgotten, so click took the next option as the name and wrote a file called
    ``-q`` with the option lost. ``-`` (standard input or output) is a value; a file
    whose name starts with ``-`` is given as ``./-q``, as a file named ``-`` is ``./-``."""
    for text in value if isinstance(value, tuple) else (value,):
        if isinstance(text, str) and text.startswith("-") and text != "-":
            name = param.opts[-1] if param.opts else param.name
            raise click.BadParameter(
                f"{text!r} is an option, not a file name: give the file after {name} "
                f"(a file whose name starts with '-' is given as ./{text})", ctx, param)
    return value


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
                        callback=file_not_option,
                        help="Config file (default: guardrails.yaml or pyproject.toml found "
                        "from the current folder upwards).")(f)


def plugin_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-p", "plugins", multiple=True, metavar="NAME",
                        help="'no:NAME' disables a plugin; a module name loads one.")(f)


@contextlib.contextmanager
def session_for(config_file: str | None, plugins: tuple[str, ...], *,
                allow_no_config: bool = False, **options: Any) -> Iterator[Session]:
    """A configured session for the commands that do not run a whole check;
    unconfigured (``guardrails_unconfigure``) however the command ends.

    ``options`` are :class:`RunOptions` fields (``keyword``, ``focus``,
    ``offline``...); ``now`` may be text from ``--now``.
    """
    from guardrails.configmodel import empty_config
    from guardrails.session import NoConfigError, Session, build_config

    disabled, extra = split_plugins(plugins)
    if "now" in options:
        options["now"] = parse_now_option(options["now"])
    run_options = RunOptions(disabled_plugins=disabled, plugins=extra, **options)
    try:
        config = build_config(config_file, run_options)
    except NoConfigError:
        if not allow_no_config:
            raise
        # No config: no rules of its own (explain still finds every builtin rule).
        config = dataclasses.replace(empty_config(Path.cwd(), run_options), data={"rules": []})
    session = Session(config)
    try:
        session.configure()
        yield session
    finally:
        session.unconfigure()


def render_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """How a saved report is drawn (``report`` and ``merge``): -v/-q, colour, grouping."""
    for option in reversed([
        click.option("-v", "--verbose", count=True,
                     help="Terminal: one line per rule; all evidence."),
        click.option("-q", "--quiet", count=True, help="Terminal: only the summary sections."),
        click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR=1)."),
        click.option("--color/--no-force-color", "color", default=None, hidden=True),
        click.option("--group-by", type=click.Choice(["team"]),
                     help="Group evidence by owning team."),
    ]):
        f = option(f)
    return f


__all__ = ["color_choice", "config_option", "echo", "parse_now_option", "plugin_option",
           "render_options", "session_for", "split_plugins"]
