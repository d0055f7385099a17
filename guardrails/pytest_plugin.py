"""pytest plugin: ``pytest --guardrails`` collects rule files as pytest items.

Registered through the ``pytest11`` entry point. Without ``--guardrails`` it
does nothing (besides offering the ``guardrails_tester`` fixture to plugin
authors), so installing guardrails never changes a project's test run.

With it, every rule file becomes a collector (its display path, e.g.
``rules/people.yaml``) holding one item per rule, named by the rule's full id:
``rules/people.yaml::people::team-size``. Each rule's tags are markers (so
``-m dora`` works; they are registered, so ``--strict-markers`` is happy) and
``-k`` matches ids and tags. Facts are gathered once per pytest session, at
the first rule that runs. Outcomes map onto pytest's:

- passed -> passed; failed -> failed, the evidence as the failure text;
- error (the rule could not be evaluated) -> error, raised in setup;
- skipped -> skipped; waived -> xfailed;
- failed at severity ``warning`` -> passed with a ``GuardrailsWarning`` in the
  warnings summary, as the CLI reports it without failing the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guardrails.testing import guardrails_tester  # noqa: F401  (a fixture for plugin authors)

STATE_KEY = pytest.StashKey["GuardrailsState"]()


class GuardrailsWarning(UserWarning):
    """A rule at severity warning failed."""


class RuleFailure(Exception):
    """Raised by a rule item whose rule failed; carries the guardrails result."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.message)
        self.result = result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("guardrails", "engineering execution guardrails")
    group.addoption("--guardrails", action="store_true", default=False,
                    help="collect and run the configured guardrails rules as test items")
    group.addoption("--guardrails-config", default=None, metavar="FILE",
                    help="guardrails config file (default: found from the current folder upwards)")
    group.addoption("--guardrails-now", default=None, metavar="DATE",
                    help="evaluate the rules as of this date (reproducible runs)")
    group.addoption("--guardrails-baseline", default=None, metavar="FILE",
                    help="failures FILE knows are skipped, as with 'guardrails check "
                    "--baseline FILE'")


class GuardrailsState:
    """One guardrails session shared by every rule item of the pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        from guardrails.config import RunOptions
        from guardrails.errors import UsageError
        from guardrails.session import Session, build_config
        from guardrails.timeutil import parse_now

        try:
            now = config.getoption("guardrails_now")
            options = RunOptions(now=parse_now(now) if now else None,
                                 baseline=config.getoption("guardrails_baseline"))
            # Like guardrails itself: from where pytest was invoked, upwards (the
            # rootdir is often a parent project's, with no guardrails config).
            gconfig = build_config(config.getoption("guardrails_config"), options,
                                   cwd=Path(str(config.invocation_params.dir)))
            self.session = Session(gconfig)
            self.session.configure()
            self.session.collect()
        except (UsageError, ValueError) as exc:
            # pytest prints it as "ERROR: ..." and exits 4, like guardrails itself.
            raise pytest.UsageError(f"guardrails: {exc}") from None
        self.gathered = False
        self.gather_error: str | None = None

    def tags(self) -> set[str]:
        return {t for r in self.session.rules for t in r.tags}

    def evaluate(self, rule: Any) -> Any:
        from guardrails.errors import UsageError

        if not self.gathered:
            self.gathered = True
            try:
                self.session.gather()
            except UsageError as exc:
                # A bad data file: every rule reports it, without our traceback.
                self.gather_error = str(exc)
        if self.gather_error is not None:
            pytest.fail(f"ERROR: {self.gather_error}", pytrace=False)
        (result,) = self.session.evaluate([rule])
        return result

    def finish(self) -> None:
        """The guardrails session ends with pytest's: its finish and unconfigure hooks run."""
        try:
            self.session.finish()
        finally:
            self.session.unconfigure()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "guardrails: a guardrails rule collected by --guardrails")
    if not config.getoption("guardrails", False):
        return
    state = GuardrailsState(config)
    config.stash[STATE_KEY] = state
    for tag in sorted(state.tags()):
        config.addinivalue_line("markers", f"{tag}: guardrails rule tag")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        del config.stash[STATE_KEY]
        state.finish()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    if isinstance(collector, pytest.Session) and STATE_KEY in collector.config.stash:
        state = collector.config.stash[STATE_KEY]
        for display, rules in state.session.files:
            report.result.append(RuleFile.from_parent(
                collector, name=display, nodeid=display, path=_real_path(display, state),
                rules=rules))
    return report


def _real_path(display: str, state: GuardrailsState) -> Path:
    config = state.session.config
    rules = [r for shown, rs in state.session.files if shown == display for r in rs]
    if rules and rules[0].builtin:
        # A builtin pack: the YAML file shipped inside the package.
        from guardrails.rulepaths import builtin_packs

        pack = builtin_packs().get(Path(display).stem)
        if pack is not None:
            return Path(str(pack))
    for base in (config.root, Path.cwd()):
        p = base / display
        if p.is_file():
            return p.resolve()
    # builtin packs live in the package; their display path names no real file
    return config.path or config.root


class RuleFile(pytest.Collector):
    """The rules of one rule file (pack)."""

    def __init__(self, *, rules: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = rules

    def collect(self) -> list[pytest.Item]:
        return [RuleItem.from_parent(self, name=r.nodeid, rule=r) for r in self.rules]


class RuleItem(pytest.Item):
    """One guardrails rule as a pytest item."""

    def __init__(self, *, rule: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.result: Any = None
        self.add_marker("guardrails")
        for tag in rule.tags:
            self.add_marker(tag)

    def setup(self) -> None:
        from guardrails.model import Outcome

        state = self.config.stash[STATE_KEY]
        self.result = state.evaluate(self.rule)
        if self.result.outcome is Outcome.ERROR:
            # An exception in setup is what pytest reports as an error.
            pytest.fail(f"ERROR: {describe(self.result)}", pytrace=False)

    def runtest(self) -> None:
        from guardrails.model import Outcome, Severity

        r = self.result
        if r.outcome is Outcome.SKIPPED:
            # Reported at the rule's file and line, as a skip marker would be,
            # not at this line of the plugin.
            raise pytest.skip.Exception(r.message or "skipped", _use_item_location=True)
        if r.outcome is Outcome.WAIVED:
            w = r.waiver or {}
            who = f" ({w['subject']})" if w.get("subject") else ""
            pytest.xfail(f"waived until {w.get('expires')}: {w.get('reason')}{who}")
        if r.outcome is Outcome.FAILED:
            if r.severity is Severity.WARNING:
                # Item.warn places the warning at the rule's file and line.
                self.warn(GuardrailsWarning(f"{r.id} (severity warning): {describe(r)}"))
                return
            raise RuleFailure(r)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, RuleFailure):
            return describe(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        line = (self.rule.line - 1) if self.rule.line else None
        return self.path, line, self.rule.nodeid


def describe(r: Any) -> str:
    """The failure text: message, details, every evidence item, how to fix."""
    lines = [r.message or r.outcome.value, *r.details]
    for e in r.evidence:
        where = f" ({e.file}:{e.line})" if e.file and e.line else ""
        url = f" <{e.url}>" if e.url else ""
        lines.append(f"  {e.subject}  {e.detail}{where}{url}".rstrip())
    if r.longrepr:
        lines.append(r.longrepr.rstrip())
    if r.outcome.value == "failed":
        lines.append(f"how to fix: guardrails explain {r.id}")
    return "\n".join(lines)
