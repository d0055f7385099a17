"""One run: configure -> collect -> gather -> evaluate -> finish.

:class:`Session` is the only conductor: every command and the pytest plugin
go through its phases. ``run()`` is the library entry point; the CLI is a
thin layer over it. :func:`guardrails.exits.wrap_session` is the one place
where exceptions become exit codes (re-exported here).

This module is the conductor: configure, collect and select the rules,
evaluate them, finish. Two phases are ideas of their own and live apart, each
called through the session's method of the same name: gathering facts from the
configured sources (:mod:`guardrails.gathering`) and building the Report
(:mod:`guardrails.runreport`).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrails import collector, gathering, packcache, runreport
from guardrails import facts as factsmod
from guardrails.collect import registered_checks, registered_metrics
from guardrails.config import find_config, load_config, refuse_foreign
from guardrails.configmodel import Config, RunOptions, known_focuses
from guardrails.errors import GuardrailsError, LoadErrors, UsageError, raise_all
from guardrails.exits import exit_code_for, wrap_session
from guardrails.kinds import KindRegistry
from guardrails.manager import (
    GuardrailsPluginManager,
    Provided,
    create_manager,
    unknown_blocked_warnings,
)
from guardrails.model import ExitCode, Outcome, Report, Result, Rule, RuleHelp
from guardrails.plugin import EvalContext, Source
from guardrails.rulefile import builtin_rule_ids, declared_rules, duplicate_errors
from guardrails.rulepaths import resolve_specs_all
from guardrails.timeutil import parse_now
from guardrails.waivers import (
    expired_waiver_warning,
    far_waiver_warning,
    unknown_waiver_warning,
    unused_waiver_warnings,
)


class NoConfigError(UsageError):
    pass


def build_config(config_file: str | Path | None, options: RunOptions,
                 cwd: Path | None = None) -> Config:
    """Find (or take) the config file and load it."""
    cwd = (cwd or Path.cwd()).resolve()
    if config_file:
        return _load_reporting_rules(Path(config_file), options)
    found = find_config(cwd)
    if found is not None:
        refuse_foreign(found, cwd)
    if found is None:
        if options.paths:
            from guardrails.configmodel import empty_config

            return empty_config(cwd, options)
        raise NoConfigError(
            f"no guardrails.yaml (or [tool.guardrails] in pyproject.toml) in {cwd} "
            "or any folder above it",
            fix="run 'guardrails init' to scaffold one, pass -c FILE, "
            "or try 'guardrails check --example' to see a report on the bundled example org",
        )
    return _load_reporting_rules(found, options)


def _load_reporting_rules(path: Path, options: RunOptions) -> Config:
    """load_config; when the config is invalid, the rules' errors are reported with it."""
    try:
        return load_config(path, options)
    except UsageError as exc:
        partial = getattr(exc, "partial_config", None)
        if partial is None or options.paths:
            raise
        try:
            probe = Session(partial)
            probe.configure()
            probe.collect()
        except UsageError as more:
            raise LoadErrors([exc, more]) from None
        except GuardrailsError:
            pass  # a plugin that cannot load: the config error comes first
        raise


