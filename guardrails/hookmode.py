"""``guardrails hook``: the rules as a git hook (pre-commit's guardrails-check and -gate).

A commit hook judges what the commit touches. Given the files a commit
changes, the hook runs only the rules whose inputs are among them:

- the config (or the local plugin file ``guardrails_plugins.py``) changed:
  every rule, since either can change any rule;
- a rule file changed: the rules it defines;
- a data file changed: the rules that read the fact kinds it feeds. A rule's
  kinds are what its check says it needs (``Check.needs``, the same answer
  that decides which sources a run asks), with the kinds their joins read
  (an incident carries its postmortem, so a rule on ``incidents`` is judged
  when a postmortem changes). Which file feeds which kind is each configured
  source's answer (``Source.feeds``): the files source maps ``incidents.yaml``
  to ``incidents`` by its own layout. No rule, builtin or not, is named here.

The git source feeds nothing: it reads committed history (HEAD), which a
commit hook runs before, so history rules are judged by the push gate
(``--all``), which runs every rule. Output is quiet: one line per failed
rule, one line per HTTP source that could not answer offline, warnings about
the changed files (those ``guardrails validate`` did not print already in
this pre-commit run), and one summary line. Offline with nothing cached, the
rules needing that source are skipped (not errors): a commit must not be
blocked because nobody ran ``guardrails check`` online yet (or since a new
rule needed a request never cached); ``check`` in CI, which is not a hook,
still makes them errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardrails.errors import UsageError
from guardrails.model import CheckResult, ExitCode, Outcome, Result, Rule, Severity
from guardrails.plugin import SourceEnv, hookimpl
from guardrails.textsafe import inert_line, printable

if TYPE_CHECKING:
    from guardrails.configmodel import Config
    from guardrails.facts import FactStore
    from guardrails.model import Report
    from guardrails.session import Session

PLUGIN_NAME = "hook-mode"
ONLINE_HINT = "run `guardrails check` once online"


def changed_paths(files: list[str]) -> set[Path]:
    """The changed files as absolute paths (the parent resolved, the name kept)."""
    out = set()
    for name in files:
        path = Path(name)
        out.add(path.parent.resolve() / path.name)
    return out


def offline_line(error: Any) -> str:
    """One line for a source the cache could not answer offline."""
    source = printable(error.source)
    if not error.cached:
        return f"{source}: no cached answers yet; {ONLINE_HINT}"
    kinds = ", ".join(sorted({printable(m.purpose) for m in error.misses})) or "some requests"
    return f"{source}: the cache has no answers for {kinds} yet; {ONLINE_HINT}"


def _offline_miss(error: Exception | None) -> bool:
    from guardrails.sources.http_cache import OfflineMiss

    return isinstance(error, OfflineMiss)


class HookMode:
    """The plugin object of one hook run: selects, skips, and reports quietly."""

    def __init__(self, changed: set[Path] | None, out: TextIO) -> None:
        #: None: the push gate, every rule
        self.changed = changed
        self.out = out
        self.session: Session | None = None
        self.total = 0
        self.offline: dict[str, str] = {}
        self._targets: set[Path] | None = None

    # -- which rules ------------------------------------------------------------
    @hookimpl
    def guardrails_session_start(self, session: Session) -> None:
        self.session = session

    @hookimpl(trylast=True)
    def guardrails_collection_modifyitems(self, config: Config, rules: list[Rule]) -> None:
        self.total = len(rules)
        if self.changed is None or self.session is None:
            return
        from guardrails.manager import LOCAL_PLUGIN_FILE

        everything = [config.path, config.root / LOCAL_PLUGIN_FILE]
        if any(p is not None and self._is_changed(p) for p in everything):
            return
        fed = self.fed_kinds(config)
        kinds = self.session.store.kinds
        kept = []
        for rule in rules:
            check = self.session.checks.get(rule.check)
            reads = (kinds.with_requirements(check.needs(rule, self.session.metrics))
                     if check is not None else set())
            if reads & fed or check is None or self._defined_in_changed(rule, config):
                kept.append(rule)  # an unknown check: judged, so its error shows
        rules[:] = kept

    def _defined_in_changed(self, rule: Rule, config: Config) -> bool:
        if rule.builtin or not rule.file:
            return False
        return any(self._is_changed(base / rule.file) for base in (config.root, Path.cwd()))

    def _is_changed(self, path: Path) -> bool:
        """Whether ``path`` is a changed file, by its own name or what a link leads to."""
        assert self.changed is not None
        if self._targets is None:
            self._targets = {p.resolve() for p in self.changed}
        return (path.parent.resolve() / path.name in self.changed
                or path.resolve() in self._targets)

    def fed_kinds(self, config: Config) -> set[str]:
        """The fact kinds the changed files feed, as the configured sources say."""
        assert self.session is not None and self.changed is not None
        types = self.session.source_types()
        env = SourceEnv(root=config.root, now=self.session.now, window=config.window,
                        timezone=config.timezone, offline=True,
                        allow_outside_root=config.allow_outside_root, config=config)
        fed: set[str] = set()
        for name, opts in config.sources.items():
            # An unknown source or bad options are refused here as gather would, even
            # when no rule ends up judged: a hook must not pass on a config it cannot read.
            source = self.session.source_class(name, types)(opts, env)
            for path in self.changed:
                fed |= source.feeds(path)
        return fed

    # -- offline: skipped, one line per source ------------------------------------
    @hookimpl
    def guardrails_gather_finish(self, config: Config, store: FactStore) -> None:
        for error in store.failed.values():
            if _offline_miss(error):
                self.offline.setdefault(error.source, offline_line(error))

    @hookimpl(tryfirst=True)
    def guardrails_evaluate_rule(self, rule: Rule, context: Any) -> Result | None:
        if not self.offline or self.session is None:
            return None
        check = self.session.checks.get(rule.check)
        if check is None:
            return None
        failed = [context.store.failed[k] for k in check.needs(rule, self.session.metrics)
                  if k in context.store.failed]
        if not failed or not all(_offline_miss(e) for e in failed):
            return None  # a real failure is an error, as always
        from guardrails.runner import result_from

        sources = sorted({e.source for e in failed})
        return result_from(rule, CheckResult(
            Outcome.SKIPPED, f"{', '.join(sources)}: no cached answers offline; {ONLINE_HINT}",
            no_data=False))

    # -- the quiet report ---------------------------------------------------------
    @hookimpl
    def guardrails_session_finish(self, report: Report) -> None:
        if not report.completed:
            return
        from guardrails.reporters.termtext import clean

        builtin = {r.id for r in report.rules if r.builtin}
        touched = self._changed_shown()
        for r in (clean(r) for r in report.results):
            if r.outcome not in (Outcome.FAILED, Outcome.ERROR):
                continue
            word = "FAILED" if r.outcome is Outcome.FAILED else "ERROR"
            warn = " (warning)" if (r.outcome is Outcome.FAILED
                                    and r.severity is Severity.WARNING) else ""
            # Where to look: the changed data file the evidence names, else a local rule.
            at = next((f"{e.file}:{e.line}" for e in r.evidence
                       if e.file and e.line and e.file in touched), None)
            if at is None and r.file and r.line and r.id not in builtin:
                at = f"{r.file}:{r.line}"
            first = (r.message or "").splitlines()[0] if r.message else ""
            self.out.write(inert_line(printable(
                f"{at + ': ' if at else ''}{word} {r.id} - {first}{warn}")) + "\n")
        for line in self.offline.values():
            self.out.write(inert_line(printable(line)) + "\n")
        from guardrails.precommit import not_shown_yet

        about = [w for w in report.warnings
                 if w.split(":", 1)[0] in touched]  # about a file this commit changes
        shown = set(not_shown_yet([f"warning: {w}" for w in about]))
        for w in about:
            if f"warning: {w}" in shown:  # else guardrails validate printed it already
                self.out.write(printable(w) + "\n")
        self.out.write(self.summary(report) + "\n")

    def _changed_shown(self) -> set[str]:
        """The changed files as reports name them (relative to the root)."""
        if self.changed is None or self.session is None:
            return set()
        root = self.session.config.root.resolve()
        shown = set()
        for p in self.changed:
            try:
                shown.add(str(p.relative_to(root)))
            except ValueError:
                continue
        return shown

    def summary(self, report: Report) -> str:
        counts = report.counts()
        parts = [f"{counts[k]} {k}" for k in ("failed", "passed", "skipped", "waived")
                 if counts[k]]
        if counts["error"]:
            parts.append(f"{counts['error']} error{'s' if counts['error'] != 1 else ''}")
        text = f"guardrails: {', '.join(parts) or 'no rules ran'} in {report.duration:.2f}s"
        if self.changed is not None:
            text += (f" ({len(report.results)} of {self.total} rules read the changed files;"
                     " the push gate runs all)")
        return text


def run_hook(files: list[str] | None, config_file: str | None, *, offline: bool,
             now: Any = None, baseline: str | None = None,
             disabled_plugins: tuple[str, ...] = (), plugins: tuple[str, ...] = (),
             out: TextIO, err: TextIO) -> int:
    """Run the hook: the rules the ``files`` feed (``None``: every rule); the exit code.

    Exit codes as ``check``: 0, 1 (a rule failed or errored), 4 (an invalid
    file, printed once per pre-commit run, see :func:`guardrails.precommit.show_errors`),
    5 (the config collects no rule). No rule reading the changed files is 0.
    """
    from guardrails.configmodel import RunOptions
    from guardrails.precommit import error_lines, show_errors
    from guardrails.session import Session, build_config

    options = RunOptions(now=now, offline=offline, verbosity=-1, color=False,
                         baseline=baseline, disabled_plugins=disabled_plugins, plugins=plugins)
    who = "guardrails check" if files is not None else "guardrails gate"
    mode = HookMode(changed_paths(files) if files is not None else None, out)
    try:
        session = Session(build_config(config_file, options))
        try:
            session.configure()
            assert session.pm is not None
            session.pm.register(mode, PLUGIN_NAME)
        except BaseException:
            session.unconfigure()
            raise
        report = session.run()  # configured already; run() unconfigures
    except UsageError as exc:
        show_errors(error_lines(exc), who, err)
        return ExitCode.USAGE_ERROR
    finally:
        out.flush()
    if files is not None and mode.total and not report.results:
        return ExitCode.OK  # nothing the commit touched is read by a rule
    return report.exit_code


__all__ = ["HookMode", "changed_paths", "offline_line", "run_hook"]
