"""Baselines: adopt guardrails on an org that already fails, and gate only new failures.

``guardrails check --write-baseline FILE`` records the current failures;
``guardrails check --baseline FILE`` then fails only on failures the file
does not know. The file is small, sorted JSON meant to be committed and
reviewed; guardrails never rewrites it by itself.

What "known" means:

- subject rules (``each``, ``count``, named checks): a failing rule is known
  when every evidence subject it names is in the baseline. Known subjects are
  dropped from the evidence of a rule that also has new ones (like a subject
  waiver), so the report shows only what is new.
- metric rules (``check: metric``): a failing rule is known while its value
  is no worse than the baselined value. Thresholds in a baseline can only
  tighten: a value that got worse is a new failure even when the subjects
  behind it are old.

A rule whose failure is entirely known is reported ``skipped`` with the
reason ``known in baseline FILE: ...`` and does not fail the gate (see
docs/ci.md for why not ``waived`` or ``passed``). Errors are never
baselined: a gate must not pass on data it could not read.

A ``--baseline`` file that does not exist yet (the first CI run of a copied
workflow) is an empty baseline, with a notice in the report's warnings and on
stderr: every failure counts as new, the reports are written as usual and the
run exits 0 or 1 like a run without a baseline. Never the other way round: a
missing file must not make old failures pass, or a typo in its name would
switch the gate off. A file that exists but cannot be read is still a usage
error (exit 4).

``--baseline -`` reads the baseline from standard input (``<stdin>`` in
messages and reports), at most 64 MiB of it; a terminal there is refused.
``--write-baseline -`` writes it to standard output; a full disk or a reader
gone is a usage error (exit 4), the baseline not recorded.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.errors import UsageError
from guardrails.model import BaselineSummary, Outcome, Result, Rule
from guardrails.plugin import hookimpl
from guardrails.records import FACTORY, record

if TYPE_CHECKING:
    from guardrails.configmodel import Config
    from guardrails.model import Report
    from guardrails.plugin import EvalContext

FORMAT_VERSION = 1
#: a larger --baseline file is refused unread (one of thousands of failures is ~100 KB)
_MAX_BYTES = 64 * 1024 * 1024
KNOWN_PREFIX = "known in baseline"


@record
class Entry:
    """One baselined failing rule."""

    rule: str
    subjects: list[str] = field(default_factory=list)
    value: float | int | None = None
    unit: str | None = None
    threshold: dict[str, Any] | None = None
    metric: bool = False

    def __init__(self, rule: str, subjects: list[str] = FACTORY, value: float | int | None = None,
                 unit: str | None = None, threshold: dict[str, Any] | None = None,
                 metric: bool = False) -> None:
        self.rule = rule
        self.subjects = [] if subjects is FACTORY else subjects
        self.value = value
        self.unit = unit
        self.threshold = threshold
        self.metric = metric

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule}
        if self.metric:
            out.update(kind="metric", value=self.value, unit=self.unit,
                       threshold=self.threshold)
        out["subjects"] = sorted(self.subjects)
        return out


def entry_for(result: Result, rule: Rule | None) -> Entry:
    metric = rule is not None and rule.check == "metric" and result.value is not None
    return Entry(rule=result.id, subjects=sorted({e.subject for e in result.evidence}),
                 value=result.value if metric else None, unit=result.unit if metric else None,
                 threshold=dict(result.threshold or {}) if metric else None, metric=metric)


def dump(entries: Iterable[Entry], now: str | None = None) -> str:
    """The baseline file's text: stable, sorted, one rule per entry."""
    data = {
        "version": FORMAT_VERSION,
        "generated_by": "guardrails check --write-baseline",
        "now": now,
        "failures": [e.to_json() for e in sorted(entries, key=lambda e: e.rule)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load(path: str | Path) -> dict[str, Entry]:
    """Read a baseline file (``-``: standard input, named ``<stdin>``); anything
    unreadable is a usage error naming the file."""
    fix = "point --baseline at a file written by 'guardrails check --write-baseline FILE'"
    from guardrails.jsonfile import STDIN, finite_number, read_json, read_json_stdin

    if path == "-":
        shown = STDIN
        data = read_json_stdin(option="--baseline", noun="baseline file", limit=_MAX_BYTES,
                               fix=fix, too_deep="a baseline")
    else:
        shown = str(path)
        data = read_json(path, noun="baseline file", limit=_MAX_BYTES, fix=fix,
                         too_deep="a baseline")
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        got = data.get("version") if isinstance(data, dict) else None
        raise UsageError(f"baseline file has format version {got!r}, "
                         f"this guardrails reads version {FORMAT_VERSION}", file=shown, fix=fix)
    out: dict[str, Entry] = {}
    failures = data.get("failures")
    if not isinstance(failures, list):
        raise UsageError("baseline file has no 'failures' list", file=shown, fix=fix)
    for i, item in enumerate(failures):
        ok = (isinstance(item, dict) and isinstance(item.get("rule"), str)
              and isinstance(item.get("subjects", []), list)
              and all(isinstance(s, str) for s in item.get("subjects", [])))
        if not ok:
            raise UsageError(f"baseline entry {i} needs a 'rule' and a 'subjects' list "
                             "of strings", file=shown, fix=fix)
        metric = item.get("kind") == "metric"
        value = item.get("value")
        # 1e999 decodes to infinity: a baselined value no failure could ever be worse than
        if metric and not finite_number(value):
            raise UsageError(f"baseline entry {i} ({item['rule']}) is a metric without a "
                             "finite numeric 'value'", file=shown, fix=fix)
        out[item["rule"]] = Entry(
            rule=item["rule"], subjects=list(item.get("subjects", [])),
            value=value, unit=item.get("unit"), threshold=item.get("threshold"),
            metric=metric,
        )
    return out


def missing_notice(path: str, writes_it: bool) -> str:
    """The warning of a run whose ``--baseline`` file does not exist yet."""
    then = (f"this run writes it (--write-baseline {path})" if writes_it else
            f"to gate only new failures, record today's with 'guardrails check "
            f"--write-baseline {path}' and commit that file")
    return (f"baseline {path} does not exist yet, so every failure counts as new; "
            f"{then} (docs/ci.md, 'Baselines')")


def is_missing(path: str | Path) -> bool:
    """True when nothing at all is at ``path`` (a dangling symlink is not missing:
    :func:`load` reports it)."""
    if path == "-":  # standard input: read, never missing
        return False
    p = Path(path)
    return not p.exists() and not p.is_symlink()


def worse(value: float, known: float, threshold: dict[str, Any] | None) -> bool:
    """Whether ``value`` is worse than the baselined ``known`` for this threshold."""
    threshold = threshold or {}
    if "max" in threshold and "min" not in threshold:
        return value > known
    if "min" in threshold and "max" not in threshold:
        return value < known
    # Both bounds (or neither): any move away from the baselined value is worse.
    return value != known


class BaselinePlugin:
    """Registered for one run: records failures and applies a known baseline.

    It wraps ``guardrails_evaluate_rule`` so it sees every result after
    waivers and before any reporter does. The module's
    ``guardrails_configure`` builds it from the run options
    (``--baseline``/``--write-baseline`` on the command line,
    ``--guardrails-baseline`` under pytest, ``RunOptions`` in the library).
    """

    def __init__(self, known: dict[str, Entry] | None = None, source: str | None = None,
                 record: bool = False, target: str | None = None,
                 missing: bool = False) -> None:
        self.known = known
        self.source = source
        #: the --baseline file did not exist: ``known`` is empty and the run says so
        self.missing = missing
        self.record = record or target is not None
        #: where --write-baseline writes once the reports are written
        self.target = target
        self.recorded: list[Entry] = []
        #: (rule id, subject or "value X") of baselined failures that no longer fail
        self.fixed: list[tuple[str, str]] = []
        self.new: list[str] = []
        self.known_rules: list[str] = []

    @hookimpl(wrapper=True)
    def guardrails_evaluate_rule(self, rule: Rule, context: EvalContext):  # type: ignore[no-untyped-def]
        result = yield
        if result is None:
            return result
        if self.record and result.outcome is Outcome.FAILED:
            self.recorded.append(entry_for(result, rule))
        if self.known is not None:
            self.apply(result, rule)
        return result

    def apply(self, result: Result, rule: Rule) -> None:
        entry = self.known.get(result.id) if self.known else None
        if entry is None:
            if result.outcome is Outcome.FAILED:
                self.new.append(result.id)
            return
        if result.outcome in (Outcome.PASSED, Outcome.SKIPPED, Outcome.WAIVED):
            if result.outcome is Outcome.PASSED:
                self.fixed.extend((result.id, s) for s in entry.subjects or ["(the rule)"])
            return
        if result.outcome is not Outcome.FAILED:
            return  # an error stays an error
        current = {e.subject for e in result.evidence}
        self.fixed.extend((result.id, s) for s in sorted(set(entry.subjects) - current))
        if entry.metric:
            self._apply_metric(result, entry)
        else:
            self._apply_subjects(result, entry)

    def _apply_metric(self, result: Result, entry: Entry) -> None:
        if (result.value is None or entry.value is None
                or worse(result.value, entry.value, result.threshold)):
            result.details.append(
                f"worse than the baseline ({self.source}): {entry.value} then, "
                f"{result.value} now; a baseline never relaxes a threshold")
            self.new.append(result.id)
            return
        self._known(result, f"value {result.value} is no worse than the baselined "
                            f"{entry.value}")

    def _apply_subjects(self, result: Result, entry: Entry) -> None:
        if not result.evidence:
            # A rule without evidence is known by its id alone, if it had none then either.
            if entry.subjects:
                self.new.append(result.id)
            else:
                self._known(result, "it failed without evidence then too")
            return
        base = set(entry.subjects)
        new = [e for e in result.evidence if e.subject not in base]
        if len(new) == len(result.evidence):
            self.new.append(result.id)
            return
        if new:
            old = len(result.evidence) - len(new)
            result.evidence = new
            result.details.append(f"{old} subject(s) {KNOWN_PREFIX} {self.source} "
                                  "left out; only new ones are shown")
            self.new.append(result.id)
            return
        self._known(result, f"all {len(result.evidence)} failing subject(s) are baselined")

    def _known(self, result: Result, why: str) -> None:
        self.known_rules.append(result.id)
        result.outcome = Outcome.SKIPPED
        result.details.insert(0, f"{KNOWN_PREFIX} {self.source}: {why}")
        result.message = f"{KNOWN_PREFIX} {self.source}: {result.message}"

    # -- after the run -------------------------------------------------------
    def fixed_line(self) -> str | None:
        if not self.fixed:
            return None
        n = len(self.fixed)
        items = ", ".join(f"{r} ({s})" for r, s in self.fixed[:10])
        more = f" and {n - 10} more" if n > 10 else ""
        return (f"{n} baseline failure{'s' if n != 1 else ''} fixed: {items}{more} "
                f"(update {self.source} with --write-baseline to lock the gains in)")

    @hookimpl(tryfirst=True)
    def guardrails_session_finish(self, report: Report) -> None:
        # Before any reporter reads it: the report says what the baseline did, and
        # its "fixed" note is a warning, so the JSON and Markdown reports carry it too.
        report.baseline = BaselineSummary(
            file=self.source, written=self.target, known=list(self.known_rules),
            new=list(self.new), fixed=list(self.fixed), recorded=len(self.recorded))
        line = self.fixed_line() if self.known is not None else None
        if line:
            report.warnings.append(line)
        if self.missing_line():
            report.warnings.append(self.missing_line())

    def missing_line(self) -> str:
        """The notice of a --baseline file that does not exist yet ("" otherwise)."""
        if not (self.missing and self.source):
            return ""
        same = self.target is not None and Path(self.target).absolute() == \
            Path(self.source).absolute()
        return missing_notice(self.source, writes_it=same)

    @hookimpl(trylast=True, specname="guardrails_session_finish")
    def write_after_reports(self, report: Report) -> None:
        if not report.completed:
            return
        fixed = self.fixed_line()
        if fixed:
            print(fixed, file=sys.stderr)
        if self.missing_line():
            # On stderr too: a CI job whose stdout carries --format github shows it.
            print(f"notice: {self.missing_line()}", file=sys.stderr)
        if self.target:
            self.write(self.target, report.now)
            n = len(self.recorded)
            where = "the baseline to standard output" if self.target == "-" else self.target
            print(f"wrote {where}: {n} failing rule{'s' if n != 1 else ''} recorded",
                  file=sys.stderr)

    def write(self, path: str | Path, now: str | None = None) -> None:
        if path == "-":  # the command line read '-' and stdout's own file so (checkcmd)
            if sys.stdout is None:
                raise UsageError("standard output is closed, so --write-baseline - has "
                                 "nowhere to go", fix="write the baseline to a file")
            try:
                sys.stdout.write(dump(self.recorded, now))
                sys.stdout.flush()
            except OSError as exc:  # a full disk, a reader gone (exit 4, one line)
                raise _stdout_error(exc) from None
            return
        from guardrails.fileio import atomic_write  # only when a baseline is written

        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, dump(self.recorded, now))
        except OSError as exc:
            raise UsageError(f"cannot write --write-baseline {path}: {exc.strerror}") from None


def _stdout_error(exc: OSError) -> UsageError:
    """The usage error of ``--write-baseline -`` that standard output refused; the
    interpreter's last flush of what is left is kept quiet (no second message)."""
    from guardrails.exits import silence_stdout

    silence_stdout()
    what = ("standard output was closed before the baseline was written"
            if isinstance(exc, BrokenPipeError)
            else f"cannot write the baseline to standard output: {exc.strerror or exc}")
    return UsageError(f"--write-baseline -: {what}, so it was not recorded",
                      fix="write it to a file with --write-baseline FILE, or check the free "
                      "space where standard output goes")


PLUGIN_NAME = "baseline"


@hookimpl
def guardrails_configure(config: Config) -> None:
    """Register a :class:`BaselinePlugin` when the run options name a baseline."""
    options = config.options
    if not (options.baseline or options.write_baseline):
        return
    missing = options.baseline is not None and is_missing(options.baseline)
    known: dict[str, Entry] | None = None
    if options.baseline:
        known = {} if missing else load(options.baseline)  # before any output
    assert config.pluginmanager is not None
    from guardrails.jsonfile import STDIN

    config.pluginmanager.register(
        BaselinePlugin(known, source=STDIN if options.baseline == "-" else options.baseline,
                       target=options.write_baseline, missing=missing),
        PLUGIN_NAME)


@hookimpl
def guardrails_unconfigure(config: Config) -> None:
    pm = config.pluginmanager
    plugin = pm.get_plugin(PLUGIN_NAME) if pm is not None else None
    if pm is not None and plugin is not None:
        pm.unregister(plugin)


__all__ = ["BaselinePlugin", "Entry", "dump", "is_missing", "load", "missing_notice"]
