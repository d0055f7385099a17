"""Options and helpers the commands share: click option decorators, -p, --now, colour."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guardrails.config import RunOptions
from guardrails.errors import UsageError
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.session import Session

EXAMPLE_CONFIG = "examples/acme/guardrails.yaml"
#: the years --now may name (git timestamps start in 1970; 9999 leaves no room for windows)
NOW_RANGE = (1970, 9998)


def echo(text: str = "") -> None:
    """Print a line; rule titles, ids and fact values come from files: shown, not obeyed."""
    click.echo(printable(text, newlines=True))


def color_choice(no_color: bool, color: bool | None) -> bool:
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


def parse_now_option(value: str | None) -> Any:
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


def split_plugins(plugins: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    disabled = tuple(p[3:] for p in plugins if p.startswith("no:"))
    extra = tuple(p for p in plugins if not p.startswith("no:"))
    return disabled, extra


def example_config() -> str:
    """The bundled example org: inside the installed package, or in a source checkout.

    A wheel carries examples/acme as ``guardrails/example/`` (pyproject.toml
    maps it at build time); an editable install or a run from the checkout
    reads examples/acme itself. Never the current folder: ``--example`` means
    the same org wherever it is run.
    """
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "example" / "guardrails.yaml",
                      package.parent / EXAMPLE_CONFIG):
        if candidate.is_file():
            return str(candidate)
    raise UsageError("the example org is not available in this installation "
                     f"(looked for {package / 'example' / 'guardrails.yaml'})",
                     fix="reinstall with 'python -m pip install execution-guardrails', or run "
                         "from a checkout of the guardrails repository")


@contextlib.contextmanager
def session_for(config_file: str | None, plugins: tuple[str, ...], *,
                allow_no_config: bool = False, **options: Any) -> Iterator[Session]:
    """A configured session for the commands that do not run a whole check;
    unconfigured (``guardrails_unconfigure``) however the command ends.

    ``options`` are :class:`RunOptions` fields (``keyword``, ``focus``,
    ``offline``...); ``now`` may be text from ``--now``.
    """
    from guardrails.config import empty_config
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
