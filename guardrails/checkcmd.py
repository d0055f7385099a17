"""``guardrails check``'s run, and its plain command lines read without click.

:func:`run` is the command's body: the click command
(:mod:`guardrails.cli.check`) calls it with the values click read. The
program (:mod:`guardrails.entry`) first tries :func:`plain_check`: a
command line made only of forms whose meaning is beyond doubt (the options a
CI job or an engineer types: ``-c``, ``--now``, ``-q``, ``-f``/``-o``...,
each at most once, values that do not start with ``-``) is read here and run
without importing click, ~13 ms of CPU of a ~115 ms example ``check``
(benchmarks/RESULTS.md, "start-up, boot5"). Anything else (``--help``, a
form or value click would refuse or read otherwise, ``--example``, shell
completion) returns None and goes to click, which reads it as it always did.
tests/unit/test_checkcmd.py holds what this returns equal to the values click
gives the command for the same words.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from guardrails.runargs import color_choice, parse_now_option, split_plugins

if TYPE_CHECKING:
    from guardrails.progress import Progress


class OutputOrderError(ValueError):
    """An ``--output`` that follows no ``--format`` (click's usage error in the command)."""


def output_pairs(args: list[str]) -> list[tuple[str, str | None]]:
    """Pair each ``--format`` with the ``--output`` that follows it, in argv order
    (``--output -``: standard output, a None in the pair)."""
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
                    raise OutputOrderError(
                        f"--output {value} must follow the --format it is for "
                        "(e.g. --format junit --output report.xml)")
                pairs[-1][1] = value
    return [(f, stdout_or_file(o)) for f, o in pairs]


def stdout_or_file(output: str | None) -> str | None:
    """An ``--output`` value as a reporter reads it: ``-`` is standard output (None),
    as for most command-line tools; a file really named ``-`` is ``./-``.

    A path that is the very file standard output writes to (``/dev/stdout``,
    ``/dev/fd/1``, ``/proc/self/fd/1``, or the file stdout is redirected to) is
    standard output too: written as a file, the terminal report that a run with
    only file outputs prints would be mixed into it.
    """
    if output is None or output == "-" or _is_stdout(output):
        return None
    return output


def _is_stdout(path: str) -> bool:
    """Whether ``path`` is the same file as standard output (device and inode)."""
    stream = sys.stdout
    if stream is None:
        return False
    try:
        return os.path.samestat(os.stat(path), os.fstat(stream.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file; stdout without a descriptor
        return False


def progress_for(flag: bool | None, verbosity: int) -> Progress | None:
    """The progress display of a run: ``--progress``/``--no-progress`` decide; by
    default, shown when stderr is a terminal and ``-q`` is not given."""
    from guardrails.progress import TerminalProgress

    stream = sys.stderr
    if stream is None:
        return None
    if flag is None:
        try:
            flag = verbosity >= 0 and stream.isatty()
        except ValueError:  # closed
            flag = False
    return TerminalProgress.for_stream(stream) if flag else None


def run(*, pairs: list[tuple[str, str | None]], paths: tuple[str, ...],
        config_file: str | None, keyword: str | None, markexpr: str | None,
        focus: str | None, exitfirst: bool, maxfail: int, verbose: int, quiet: int,
        junitxml: str | None, strict: bool, offline: bool, now: str | None, no_color: bool,
        color: bool | None, group_by: str | None, example: bool, baseline: str | None,
        write_baseline: str | None, progress: bool | None, plugins: tuple[str, ...],
        record: bool, **_ignored: Any) -> int:
    """Run ``check`` with the values of its options; the exit code (errors shown).

    ``pairs`` are the ``--format``/``--output`` pairs in the order given
    (:func:`output_pairs`); ``formats``/``outputs`` themselves are not read.
    """
    from guardrails.configmodel import RunOptions
    from guardrails.exits import wrap_session

    pairs = list(pairs)
    if junitxml:
        pairs.append(("junit", stdout_or_file(junitxml)))
    # --write-baseline - (or stdout's own file): the baseline is standard output's
    # text, for a pipe, so no terminal report is added to it (as with --output -)
    if write_baseline is not None and stdout_or_file(write_baseline) is None:
        write_baseline = "-"
    # With stdout closed, files asked for are the whole report.
    files_only = all(o is not None for _, o in pairs) and "terminal" not in dict(pairs)
    if (not pairs or files_only and sys.stdout is not None) and write_baseline != "-":
        pairs.insert(0, ("terminal", None))

    def body() -> int:
        from guardrails.errors import UsageError
        from guardrails.runargs import example_config
        from guardrails.session import Session, build_config

        disabled, extra = split_plugins(plugins)
        options = RunOptions(
            now=parse_now_option(now), focus=focus, keyword=keyword, markexpr=markexpr,
            exitfirst=exitfirst, maxfail=maxfail, verbosity=verbose - quiet, strict=strict,
            offline=offline, color=color_choice(no_color, color), paths=paths,
            disabled_plugins=disabled, plugins=extra, group_by=group_by,
            outputs=tuple(pairs), junitxml=junitxml, baseline=baseline,
            write_baseline=write_baseline, progress=progress_for(progress, verbose - quiet),
            example=example,
        )
        if example and config_file is not None:
            # one of the two would be ignored without a word
            raise UsageError("--example runs the bundled example org with its own config, "
                             f"so -c/--config {config_file} cannot be given with it",
                             fix="drop --example to run your config, or drop -c to see the "
                             "example")
        try:
            config = build_config(example_config() if example else config_file, options)
            if not record:
                return Session(config).run().exit_code
            from guardrails import history

            if example:
                raise UsageError("--record keeps the history of your own org; the bundled "
                                 "example is a demo and is not recorded",
                                 fix="run 'guardrails check --record' with your guardrails.yaml")
            folder = history.history_dir(config)  # a bad store is refused before the run
            report = Session(config).run()
            history.append(folder, [history.entry_from_report(report)])
            return report.exit_code
        finally:
            if options.progress is not None:
                options.progress.close()

    return wrap_session(body)


#: every value ``check`` is given, as click gives it when the option is absent
DEFAULTS: dict[str, Any] = {
    "paths": (), "config_file": None, "keyword": None, "markexpr": None, "focus": None,
    "exitfirst": False, "maxfail": 0, "verbose": 0, "quiet": 0, "formats": (),
    "outputs": (), "junitxml": None, "strict": False, "offline": False, "now": None,
    "no_color": False, "color": None, "group_by": None, "example": False, "baseline": None,
    "write_baseline": None, "progress": None, "plugins": (), "record": False,
}
#: flags read here: word -> (value, its setting)
FLAGS: dict[str, tuple[str, Any]] = {
    "-x": ("exitfirst", True), "--exitfirst": ("exitfirst", True),
    "--strict": ("strict", True), "--offline": ("offline", True),
    "--no-color": ("no_color", True), "--record": ("record", True),
    "--progress": ("progress", True), "--no-progress": ("progress", False),
    "--verbose": ("verbose", 1), "--quiet": ("quiet", 1),
}
#: options with a value read here: word -> value
VALUED: dict[str, str] = {
    "-c": "config_file", "--config": "config_file", "-k": "keyword", "-m": "markexpr",
    "--focus": "focus", "--maxfail": "maxfail", "-f": "formats", "--format": "formats",
    "-o": "outputs", "--output": "outputs", "--junitxml": "junitxml", "--now": "now",
    "--group-by": "group_by", "--baseline": "baseline", "--write-baseline": "write_baseline",
    "-p": "plugins",
}
#: values that may be given again (click collects them into a tuple)
MULTIPLE = frozenset({"formats", "outputs", "plugins"})
#: values click takes as ``click.Path``: (folders allowed)
PATHS = {"config_file": False, "baseline": False, "write_baseline": False}


def _path_ok(value: str, dir_okay: bool) -> bool:
    """Whether click's ``Path(dir_okay=...)`` takes ``value`` as it is (no message).

    It refuses an existing path it cannot read, and a folder where a file is
    wanted; a path that does not exist it takes (the command says why later).
    """
    try:
        st = os.stat(value)
    except (OSError, ValueError):
        return True
    import stat

    if not dir_okay and stat.S_ISDIR(st.st_mode):
        return False
    return os.access(value, os.R_OK)


def plain_check(args: list[str]) -> dict[str, Any] | None:
    """The values click would give ``check`` for ``args`` (``check ...``), or None.

    Read here: ``check`` first, then words of :data:`FLAGS`, ``-q``/``-v``
    repeated as ``-qq``, options of :data:`VALUED` as ``-c X`` or
    ``--config=X`` (long ones), each once (``-f``, ``-o``, ``-p`` again and
    again), and paths: every value non-empty and not starting with ``-``.
    The result also holds ``pairs``, the ``--format``/``--output`` pairs
    (:func:`output_pairs`). None for anything else, and when click would
    complete words for a shell (``_GUARDRAILS_COMPLETE``), would expand a word
    (Windows: ``~``, a variable, a wildcard), would refuse a
    value (a ``--maxfail`` that is not digits, a ``--group-by`` other than
    ``team``, a ``-c`` naming a folder or an unreadable file), or would stop
    at an ``--output`` before any ``--format``.
    """
    if args[:1] != ["check"] or "_GUARDRAILS_COMPLETE" in os.environ:
        return None
    if os.name == "nt" and any(c in word for word in args for c in "~$%*?["):
        return None  # click expands ~, variables and wildcards in Windows arguments
    got: dict[str, Any] = dict(DEFAULTS)
    seen: set[str] = set()
    paths: list[str] = []
    many: dict[str, list[str]] = {k: [] for k in MULTIPLE}
    it = iter(args[1:])
    for word in it:
        if not word.startswith("-"):
            if not word:
                return None
            paths.append(word)
            continue
        if word in FLAGS:
            name, value = FLAGS[word]
            if name in seen:
                return None
            seen.add(name)
            got[name] = value
            continue
        if len(word) >= 2 and word[1] in "qv" and word[1:] == word[1] * (len(word) - 1):
            name = "quiet" if word[1] == "q" else "verbose"  # -q, -qq, -vvv: click's count
            if name in seen:
                return None
            seen.add(name)
            got[name] = len(word) - 1
            continue
        option, eq, attached = word.partition("=")
        if option not in VALUED or (eq and not option.startswith("--")):
            return None
        value = attached if eq else next(it, None)
        if not value or value.startswith("-"):
            return None
        name = VALUED[option]
        if name in MULTIPLE:
            many[name].append(value)
            continue
        if name in seen:
            return None
        seen.add(name)
        got[name] = value
    for name, dir_okay in PATHS.items():
        if got[name] is not None and not _path_ok(got[name], dir_okay):
            return None
    if any(not _path_ok(p, True) for p in paths):
        return None
    if "maxfail" in seen:  # click.IntRange(min=0): digits only here
        text = got["maxfail"]
        # at most 18 digits: int() of over 4,300 raises ValueError (a traceback)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            return None
        got["maxfail"] = int(text)
    if got["group_by"] not in (None, "team"):
        return None
    try:
        got["pairs"] = output_pairs(list(args[1:]))
    except OutputOrderError:
        return None
    got["paths"] = tuple(paths)
    for name in MULTIPLE:
        got[name] = tuple(many[name])
    return got
