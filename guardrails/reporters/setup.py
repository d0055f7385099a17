"""Turning ``--format``/``--output`` pairs into open reporter objects.

Output files are written whole or not at all (:mod:`guardrails.fileio`):
each report goes to a temporary file beside its target and replaces it only
when the run ends normally, so an interrupted or crashed run leaves the
previous report as it was. Before anything runs, :func:`check_output_paths`
refuses an output that would overwrite something the run reads (the config,
a rule file, a data file, the baseline) or that a symlink inside the root
sends outside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.errors import UsageError
from guardrails.exits import silence_stdout, stdout_write_error
from guardrails.plugin import Reporter, ReportOptions, hookimpl

if TYPE_CHECKING:
    from guardrails.configmodel import Config
    from guardrails.model import Report

#: files the git source reads besides .git (codeowners.LOCATIONS)
_CODEOWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def reporter_types(pm: Any) -> Mapping[str, type[Reporter]]:
    """``--format`` name -> reporter class; a builtin reporter is imported on first lookup."""
    from guardrails.manager import Provided

    return Provided(pm, "formats")


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _inputs(config: Config, baseline: str | None) -> tuple[dict[Path, str], dict[Path, str]]:
    """(files, folders) the run reads, real paths -> what they are, for messages."""
    from guardrails.rulepaths import resolve_specs

    files: dict[Path, str] = {}
    folders: dict[Path, str] = {}
    if config.path is not None:
        files[_real(config.path)] = "the config file"
    specs = config.options.paths or tuple(config.rule_specs)
    if specs:
        for p in resolve_specs(config, specs, from_cli=bool(config.options.paths)):
            files.setdefault(_real(p), "a rule file")
    sources = config.sources
    if "files" in sources:
        folders[_real(config.root / str(sources["files"].get("path", "org")))] = \
            "a file in the org data folder"
    if "git" in sources:
        repo = _real(config.root / str(sources["git"].get("path", ".")))
        folders[repo / ".git"] = "a file of the git repository"
        for rel in _CODEOWNERS:
            files.setdefault(repo / rel, "a CODEOWNERS file")
    if baseline:
        files.setdefault(_real(baseline), "the --baseline file")
    return files, folders


def _rule_folders(config: Config) -> list[Path]:
    """The folders named as rule specs (real paths): every .yaml under one is a pack."""
    from guardrails.rulepaths import BUILTIN_PREFIX

    cli = bool(config.options.paths)
    out = []
    for spec in config.options.paths or tuple(config.rule_specs):
        if not spec.startswith(BUILTIN_PREFIX):
            path = _real(spec if cli else config.root / spec)
            if path.is_dir():
                out.append(path)
    return out


def check_render_outputs(inputs: Iterable[str], outputs: Iterable[tuple[str, str]]) -> None:
    """``report`` and ``merge``: refuse an output over a report they read, and over the
    config, a rule or a data file of the project the current folder's config
    describes (as ``check`` refuses them), before anything is written.

    These commands take no config, so they find the one ``check`` would, from
    the current folder and from each output's folder; a config that does not
    load leaves only the report inputs guarded.
    """
    outputs = [(o, n) for o, n in outputs if n]
    if not outputs:
        return
    reads = {_real(p): p for p in inputs}
    for option, name in outputs:
        if _real(name) in reads:
            raise UsageError(f"{option} {name} would write over the report "
                             f"{reads[_real(name)]}, which this command reads",
                             fix="write the output to another file")
    from guardrails.config import find_config, load_config

    found = {find_config(Path.cwd())} | {find_config(Path(n).parent) for _, n in outputs}
    for path in sorted(p for p in found if p is not None):
        try:
            config = load_config(path)
            files, folders = _inputs(config, None)
        except UsageError:  # not this command's to report: check and validate say it
            continue
        _refuse_clobbers(config, outputs, files, folders, "which 'guardrails check' reads")


def check_output_paths(config: Config, outputs: Iterable[tuple[str, str]],
                       baseline: str | None = None) -> None:
    """Refuse outputs that would clobber an input, repeat, or leave the root by a symlink.

    ``outputs`` are ``(option, path)`` pairs such as ``("--output", "r.json")``.
    Raises :class:`UsageError` (exit 4) naming the path before anything runs.
    """
    outputs = list(outputs)
    if not outputs:
        return
    files, folders = _inputs(config, baseline)
    _refuse_clobbers(config, outputs, files, folders)


def _refuse_clobbers(config: Config, outputs: list[tuple[str, str]],
                     files: dict[Path, str], folders: dict[Path, str],
                     reads: str = "which this run reads") -> None:
    root = _real(config.root)
    seen: dict[Path, str] = {}
    for option, name in outputs:
        real = _real(name)
        what = files.get(real) or next(
            (w for f, w in folders.items() if _inside(real, f)), None)
        if what is not None and not (option == "--write-baseline"
                                     and what == "the --baseline file"):
            raise UsageError(
                f"{option} {name} would write over {what} ({_shown(real, root)}), "
                f"{reads}",
                fix="write the report somewhere else, e.g. a reports/ folder")
        if real.suffix in (".yaml", ".yml"):
            # a new report there would be collected as a rule pack by the next run
            folder = next((f for f in _rule_folders(config) if _inside(real, f)), None)
            if folder is not None:
                raise UsageError(
                    f"{option} {name} would add a .yaml file to the rule folder "
                    f"{_shown(folder, root)}, which the next run collects as a rule pack",
                    fix="write the report somewhere else, e.g. a reports/ folder")
        lexical = Path(os.path.abspath(name))
        if _inside(lexical, root) and not _inside(real, root):
            raise UsageError(
                f"{option} {name} is a symlink (or passes through one) that leads "
                "outside the project root",
                fix="give the real destination path, or remove the symlink")
        if real in seen:
            raise UsageError(f"{option} {name} is also the target of {seen[real]}",
                             fix="give each format its own --output file")
        if real.is_dir():
            raise UsageError(f"{option} {name} is a folder", fix="give a file name")
        seen[real] = f"{option} {name}"


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def stdout_stream() -> Any:
    """Standard output for a report; text that cannot be encoded is escaped, never fatal."""
    stream = sys.stdout
    if stream is None:
        raise UsageError("standard output is closed, so the report has nowhere to go",
                         fix="write it to a file with --format FORMAT --output FILE")
    # Only a TextIOWrapper has reconfigure; a replaced sys.stdout may not.
    reconfigure = getattr(stream, "reconfigure", None)
    with contextlib.suppress(AttributeError, ValueError, OSError):
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    return stream


class _ReportStream:
    """A report file's stream whose write errors (a full disk) are usage errors."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream = stream
        self.name = name

    def _failed(self, exc: OSError) -> UsageError:
        return stream_error(self.name, exc)

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def report_file(name: str) -> Iterator[_ReportStream]:
    """An output file written atomically; failing to write it is a usage error (exit 4)."""
    from guardrails.fileio import atomic_writer  # only a run with --output writes a file

    in_body = False
    try:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(name) as fh:
            stream = _ReportStream(fh, name)
            try:
                yield stream
            except BaseException:
                in_body = True
                raise
    except OSError as exc:
        if in_body:
            raise
        raise stream_error(name, exc) from None


