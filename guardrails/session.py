"""One run: configure -> collect -> gather -> evaluate -> report.

``run()`` is the library entry point; the CLI is a thin layer over it.
``wrap_session`` is the one place where exceptions become exit codes.
"""

from __future__ import annotations

import enum
import gc
import logging
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from guardrails import facts as factsmod
from guardrails import validation
from guardrails.collect import registered_checks, registered_metrics
from guardrails.config import (
    Config,
    RunOptions,
    find_config,
    known_focuses,
    load_config,
    unknown_waiver_warning,
)
from guardrails.errors import (
    ConfigError,
    GuardrailsError,
    LoadErrors,
    PluginError,
    SourceError,
    UsageError,
    raise_all,
)
from guardrails.expressions import select
from guardrails.kinds import KindRegistry
from guardrails.manager import GuardrailsPluginManager, create_manager
from guardrails.model import Outcome, Report, Result, Rule
from guardrails.plugin import EvalContext, Reporter, ReportOptions, Source, SourceEnv
from guardrails.rulefile import builtin_rule_ids, duplicate_errors
from guardrails.rulepaths import resolve_specs_all
from guardrails.textsafe import printable
from guardrails.timeutil import iso, parse_now

LOG = logging.getLogger(__name__)


class ExitCode(enum.IntEnum):
    """Exit codes, as pytest's."""

    #: every rule passed (or was skipped, waived, or failed at severity warning)
    OK = 0
    #: at least one rule failed or errored
    RULES_FAILED = 1
    #: the run was interrupted (Ctrl-C)
    INTERRUPTED = 2
    #: a bug in guardrails or a plugin: traceback shown
    INTERNAL_ERROR = 3
    #: bad option, config, rule or data file: message names file and line
    USAGE_ERROR = 4
    #: no rules were collected (or all were deselected)
    NO_RULES_COLLECTED = 5


class NoConfigError(UsageError):
    pass


@dataclass
class SourceState:
    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    error: SourceError | None = None


