"""pytest plugin: ``pytest --guardrails`` collects rule files as pytest items.

Registered through the ``pytest11`` entry point. Without ``--guardrails`` it
does nothing (besides offering the ``guardrails_tester`` fixture to plugin
authors), so installing guardrails never changes a project's test run.

With it, every rule file is a pytest file node holding one node per pack and
one item per rule, so a rule's pytest id is ``<file>::<pack>::<rule-id>``
(``rules/people.yaml::people::team-size``) and the id printed in a FAILED
line can be passed back to pytest. Builtin packs live inside the installed
package, at no stable path of the project: their rules hang under the config
file that names them (``guardrails.yaml::stability::change-failure-rate``).

With no path argument every rule file the config collects is added to
pytest's collection (besides the project's own tests); with arguments,
pytest's own rules apply: a rule file, a pack or a rule id is collected
when an argument names it or a folder holding it. ``--lf``/``--ff`` and
pytest-xdist work on these ids. Each rule's tags are markers (so ``-m dora``
works; they are registered, so ``--strict-markers`` is happy) and ``-k``
matches ids and tags. Facts are gathered once per pytest process (once per
xdist worker), at the first rule that runs there. Outcomes map onto pytest's:

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
    """One guardrails session shared by every rule item of the pytest process."""

    def __init__(self, config: pytest.Config) -> None:
        from guardrails.configmodel import RunOptions
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
            #: real path of each rule file (builtin packs: the config file) -> its rules
            self.files = self._files_by_path()
            # No path argument: every rule file joins the collection, wherever it is
            # (testpaths usually name only tests/). Path arguments select, as pytest's do.
            self.add_all = config.args_source is not pytest.Config.ArgsSource.ARGS
            if not self.add_all:
                problems = self._arg_problems(config.args,
                                              Path(str(config.invocation_params.dir)))
                if problems:
                    raise UsageError("\n".join(problems))
        except (UsageError, ValueError) as exc:
            if hasattr(self, "session"):
                self.session.unconfigure()  # its plugins release what they hold
            # pytest prints it as "ERROR: ..." and exits 4, like guardrails itself.
            raise pytest.UsageError(f"guardrails: {exc}") from None
        self.names = {p.name for p in self.files}
        self.gathered = False
        self.gather_error: str | None = None

    def _files_by_path(self) -> dict[Path, list[Any]]:
        from guardrails.errors import UsageError

        gconfig = self.session.config
        out: dict[Path, list[Any]] = {}
        for display, rules in self.session.files:
            if rules[0].builtin:
                # Shipped packs have no path in the project, and the package's
                # path changes with every virtualenv: the config file naming them
                # is their stable parent.
                if gconfig.path is None:
                    raise UsageError("builtin packs under pytest need a config file")
                path = gconfig.path.resolve()
            else:
                # display_rule_path made it relative to the config's folder, else the cwd
                path = next((b.resolve() / display for b in (gconfig.root, Path.cwd())
                             if (b.resolve() / display).is_file()), Path(display).resolve())
            out.setdefault(path, []).extend(rules)
        return out

    def _arg_problems(self, args: list[str], cwd: Path) -> list[str]:
        """Arguments pytest would answer with a bare "not found", said with their fix."""
        gconfig = self.session.config
        anchor = (gconfig.path.name if gconfig.path else "the config file")
        builtin = {Path(r.file).name: r.pack for rs in self.files.values() for r in rs
                   if r.builtin}
        problems = []
        for arg in args:
            where, _, rest = arg.partition("::")
            path = cwd / where
            if where.startswith("rules/") and not path.exists() and path.name in builtin:
                # The file a builtin rule shows in guardrails' own reports.
                fixed = f"{_relative(gconfig.path, cwd)}::{rest or builtin[path.name]}"
                problems.append(f"{arg}: builtin pack {builtin[path.name]!r} is collected "
                                f"under {anchor}; pass {fixed!r}")
            elif (path.suffix in (".yaml", ".yml") and path.is_file()
                  and path.resolve() not in self.files and _looks_like_pack(path)):
                problems.append(f"{arg}: a rule pack that "
                                f"{gconfig.display_path} does not collect; add it to its "
                                f"'rules:' list, or run 'guardrails check {where}'")
        return problems

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


def _relative(path: Path | None, cwd: Path) -> str:
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _looks_like_pack(path: Path) -> bool:
    """A top-level ``pack:`` key in the file's first 64 KiB (a bounded read)."""
    import re

    try:
        with path.open("rb") as fh:
            head = fh.read(65536).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r"(?m)^pack\s*:", head) is not None


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


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A rule file (or the config file, for builtin packs) reached by pytest's arguments."""
    state = parent.config.stash.get(STATE_KEY, None)
    if state is None or state.add_all or file_path.name not in state.names:
        return None
    rules = state.files.get(file_path.resolve())
    if rules is None:
        return None
    return RuleFile.from_parent(parent, path=file_path, rules=rules)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    if isinstance(collector, pytest.Session) and STATE_KEY in collector.config.stash:
        state = collector.config.stash[STATE_KEY]
        if state.add_all:
            for path, rules in state.files.items():
                report.result.append(RuleFile.from_parent(collector, path=path, rules=rules))
    return report


class RuleFile(pytest.File):
    """The rules of one rule file, one :class:`RulePack` per pack (builtin packs:
    the config file, holding every builtin pack it names)."""

    def __init__(self, *, rules: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = rules

    def collect(self) -> list[pytest.Collector]:
        packs: dict[str, list[Any]] = {}
        for r in self.rules:
            packs.setdefault(r.pack, []).append(r)
        return [RulePack.from_parent(self, name=name, rules=rules)
                for name, rules in packs.items()]


class RulePack(pytest.Collector):
    """The rules of one pack: the ``<pack>`` part of ``<file>::<pack>::<rule-id>``."""

    def __init__(self, *, rules: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = rules

    def collect(self) -> list[pytest.Item]:
        return [RuleItem.from_parent(self, name=r.id, rule=r) for r in self.rules]


class RuleItem(pytest.Item):
    """One guardrails rule as a pytest item."""

    def __init__(self, *, rule: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.result: Any = None
        self.add_marker("guardrails")
        for tag in rule.tags:
            self.add_marker(tag)
        # -k matches node names (pack, rule id) and this: the id guardrails shows
        self.extra_keyword_matches.add(rule.nodeid)

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
        path = self.path
        if self.rule.builtin:
            # Skips and warnings point where the rule is written: the shipped pack.
            from guardrails.rulepaths import builtin_rules_dir

            path = builtin_rules_dir() / Path(self.rule.file).name
        domain = self.rule.nodeid
        if "." in domain:
            # pytest's -v line turns the dots of a domain that ends the node id
            # into "::" (it expects Class.method): a domain that is not the id's
            # tail keeps the printed id the real one.
            domain += " "
        return path, line, domain


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