def stream_error(name: str, exc: OSError) -> UsageError:
    return UsageError(f"cannot write report {name}: {exc.strerror or exc}",
                      fix="check the free space and permissions where it goes")


class _StdoutStream:
    """Standard output for a report: a reader that went away is a usage error.

    ``guardrails check | head -0``: the report was not delivered, so the gate
    cannot claim a verdict (exit 4), and the interpreter's last flush is kept
    quiet.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _closed(self) -> UsageError:
        silence_stdout()
        return UsageError("standard output was closed before the report was written",
                          fix="write the report to a file with --format FORMAT "
                          "--output FILE")

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise self._closed() from None
        except OSError as exc:  # > /dev/full: exit 4 in one line, as --output /dev/full
            raise stdout_write_error(exc, report=True) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise self._closed() from None
        except OSError as exc:
            raise stdout_write_error(exc, report=True) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def open_reporters(pm: Any, options: Any, stack: contextlib.ExitStack) -> list[Reporter]:
    """One reporter per ``(format, output)`` pair of ``options.outputs``.

    Output files are entered into ``stack``: closing it without an exception
    replaces each target whole, with one leaves every previous report as it was.
    """
    pairs = list(options.outputs)
    types = reporter_types(pm)
    to_stdout = [f for f, o in pairs if o is None]
    if len(to_stdout) > 1:
        raise UsageError(
            f"formats {', '.join(to_stdout)} would all write to standard output",
            fix="give all but one of them an --output FILE",
        )
    if to_stdout and options.write_baseline == "-":
        raise UsageError(
            f"--write-baseline - and the {to_stdout[0]} report would both write to "
            "standard output",
            fix="give the report an --output FILE, or write the baseline to a file",
        )
    for fmt, _ in pairs:
        if fmt not in types:
            raise UsageError(f"unknown format {fmt!r}",
                             fix=f"known formats: {', '.join(sorted(types))}")
    display = ReportOptions.from_run(options)
    reporters: list[Reporter] = []
    for fmt, output in pairs:
        cls = types[fmt]
        if output is None:
            stream: Any = _StdoutStream(stdout_stream())
            opts = display
        else:
            stream = stack.enter_context(report_file(output))
            # Files never get colour codes.
            opts = dataclasses.replace(display, color=False)
        reporters.append(cls(stream, opts))
    return reporters


class ReportOutputs:
    """The reporters of one run, registered at configure, unregistered at unconfigure.

    As pytest's junitxml plugin: the ``--format``/``--output`` options build
    the reporter objects, which the plugin manager then calls through the
    report hooks. Files are written whole when the run went to its end.
    """

    def __init__(self, config: Config) -> None:
        assert config.pluginmanager is not None  # set by Session.configure
        self.config = config
        self.pm = config.pluginmanager
        self.stack = contextlib.ExitStack()
        self.reporters: list[Reporter] = []
        self.completed = False

    def open(self) -> None:
        options = self.config.options
        written = [("--junitxml" if f == "junit" and o == options.junitxml
                    else "--output", o) for f, o in options.outputs if o is not None]
        if options.write_baseline and options.write_baseline != "-":
            written.append(("--write-baseline", options.write_baseline))
        check_output_paths(self.config, written, options.baseline)  # before anything runs
        try:
            self.reporters = open_reporters(self.pm, options, self.stack)
        except BaseException:
            self.stack.close()
            raise
        for i, rep in enumerate(self.reporters):
            self.pm.register(rep, f"reporter-{i}-{rep.name}")

    @hookimpl(tryfirst=True)
    def guardrails_session_finish(self, report: Report) -> None:
        self.completed = report.completed

    @hookimpl(trylast=True, specname="guardrails_session_finish")
    def flush_stdout(self, report: Report) -> None:
        if report.completed and any(o is None for _, o in self.config.options.outputs):
            # A reader that went away is noticed here, not at exit.
            _StdoutStream(sys.stdout).flush()

    def close(self) -> None:
        for rep in self.reporters:
            if self.pm.is_registered(rep):
                self.pm.unregister(rep)
        if self.completed:
            self.stack.close()
        else:
            # Interrupted or failed: every temporary file goes, every previous report stays.
            self.stack.__exit__(RuntimeError, RuntimeError("run did not finish"), None)


_ACTIVE = "report-outputs"


@hookimpl
def guardrails_configure(config: Config) -> None:
    if not config.options.outputs:
        return
    outputs = ReportOutputs(config)
    outputs.open()
    outputs.pm.register(outputs, _ACTIVE)


@hookimpl
def guardrails_unconfigure(config: Config) -> None:
    pm = config.pluginmanager
    outputs = pm.get_plugin(_ACTIVE) if pm is not None else None
    if pm is not None and outputs is not None:
        pm.unregister(outputs)
        outputs.close()
