"""One run: configure -> collect -> gather -> evaluate -> finish.

:class:`Session` is the only conductor: every command and the pytest plugin
go through its phases. ``run()`` is the library entry point; the CLI is a
thin layer over it. :func:`guardrails.exits.wrap_session` is the one place
where exceptions become exit codes (re-exported here).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrails import collector, validation
from guardrails import facts as factsmod
from guardrails.collect import registered_checks, registered_metrics
from guardrails.config import (
    DEFAULT_HISTORY_DIR,
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
    SourceError,
    UsageError,
    raise_all,
)
from guardrails.exits import exit_code_for, wrap_session
from guardrails.installed import pluggy_version, python_version
from guardrails.kinds import KindRegistry
from guardrails.manager import GuardrailsPluginManager, Provided, create_manager
from guardrails.model import (
    ExitCode,
    Header,
    Outcome,
    PluginSummary,
    Report,
    Result,
    Rule,
    RuleHelp,
    RuleSummary,
    SourceSummary,
    WaiverSummary,
)
from guardrails.plugin import EvalContext, Source, SourceEnv
from guardrails.progress import Progress
from guardrails.records import FACTORY, record
from guardrails.rulefile import builtin_rule_ids, duplicate_errors
from guardrails.rulepaths import resolve_specs_all
from guardrails.timeutil import iso, parse_now

#: at most this many earlier points per rule go into a report (two years of weekly runs)
HISTORY_POINTS = 104

class NoConfigError(UsageError):
    pass


@record
class SourceState:
    """A configured source in this run: what it gathered, or why it failed."""

    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    error: SourceError | None = None

    def __init__(self, source: Source, counts: dict[str, int] = FACTORY,
                 error: SourceError | None = None) -> None:
        self.source = source
        self.counts = {} if counts is FACTORY else counts
        self.error = error


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
        self.sources: dict[str, SourceState] = {}
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
        for path in found:
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
        selected, self.deselected = rules, 0
        if self.options.keyword or self.options.markexpr:
            from guardrails.expressions import select  # -k/-m only

            selected, self.deselected = select(rules, self.options.keyword,
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
        cls = types.get(name)
        if cls is None:
            raise ConfigError(
                f"unknown source {name!r}", file=self.config.display_path,
                line=self.config.line_of("sources", name),
                fix=f"known sources: {', '.join(sorted(types)) or '(none loaded)'}",
            )
        validation.validate(self.config.sources[name], cls.schema,
                            file=self.config.display_path, positions=self.config.positions,
                            what=f"source {name!r}", base_path=("sources", name),
                            error_cls=ConfigError)
        return cls

    def gather(self, kinds: set[str] | list[str] | None = None,
               sources: tuple[str, ...] | list[str] | None = None) -> factsmod.FactStore:
        """Build the configured sources, validate them, and gather facts.

        :param kinds: fact kinds to gather (with the kinds their joins need);
            default: the kinds the selected rules read.
        :param sources: only these configured sources (``validate`` asks the
            files source alone); default: every configured source.
        :return: the fact store, joined.
        """
        assert self.pm is not None
        types = self.source_types()
        env = SourceEnv(
            root=self.config.root, now=self.now, window=self.config.window + self.lookback,
            timezone=self.config.timezone, offline=self.options.offline,
            cache_dir=self.config.cache_dir, allow_outside_root=self.config.allow_outside_root,
            config=self.config, facts=self.store.get,
            progress=self.options.progress or Progress(),
        )
        for name, opts in self.config.sources.items():
            if sources is not None and name not in sources:
                continue
            self.sources[name] = SourceState(self.source_class(name, types)(opts, env))
        for state in self.sources.values():
            state.source.validate()
        needed = (self.needed_kinds() if kinds is None
                  else self.store.kinds.with_requirements(kinds))
        for state in self.sources.values():
            if state.source.provides() & needed:  # what it reads from other sources
                needed |= self.store.kinds.with_requirements(state.source.requires())
        self._warn_unprovided(needed)
        # A source that reads other sources' facts gathers after them.
        for name, state in sorted(self.sources.items(),
                                  key=lambda item: bool(item[1].source.requires())):
            wanted = state.source.provides() & needed
            if not wanted:
                continue
            # One task per source: a source that reports no progress of its own
            # still shows which one is working.
            with env.progress.task(state.source.describe(), unit="facts") as task:
                try:
                    got = state.source.gather(wanted)
                except SourceError as exc:
                    state.error = exc
                    for kind in wanted:
                        self.store.fail(kind, exc)
                    continue
                task.advance(sum(len(v) for v in got.values() if isinstance(v, Sequence)))
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
        return self.store

    def _warn_unprovided(self, needed: set[str]) -> None:
        provided = set().union(*(s.source.provides() for s in self.sources.values()))
        for kind in sorted(needed - provided - set(self.store.kinds)):
            users = ", ".join(r.nodeid for r in self.rules
                              if kind in self.checks[r.check].needs(r, self.metrics))
            self.warnings.append(f"{users} read(s) facts {kind!r}, which no configured "
                                 f"source provides and guardrails does not know "
                                 f"(known kinds: {', '.join(self.store.kinds)})")

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
        """The run as a :class:`Report`: everything any reporter shows."""
        from guardrails import __version__

        assert self.pm is not None
        cfg = self.config
        code = int(self.exit_code() if exit_code is None else exit_code)
        header = Header(
            guardrails=__version__, python=python_version(),
            pluggy=pluggy_version(),
            plugins=[PluginSummary(i.name, i.module, i.dist, i.version)
                     for i in getattr(self.pm, "infos", ())],
            rootdir=str(cfg.root), config=cfg.display_path,
            config_path=str(cfg.path) if cfg.path is not None else None,
            config_rules_line=cfg.line_of("rules") if cfg.path is not None else None,
            repository_root=self._repository_root(),
            focus_reviewed_on=iso(cfg.focus_reviewed_on) if cfg.focus_reviewed_on else None,
            window_days=cfg.window.total_seconds() / 86400,
            lines=list(self._header_lines), warnings_at_start=self._warnings_at_start,
        )
        sources = []
        for name, state in self.sources.items():
            status = "failed" if state.error is not None else (
                "ok" if state.counts else "not needed")
            sources.append(SourceSummary(
                name=name, description=state.source.describe(), counts=dict(state.counts),
                state=status, error=state.error.message if state.error is not None else None))
        return Report(
            now=iso(self.now) or "", focus=cfg.focus, results=list(self.results),
            duration=time.perf_counter() - self.start_time, exit_code=code,
            warnings=list(self.warnings), header=header, sources=sources,
            rules=[RuleSummary(id=r.nodeid, title=r.title, severity=r.severity, tags=r.tags,
                               file=r.file, line=r.line, builtin=r.builtin,
                               help=self._rule_help(r))
                   for r in self.rules],
            collected=self.collected, deselected=self.deselected,
            stopped_early=self.stopped_early,
            waivers=[WaiverSummary(rule=w.rule, reason=w.reason, expires=str(w.expires),
                                   subject=w.subject,
                                   active=w.active(self.now, cfg.timezone))
                     for w in cfg.waivers],
            timings=dict(self.timings),
            history=self._history_points(),
        )

    def _history_points(self) -> dict[str, list[list[Any]]] | None:
        """Each rule's earlier values from the history store (``check --record``), oldest
        first and at most :data:`HISTORY_POINTS`, for charts over time; None when the
        project keeps no history (or its store cannot be read: ``history`` says why)."""
        text = self.config.data.get("history_dir") or DEFAULT_HISTORY_DIR
        if not isinstance(text, str) or not (self.config.root / text).is_dir():
            return None  # most runs keep no history: no import, no read
        from guardrails import history as hist
        from guardrails.errors import GuardrailsError

        try:
            folder = hist.history_dir(self.config)
            if not folder.is_dir():
                return None
            entries = hist.load(folder, self.config.root).entries
        except (GuardrailsError, OSError):
            return None
        wanted = {r.id for r in self.results}
        out: dict[str, list[list[Any]]] = {}
        for entry in entries:
            if self.now is not None and entry.now >= self.now:
                continue
            for rule, result in entry.results.items():
                value = result.get("value")
                if rule in wanted and isinstance(value, int | float) \
                        and not isinstance(value, bool):
                    out.setdefault(rule, []).append([iso(entry.now), value])
        return {k: v[-HISTORY_POINTS:] for k, v in sorted(out.items())} or None

    def _repository_root(self) -> str:
        if self._repo_root is None:
            from guardrails.paths import repository_root

            self._repo_root = str(repository_root(self.config.root))
        return self._repo_root

    def _rule_help(self, rule: Rule) -> RuleHelp:
        """What ``explain`` prints about the rule, kept once per rule for every report."""
        from guardrails import rulehelp

        got = self._help.get(rule.nodeid)
        if got is None:
            got = self._help[rule.nodeid] = rulehelp.build(
                rule, self.checks.get(rule.check), self.metrics, self.config.focus)
        return got

    def finish(self, exit_code: int | None = None) -> Report:
        """Build the final report and call ``guardrails_session_finish`` (once)."""
        assert self.pm is not None
        if self._report is None:
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