def build_config(config_file: str | Path | None, options: RunOptions,
                 cwd: Path | None = None) -> Config:
    """Find (or take) the config file and load it."""
    cwd = (cwd or Path.cwd()).resolve()
    if config_file:
        return _load_reporting_rules(Path(config_file), options)
    found = find_config(cwd)
    if found is None:
        if options.paths:
            from guardrails.config import empty_config

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
    """State of one ``check`` run; reporters read it."""

    def __init__(self, config: Config, reporters: list[Reporter] | None = None,
                 pm: GuardrailsPluginManager | None = None) -> None:
        self.config = config
        self.options = config.options
        self.reporters = reporters or []
        self.now = self.options.now or parse_now(None)
        self.pm = pm
        self.rules: list[Rule] = []
        self.collected: int = 0
        self.deselected: int = 0
        self.files: list[tuple[str, list[Rule]]] = []
        self.sources: dict[str, SourceState] = {}
        self.store = factsmod.FactStore()
        self.results: list[Result] = []
        self.warnings: list[str] = []
        self.stopped_early: str | None = None
        self.start_time = time.perf_counter()
        self.checks: dict[str, Any] = {}
        #: seconds spent per phase (collect, gather, evaluate), for -v and benchmarks
        self.timings: dict[str, float] = {}
        self.metrics: dict[str, Any] = {}

    # -- phases --------------------------------------------------------------
    def configure(self) -> None:
        if self.checks:
            return  # already configured (the CLI configures before opening reporters)
        if self.pm is None:
            self.pm = create_manager(self.options.disabled_plugins, self.config.plugins,
                                     local_root=self.config.root)
        self.config.pluginmanager = self.pm
        self.pm.hook.guardrails_configure(config=self.config)
        self.store.kinds = KindRegistry.from_hook(self.pm.hook.guardrails_fact_kinds())
        self.checks = registered_checks(self.pm)
        self.metrics = registered_metrics(self.pm)

    def collect(self) -> None:
        assert self.pm is not None
        specs = self.options.paths or tuple(self.config.rule_specs)
        if not specs:
            self.files = []
            return
        paths, errors = resolve_specs_all(self.config, specs, from_cli=bool(self.options.paths))
        rules: list[Rule] = []
        for path in paths:
            try:
                got = self.pm.hook.guardrails_collect_file(path=path, config=self.config)
            except UsageError as exc:  # every bad file is reported, like pytest's collection
                errors.append(exc)
                continue
            if got is None:
                errors.append(UsageError("no plugin can read this rule file", file=str(path),
                                         fix="rule files are .yaml packs"))
                continue
            rules.extend(got)
        errors += duplicate_errors(rules)
        if not errors:
            try:
                self._check_focus(rules)
            except UsageError as exc:
                errors.append(exc)
        raise_all(errors)
        self.collected = len(rules)
        selected, self.deselected = select(rules, self.options.keyword, self.options.markexpr)
        self.pm.hook.guardrails_collection_modifyitems(config=self.config, rules=selected)
        self.rules = selected
        order: dict[str, list[Rule]] = {}
        for r in selected:
            order.setdefault(r.file, []).append(r)
        self.files = list(order.items())
        known = {r.nodeid for r in rules} | self.config.disabled_rules
        for rule_id in self.config.overrides:
            if rule_id not in known:
                self.warnings.append(f"override for {rule_id} names a rule that is not "
                                     "collected")
        builtin_ids: set[str] | None = None
        for w in self.config.waivers:
            if w.rule not in known:
                if builtin_ids is None:
                    builtin_ids = builtin_rule_ids()
                self.warnings.append(unknown_waiver_warning(self.config, w, known | builtin_ids))
            elif not w.active(self.now, self.config.timezone):
                who = f" ({w.subject})" if w.subject else ""
                self.warnings.append(
                    f"waiver for {w.rule}{who} expired on {w.expires}: it no longer waives")

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

    def gather(self) -> None:
        assert self.pm is not None
        types: dict[str, type[Source]] = {}
        for group in self.pm.hook.guardrails_gather_sources():
            for cls in group or ():
                types[cls.name] = cls
        env = SourceEnv(
            root=self.config.root, now=self.now, window=self.config.window,
            timezone=self.config.timezone, offline=self.options.offline,
            cache_dir=self.config.cache_dir, allow_outside_root=self.config.allow_outside_root,
            config=self.config, facts=self.store.get,
        )
        for name, opts in self.config.sources.items():
            cls = types.get(name)
            if cls is None:
                raise ConfigError(
                    f"unknown source {name!r}", file=self.config.display_path,
                    line=self.config.line_of("sources", name),
                    fix=f"known sources: {', '.join(sorted(types)) or '(none loaded)'}",
                )
            validation.validate(opts, cls.schema, file=self.config.display_path,
                                positions=self.config.positions, what=f"source {name!r}",
                                base_path=("sources", name), error_cls=ConfigError)
            self.sources[name] = SourceState(cls(opts, env))
        for state in self.sources.values():
            state.source.validate()
        needed = self.needed_kinds()
        for state in self.sources.values():
            if state.source.provides() & needed:  # what it reads from other sources
                needed |= self.store.kinds.with_requirements(state.source.requires())
        provided = set().union(*(s.source.provides() for s in self.sources.values()))
        for kind in sorted(needed - provided - set(self.store.kinds)):
            users = ", ".join(r.nodeid for r in self.rules
                              if kind in self.checks[r.check].needs(r, self.metrics))
            self.warnings.append(f"{users} read(s) facts {kind!r}, which no configured "
                                 f"source provides and guardrails does not know "
                                 f"(known kinds: {', '.join(self.store.kinds)})")
        # A source that reads other sources' facts gathers after them.
        for name, state in sorted(self.sources.items(),
                                  key=lambda item: bool(item[1].source.requires())):
            wanted = state.source.provides() & needed
            if not wanted:
                continue
            try:
                got = state.source.gather(wanted)
            except SourceError as exc:
                state.error = exc
                for kind in wanted:
                    self.store.fail(kind, exc)
                continue
            for kind, items in got.items():
                if isinstance(items, SourceError):
                    # A source may fail one kind (a missing token scope) and not the others.
                    self.store.fail(kind, items)
                    state.counts[kind] = 0
                    continue
                self.store.add(kind, items, name)
                state.counts[kind] = len(items)
        self.store.locators = [loc for s in self.sources.values()
                               if (loc := getattr(s.source, "locate", None)) is not None]
        factsmod.join(self.store, self.now)
        self.pm.hook.guardrails_gather_finish(config=self.config, store=self.store)
        for state in self.sources.values():
            self.warnings.extend(state.source.warnings)
        self.warnings.extend(self.store.warnings)

    def context(self) -> EvalContext:
        return EvalContext(now=self.now, window=self.config.window, focus=self.config.focus,
                           store=self.store, metrics=self.metrics, config=self.config,
                           checks=self.checks)

    def evaluate(self) -> None:
        assert self.pm is not None
        ctx = self.context()
        maxfail = 1 if self.options.exitfirst else self.options.maxfail
        failures = 0
        for rule in self.rules:
            result = self.pm.hook.guardrails_evaluate_rule(rule=rule, context=ctx)
            self.results.append(result)
            self.pm.hook.guardrails_evaluate_logreport(result=result)
            for rep in self.reporters:
                rep.rule_result(result, rule)
            if result.counts_against_exit(self.options.strict):
                failures += 1
                if maxfail and failures >= maxfail:
                    self.stopped_early = f"stopping after {failures} failures"
                    break

    def exit_code(self) -> ExitCode:
        if not self.rules:
            return ExitCode.NO_RULES_COLLECTED
        if any(r.counts_against_exit(self.options.strict) for r in self.results):
            return ExitCode.RULES_FAILED
        return ExitCode.OK

    def report(self) -> Report:
        return Report(now=iso(self.now) or "", focus=self.config.focus,
                      results=list(self.results),
                      duration=time.perf_counter() - self.start_time,
                      exit_code=int(self.exit_code()), warnings=list(self.warnings))

    def run(self) -> Report:
        self.configure()
        assert self.pm is not None
        self.pm.hook.guardrails_session_start(session=self)
        t0 = time.perf_counter()
        self.collect()
        t1 = time.perf_counter()
        # Facts are hundreds of thousands of long-lived dicts: the cyclic garbage
        # collector would rescan them again and again (0.8s of a 100k-deployment
        # run) to find nothing. Paused while facts are built and read.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            if self.rules:
                self.gather()
            t2 = time.perf_counter()
            for rep in self.reporters:
                rep.start(self)
            t3 = time.perf_counter()
            self.evaluate()
            t4 = time.perf_counter()
        finally:
            if gc_was_enabled:
                gc.enable()
        self.timings = {"collect": t1 - t0, "gather": t2 - t1, "evaluate": t4 - t3}
        report = self.report()
        for rep in self.reporters:
            rep.finish(report, self)
        self.pm.hook.guardrails_session_finish(session=self, report=report)
        self.pm.hook.guardrails_unconfigure(config=self.config)
        return report


