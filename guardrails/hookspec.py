"""Every hook guardrails calls, grouped by phase.

A plugin is a module or object with functions marked ``@hookimpl`` and named
after one of these specs. Builtin plugins (the files source, the generic
checks, the reporters...) are registered through the entry-point group
``guardrails`` exactly like third-party ones, so any of them can be disabled
with ``-p no:NAME``.

Phases, in the order a ``guardrails check`` run calls them:

configure -> session start -> collect (checks, metrics, rule files) -> gather
(sources, facts) -> report start -> evaluate (one rule at a time, each result
logged) -> session finish -> unconfigure.

Session finish and unconfigure are called however the run ends (a usage
error, an interrupt, a crash), as pytest's are. Reporters are plugin objects
that implement the report, logreport and session-finish hooks, reading only
the :class:`guardrails.model.Report` and its results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from guardrails.configmodel import Config
    from guardrails.kinds import FactKind
    from guardrails.model import Report, Result, Rule
    from guardrails.plugin import Check, EvalContext, Metric, Reporter, Source

hookspec = pluggy.HookspecMarker("guardrails")

# ---------------------------------------------------------------------------
# configure
# ---------------------------------------------------------------------------


@hookspec
def guardrails_configure(config: Config) -> None:
    """Called once the config is loaded and every plugin is registered.

    A stateful plugin creates its object here and registers it with
    ``config.pluginmanager`` (the reporters of ``--format`` and the
    baseline of ``--baseline`` are built this way from ``config.options``).
    Raising :class:`guardrails.errors.UsageError` stops the run with exit
    code 4 before anything is collected.

    :param config: the loaded, validated configuration.
    :return: nothing; every implementation is called.
    """


@hookspec
def guardrails_unconfigure(config: Config) -> None:
    """Called once the session finished, however it ended (also after an error).

    A plugin object registered at configure unregisters itself and releases
    what it holds (open report files) here.

    :param config: the configuration passed to :func:`guardrails_configure`.
    :return: nothing; every implementation is called.
    """


# ---------------------------------------------------------------------------
# collect: what checks and metrics exist, and which rules are in play
# ---------------------------------------------------------------------------


@hookspec
def guardrails_collect_checks() -> list[Check]:
    """Return the checks this plugin provides (everyone adds).

    A check evaluates one rule (``check: NAME`` in a rule file). Its
    ``schema`` lists the rule keys it accepts, so rule files are validated
    before anything runs.

    :return: a list of :class:`guardrails.plugin.Check` instances.
    """
    ...


@hookspec
def guardrails_collect_metrics() -> list[Metric]:
    """Return the named metrics this plugin provides (everyone adds).

    Metrics are used by the generic ``metric`` check
    (``check: metric`` with ``metric: dora.lead_time``).

    :return: a list of :class:`guardrails.plugin.Metric` instances.
    """
    ...


@hookspec(firstresult=True)
def guardrails_collect_file(path: Path, config: Config) -> list[Rule] | None:
    """Parse one rule file into rules. Stops at the first non-None result.

    The builtin implementation reads YAML packs; a plugin may read other
    formats by answering for its own file names and returning None otherwise.

    :param path: the rule file.
    :param config: the configuration.
    :return: the file's rules, or None when this plugin does not handle it.
    """


@hookspec
def guardrails_collection_modifyitems(config: Config, rules: list[Rule]) -> None:
    """Filter or re-order the collected rules in place (after -k/-m selection).

    :param config: the configuration.
    :param rules: the selected rules, mutable.
    :return: nothing; every implementation is called, in plugin order.
    """


# ---------------------------------------------------------------------------
# gather: sources of facts
# ---------------------------------------------------------------------------


@hookspec
def guardrails_fact_kinds() -> list[FactKind]:
    """Return the fact kinds this plugin defines, with their joins (everyone adds).

    A registered kind is first-class: rules name it in ``facts:`` (an
    unknown kind or field is a rule-file error), ``guardrails facts KIND``
    shows it, evidence names its facts ``<singular>/<id>``, and ``each`` /
    ``count`` rules select and validate its facts with JSON Schema. The
    kinds of DATA.md are registered the same way, by the builtin
    :mod:`guardrails.datakinds`; a kind that is not registered but that a
    source provides still works, with an ``s`` stripped for its singular
    and no field checks.

    Joins run once every source gathered, in registration order (builtins
    first): a kind's ``join(store, now)`` fills the fields named in its
    ``joined``, and ``references`` are checked for dangling ids afterwards
    (a warning naming file and row when the source can locate the fact).
    Registering a name twice with different definitions is a plugin error.
    ``links`` (:class:`guardrails.kinds.Link`) name the fields CEL
    expressions read as facts of another kind: filled by the join, or
    resolved from an id field (``via``), so ``fact.owner_team.members`` is
    checked at load and read at evaluation.

    :return: a list of :class:`guardrails.kinds.FactKind`: plural ``name``,
        ``singular``, ``schema`` (JSON Schema of one fact), ``id_field``,
        the join keys ``joined``, ``requires`` and ``references``, and
        ``links``.
    """
    ...


@hookspec
def guardrails_gather_sources() -> list[type[Source]]:
    """Return the source classes this plugin provides (everyone adds).

    A source is instantiated when ``guardrails.yaml`` has a block under
    ``sources:`` with its ``name``.

    :return: a list of :class:`guardrails.plugin.Source` subclasses.
    """
    ...


@hookspec
def guardrails_gather_start(report: Report) -> None:
    """Called once rules are collected, before any source is asked for facts.

    Reporters that show a run as it goes print the top of their header here
    (the terminal report: its banner, root, config and focus), so gathering
    years of git history or many HTTP pages does not start on a blank
    screen. Not called when no rule is selected, nor when a saved report is
    rendered again (``guardrails_report_start`` must print it all then).

    :param report: the :class:`guardrails.model.Report` so far: its header
        and selected rules, no sources and no results yet.
    :return: nothing; every implementation is called.
    """


@hookspec
def guardrails_gather_finish(config: Config, store: Any) -> None:
    """Called after every source answered and the joins were made.

    A plugin may add derived facts or joins to ``store`` here: the last
    time facts change. Afterwards they are read-only (docs/plugins.md,
    "Facts"); joined lists are shared between facts, so a joined field is
    changed by assigning a new list, never in place.

    :param config: the configuration.
    :param store: the :class:`guardrails.facts.FactStore`.
    :return: nothing; every implementation is called.
    """


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def guardrails_evaluate_rule(rule: Rule, context: EvalContext) -> Result | None:
    """Evaluate one rule. Stops at the first non-None result.

    The builtin implementation runs the rule's check, contains any crash as
    an ``error`` outcome, and applies waivers. Wrappers
    (``@hookimpl(wrapper=True)``) may time or adjust the result.

    :param rule: the rule, with its effective parameters.
    :param context: facts, now, window and metrics for the run.
    :return: the rule's :class:`guardrails.model.Result`.
    """


@hookspec
def guardrails_evaluate_logreport(result: Result) -> None:
    """Called with each rule's result as soon as it is known (everyone is told).

    Streaming reporters (terminal progress, GitHub annotations) write here.
    The result is final: waivers and the baseline were applied.

    :param result: the :class:`guardrails.model.Result` just computed.
    :return: nothing; every implementation is called.
    """


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


@hookspec
def guardrails_report_formats() -> list[type[Reporter]]:
    """Return reporter classes for ``--format NAME`` (everyone adds).

    :return: a list of :class:`guardrails.plugin.Reporter` subclasses.
    """
    ...


@hookspec
def guardrails_report_header(config: Config) -> list[str]:
    """Return extra lines for the report header (everyone adds).

    Called once rules are collected and facts gathered. The lines are kept in
    the report (``report.header.lines``), so a saved report shows them too.

    :param config: the configuration.
    :return: lines to print after the builtin header lines (or None).
    """
    ...


@hookspec
def guardrails_report_start(report: Report) -> None:
    """Called once rules are collected and facts gathered, before any rule runs.

    ``report`` has its header, sources, selected rules, counts and the
    warnings known so far, and no results yet; reporters print their header.

    :param report: the :class:`guardrails.model.Report` of the run so far.
    :return: nothing; every implementation is called.
    """


# ---------------------------------------------------------------------------
# session
# ---------------------------------------------------------------------------


@hookspec
def guardrails_session_start(session: Any) -> None:
    """Called after configuration, before rules are collected.

    Raising here ends the run like any error in it (``KeyboardInterrupt``:
    exit code 2; a bug: exit code 3).

    :param session: the running :class:`guardrails.session.Session` (typed
        ``Any`` here so this module does not import the session).
    :return: nothing; every implementation is called.
    """


@hookspec
def guardrails_session_finish(report: Report) -> None:
    """Called when the run is over, however it ended (everyone is told).

    Reporters write their documents and summaries here when
    ``report.completed`` (exit code 0, 1 or 5); after a usage error, an
    interrupt or a crash the report has that exit code and the results so
    far, and reporters write nothing. A ``tryfirst`` implementation may
    still add to the report (the baseline plugin adds its warning line)
    before the reporters read it.

    :param report: the :class:`guardrails.model.Report`, its ``exit_code`` set.
    :return: nothing; every implementation is called.
    """