class Session:
    """The one conductor of a run: its phases are the only way through it.

    ``configure()``, ``collect(paths)``, ``gather(kinds)``, ``evaluate()``
    and ``finish()`` are public so that every command (``check``, ``list``,
    ``facts``, ``validate``) and the pytest plugin go the same way; callers
    pass arguments, they never assign to the session. :meth:`run` calls them
    in order with ``session_finish``/``unconfigure`` in a ``finally``;
    :meth:`main` adds the one mapping from exceptions to exit codes.
    """

    def __init__(self, config: Config, pm: GuardrailsPluginManager | None = None) -> None:
        self.config = config
        self.options = config.options
        self.now = self.options.now or parse_now(None)
        self.pm = pm
        self.rules: list[Rule] = []
        self.collected: int = 0
        self.deselected: int = 0
        self.files: list[tuple[str, list[Rule]]] = []
        self.sources: dict[str, gathering.SourceState] = {}
        self.store = factsmod.FactStore()
        self.results: list[Result] = []
        self.warnings: list[str] = []
        self.stopped_early: str | None = None
        self.start_time = time.perf_counter()
        self.checks: Mapping[str, Any] = {}
        #: seconds spent per phase (collect, gather, evaluate), for -v and benchmarks
        self.timings: dict[str, float] = {}
        self.metrics: Mapping[str, Any] = {}
        self._configured = False
        self._header_lines: list[str] = []
        self._repo_root: str | None = None
        self._help: dict[str, RuleHelp] = {}
        self._warnings_at_start = 0
        self._report: Report | None = None
        #: how much further back than the window sources read (a history backfill's span)
        self.lookback = timedelta(0)

    # -- phases --------------------------------------------------------------
    def configure(self) -> None:
        """Load the plugins and call ``guardrails_configure`` (once)."""
        if self._configured:
            return
        if self.pm is None:
            self.pm = create_manager(self.options.disabled_plugins,
                                     [*self.config.plugins, *self.options.plugins],
                                     local_root=self.config.root)
        self.config.pluginmanager = self.pm
        if getattr(self.pm, "blocked_unknown", None):  # a manager of ours (tests pass theirs)
            self.warnings += unknown_blocked_warnings(self.pm)
        self.store.kinds = KindRegistry.from_hook(self.pm.hook.guardrails_fact_kinds())
        self.checks = registered_checks(self.pm)
        self.metrics = registered_metrics(self.pm)
        self._configured = True
        self.pm.hook.guardrails_configure(config=self.config)

    def unconfigure(self) -> None:
        """Call ``guardrails_unconfigure`` (plugin objects unregister, files close)."""
        if self._configured:
            self._configured = False
            assert self.pm is not None
            self.pm.hook.guardrails_unconfigure(config=self.config)

    def collect(self, paths: tuple[str, ...] | list[str] | None = None) -> list[Rule]:
        """Collect and select the rules of ``paths`` (default: the command line's, else
        the config's rule specs); return the selected rules."""
        assert self.pm is not None
        from_cli = paths is not None or bool(self.options.paths)
        specs = tuple(paths) if paths is not None else (
            self.options.paths or tuple(self.config.rule_specs))
        self.rules, self.files = [], []
        if not specs:
            return self.rules
        found, errors = resolve_specs_all(self.config, specs, from_cli=from_cli)
        rules: list[Rule] = []
        # every id in collection order, a bad file's too: the first copy of an id
        # given twice is named even when its file has another error
        declared: list[Rule | tuple[str, str, int]] = []
        try:
            for path in found:
                try:
                    got = self.pm.hook.guardrails_collect_file(path=path, config=self.config)
                except UsageError as exc:  # every bad file is reported, like pytest's collection
                    errors.append(exc)
                    declared += declared_rules(exc)
                    continue
                if got is None:
                    errors.append(UsageError("no plugin can read this rule file", file=str(path),
                                             fix="rule files are .yaml packs"))
                    continue
                got = list(got)  # read twice: a plugin may hand back an iterator
                rules.extend(got)
                declared += got
        finally:
            packcache.flush()  # the builtin packs kept, all in one file (packcache.py)
        errors += duplicate_errors(declared)
        if not errors:
            try:
                self._check_focus(rules)
            except UsageError as exc:
                errors.append(exc)
        raise_all(errors)
        self.collected = len(rules)
        selected, self.deselected = rules, 0
        if self.options.keyword or self.options.markexpr:
            from guardrails.expressions import select, unmatched_names  # -k/-m only

            selected, self.deselected = select(rules, self.options.keyword,
                                               self.options.markexpr)
            self.warnings += unmatched_names(rules, self.options.keyword,
                                             self.options.markexpr)
        self.pm.hook.guardrails_collection_modifyitems(config=self.config, rules=selected)
        self.rules = selected
        order: dict[str, list[Rule]] = {}
        for r in selected:
            order.setdefault(r.file, []).append(r)
        self.files = list(order.items())
        self._collection_warnings(rules)
        return self.rules

    def _collection_warnings(self, rules: list[Rule]) -> None:
        known = {r.nodeid for r in rules} | self.config.disabled_rules
        builtin_ids: set[str] | None = None
        for rule_id in self.config.overrides:
            if rule_id not in known:
                if builtin_ids is None:
                    builtin_ids = builtin_rule_ids()
                self.warnings.append(self._unknown_override_warning(rule_id,
                                                                    known | builtin_ids))
        for w in self.config.waivers:
            if w.rule not in known:
                if builtin_ids is None:
                    builtin_ids = builtin_rule_ids()
                self.warnings.append(unknown_waiver_warning(self.config, w, known | builtin_ids))
            elif not w.active(self.now, self.config.timezone):
                self.warnings.append(expired_waiver_warning(self.config, w))
            elif far := far_waiver_warning(self.config, w, self.now, self.config.timezone):
                self.warnings.append(far)

    def _unknown_override_warning(self, rule_id: str, known: set[str]) -> str:
        """An ``overrides:`` entry naming no collected rule: its config line and the
        closest rule id (never fatal, as for a waiver: the rule may have been removed)."""
        import difflib

        line = self.config.line_of("overrides", rule_id)
        where = f"{self.config.display_path}:{line}: " if line else ""
        close = difflib.get_close_matches(rule_id, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{where}override for {rule_id} names a rule that is not collected{hint}"

    def _check_focus(self, rules: list[Rule]) -> None:
        focus = self.config.focus
        if not focus:
            return
        names = known_focuses({f for r in rules for f in r.focus_overrides})
        if focus not in names:
            from_cli = bool(self.options.focus)
            raise UsageError(
                f"unknown focus {focus!r}",
                file=None if from_cli else self.config.display_path,
                line=None if from_cli else self.config.line_of("focus", "current"),
                fix=f"known focuses: {', '.join(names)}",
            )

    def needed_kinds(self) -> set[str]:
        """The fact kinds the selected rules read (with the kinds their joins need)."""
        needed: set[str] = set()
        for r in self.rules:
            check = self.checks.get(r.check)
            if check is not None:
                needed |= set(check.needs(r, self.metrics))
        if needed:
            # Teams and services are small and attribute any evidence to its
            # owning team (--group-by team, evidence "team", team/ waivers).
            needed |= {"teams", "services"}
        return self.store.kinds.with_requirements(needed)

    def source_types(self) -> Mapping[str, type[Source]]:
        """Source classes by name; a builtin source is imported on first lookup."""
        assert self.pm is not None
        return Provided(self.pm, "sources")

    def source_class(self, name: str, types: Mapping[str, type[Source]]) -> type[Source]:
        """The class of configured source ``name``, its options validated (ConfigError)."""
        return gathering.source_class(self.config, name, types)

    def gather(self, kinds: set[str] | list[str] | None = None,
               sources: tuple[str, ...] | list[str] | None = None) -> factsmod.FactStore:
        """Build the configured sources, validate them, and gather facts
        (:func:`guardrails.gathering.gather`).

        :param kinds: fact kinds to gather (with the kinds their joins need);
            default: the kinds the selected rules read.
        :param sources: only these configured sources (``validate`` asks the
            files source alone); default: every configured source.
        :return: the fact store, joined.
        """
        return gathering.gather(self, kinds, sources)

    def context(self) -> EvalContext:
        """What checks read: facts, now, window, metrics."""
        return EvalContext(now=self.now, window=self.config.window, focus=self.config.focus,
                           store=self.store, metrics=self.metrics, config=self.config,
                           checks=self.checks)

    def start_report(self) -> Report:
        """The report before any rule runs; ``guardrails_report_start`` is told."""
        assert self.pm is not None
        for lines in self.pm.hook.guardrails_report_header(config=self.config):
            self._header_lines.extend(str(t) for t in lines or ())
        self._warnings_at_start = len(self.warnings)
        report = self.report()
        self.pm.hook.guardrails_report_start(report=report)
        return report

    def evaluate(self, rules: list[Rule] | None = None) -> list[Result]:
        """Evaluate ``rules`` (default: the selected ones), logging each result.

        Stops early at ``--maxfail``/``-x``; returns the results of this call.
        """
        assert self.pm is not None
        ctx = self.context()
        maxfail = 1 if self.options.exitfirst else self.options.maxfail
        failures = sum(r.counts_against_exit(self.options.strict) for r in self.results)
        out: list[Result] = []
        for rule in (self.rules if rules is None else rules):
            result = self.pm.hook.guardrails_evaluate_rule(rule=rule, context=ctx)
            self.results.append(result)
            out.append(result)
            self.pm.hook.guardrails_evaluate_logreport(result=result)
            if result.counts_against_exit(self.options.strict):
                failures += 1
                if maxfail and failures >= maxfail:
                    self.stopped_early = f"stopping after {failures} failures"
                    break
        return out

    def exit_code(self) -> ExitCode:
        if not self.rules:
            return ExitCode.NO_RULES_COLLECTED
        if any(r.counts_against_exit(self.options.strict) for r in self.results):
            return ExitCode.RULES_FAILED
        return ExitCode.OK

    def report(self, exit_code: int | None = None) -> Report:
        """The run as a :class:`Report`: everything any reporter shows
        (:func:`guardrails.runreport.build_report`)."""
        return runreport.build_report(self, exit_code)

    def finish(self, exit_code: int | None = None) -> Report:
        """Build the final report and call ``guardrails_session_finish`` (once)."""
        assert self.pm is not None
        if self._report is None:
            if self.results and self.config.data.get("waivers"):
                self.warnings += unused_waiver_warnings(
                    self.config, self.config.waivers, self.results, self.config.waivers_met,
                    self.now, self.config.timezone)
            self._report = self.report(exit_code)
            self.pm.hook.guardrails_session_finish(report=self._report)
        return self._report

    def run(self) -> Report:
        """Every phase in order; ``session_finish`` and ``unconfigure`` always run.

        Raises what the run raised (a usage error, an interrupt); the report
        given to ``guardrails_session_finish`` then carries its exit code.
        """
        try:
            self.configure()
            assert self.pm is not None
            self.pm.hook.guardrails_session_start(session=self)
            t0 = time.perf_counter()
            self.collect()
            t1 = time.perf_counter()
            # Facts are hundreds of thousands of long-lived dicts: the cyclic garbage
            # collector would rescan them again and again (0.8s of a 100k-deployment
            # run) to find nothing. Paused while facts are built and read; the
            # program's own pause of start-up (guardrails/collector.py) ends with it.
            gc_was_enabled = collector.take_pause() or gc.isenabled()
            gc.disable()
            try:
                if self.rules:
                    # The top of the header now: gathering years of history can take a while.
                    self.pm.hook.guardrails_gather_start(report=self.report())
                    self.gather()
                t2 = time.perf_counter()
                self.start_report()
                t3 = time.perf_counter()
                self.evaluate()
                t4 = time.perf_counter()
            finally:
                if gc_was_enabled:
                    collector.enable_unwalked()
            self.timings = {"collect": t1 - t0, "gather": t2 - t1, "evaluate": t4 - t3}
            return self.finish()
        except BaseException as exc:
            if self._configured and self._report is None:
                with contextlib.suppress(Exception):  # the first error is the one to show
                    self.finish(exit_code_for(exc))
            raise
        finally:
            self.unconfigure()


def run(config_file: str | Path | None = None, *, options: RunOptions | None = None,
        cwd: Path | None = None) -> Report:
    """Library API: run the checks and return the report (raises on usage errors).

    Reporters and the baseline come from ``options`` (``outputs``,
    ``baseline``, ``write_baseline``), as on the command line.
    """
    options = options or RunOptions()
    config = build_config(config_file, options, cwd)
    return Session(config).run()


__all__ = ["ExitCode", "Outcome", "Session", "build_config", "run", "wrap_session"]