def report_options(options: RunOptions) -> ReportOptions:
    return ReportOptions(verbosity=options.verbosity, color=bool(options.color),
                         group_by=options.group_by, strict=options.strict)


def run(config_file: str | Path | None = None, *, options: RunOptions | None = None,
        reporters: list[Reporter] | None = None, cwd: Path | None = None) -> Report:
    """Library API: run the checks and return the report (raises on usage errors)."""
    options = options or RunOptions()
    config = build_config(config_file, options, cwd)
    session = Session(config, reporters)
    return session.run()


def wrap_session(func: Callable[[], int], err: TextIO | None = None) -> int:
    """Run ``func`` and map exceptions to exit codes, the only place that does."""
    err = err or sys.stderr
    try:
        return int(func())
    except UsageError as exc:
        # Messages may quote an excerpt of a file: shown, never obeyed by the terminal.
        print(f"ERROR: {printable(str(exc), newlines=True)}", file=err)
        return ExitCode.USAGE_ERROR
    except BrokenPipeError:
        # The reader went away (`guardrails facts | head`): stop quietly, as cat does.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except PluginError as exc:
        # A plugin that cannot load is a setup problem, named, without our traceback.
        cause = exc.__cause__
        where = ""
        if cause is not None and cause.__traceback__ is not None:
            frame = traceback.extract_tb(cause.__traceback__)[-1]
            where = f" ({frame.filename}:{frame.lineno})"
        print(f"ERROR: {exc}{where}", file=err)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print("\n!!! interrupted !!!", file=err)
        return ExitCode.INTERRUPTED
    except GuardrailsError as exc:
        print(f"ERROR: {exc}", file=err)
        traceback.print_exc(file=err)
        return ExitCode.INTERNAL_ERROR
    except Exception:
        print("INTERNAL ERROR: guardrails crashed; please report this with the traceback:",
              file=err)
        traceback.print_exc(file=err)
        return ExitCode.INTERNAL_ERROR


__all__ = ["ExitCode", "Outcome", "Session", "build_config", "run", "wrap_session"]
