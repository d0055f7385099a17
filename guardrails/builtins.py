"""What each builtin plugin provides, so it is imported only when that is needed.

A run on an org data folder needs the ``files`` source, a few checks and
one reporter; importing the git, HTTP, SARIF and JUnit plugins too (with
requests and xml.etree) was a large share of its start-up
(benchmarks/RESULTS.md, "start-up"). The plugin manager
(:mod:`guardrails.manager`) therefore registers a builtin module on first
need: when a source, check, metric or report format it names here is asked
for by name, or when every one of a kind is listed (``known sources: ...``).

Adding a builtin plugin is one entry in :data:`BUILTINS`; a module with
``guardrails_*`` hook implementations that is not listed here, or whose
entry disagrees with what the module really provides, fails
``tests/unit/test_startup.py`` (``test_every_module_with_hooks_is_registered``,
``test_the_manifest_says_what_each_builtin_provides``; docs/plugins.md,
"Builtin plugins").
Third-party plugins keep their entry points and load eagerly, as before.
"""

# No ``from __future__ import annotations`` here: typing.NamedTuple turns each string
# annotation into a ForwardRef, compiling it (~1.3M instructions for the two classes,
# every run and ``--version``; benchmarks/RESULTS.md, "s26-startup").
from typing import NamedTuple

#: provision -> the hook whose results carry it (each result's ``.name``)
PROVIDER_HOOKS = {
    "sources": "guardrails_gather_sources",
    "checks": "guardrails_collect_checks",
    "metrics": "guardrails_collect_metrics",
    "formats": "guardrails_report_formats",
    "kinds": "guardrails_fact_kinds",
}

DIST = "execution-guardrails"


class PluginInfo(NamedTuple):
    """A plugin as the header and ``--version`` list it."""

    name: str
    module: str
    dist: str | None
    version: str | None


class Builtin(NamedTuple):
    """One builtin plugin module and what it provides, by name.

    ``hooks`` lists every ``guardrails_*`` hook the module implements. A hook
    outside :data:`PROVIDER_HOOKS` runs only in runs where the module was
    loaded for what it provides (the git source's ``gather_finish`` acts only
    when ``git`` is configured); ``env`` names environment variables whose
    presence loads the module at start (the markdown reporter appends the
    GitHub job summary whenever ``GITHUB_STEP_SUMMARY`` is set). A builtin
    that brings fact ``kinds`` is loaded at start: the kind registry is built
    on every run. (A NamedTuple, not a dataclass: read at every start, and a
    dataclass costs several times more to define.)
    """

    name: str
    module: str
    hooks: tuple[str, ...]
    sources: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    env: tuple[str, ...] = ()

    def provides(self, what: str) -> tuple[str, ...]:
        """The names of ``what`` (a key of :data:`PROVIDER_HOOKS`) this plugin brings."""
        return tuple(getattr(self, what))


_SRC = ("guardrails_gather_sources",)
_CHK = ("guardrails_collect_checks",)
_MET = ("guardrails_collect_metrics",)
_REP = ("guardrails_report_formats",)

#: Every builtin plugin, in the order the header and ``--version`` list them.
BUILTINS: tuple[Builtin, ...] = (
    Builtin("checks-culture", "guardrails.checks.culture", _CHK,
            checks=("culture.westrum_score",)),
    Builtin("checks-delivery", "guardrails.checks.delivery", _MET,
            metrics=("delivery.change_size_p90", "delivery.independent_review_rate",
                     "delivery.ci_feedback_time")),
    Builtin("checks-generic", "guardrails.checks.generic", _CHK,
            checks=("each", "count", "metric", "expr")),
    Builtin("checks-goals", "guardrails.checks.goals", _CHK,
            checks=("goals.focus_revisited", "goals.measurable")),
    Builtin("checks-incidents", "guardrails.checks.incidents", _CHK,
            checks=("incidents.postmortem_complete", "incidents.postmortem_blameless",
                    "incidents.action_items_on_time")),
    Builtin("checks-stability", "guardrails.checks.dora", _MET,
            metrics=("dora.deployment_frequency", "dora.lead_time",
                     "dora.change_failure_rate", "dora.time_to_restore")),
    Builtin("checks-teams", "guardrails.checks.teams", _CHK,
            checks=("teams.size", "teams.slack_in_plans", "teams.bus_factor",
                    "teams.codeowners_coverage")),
    Builtin("reporter-github", "guardrails.reporters.github", _REP, formats=("github",)),
    Builtin("reporter-html", "guardrails.reporters.html", _REP, formats=("html",)),
    Builtin("reporter-json", "guardrails.reporters.json", _REP, formats=("json",)),
    Builtin("reporter-junit", "guardrails.reporters.junitxml", _REP, formats=("junit",)),
    Builtin("reporter-markdown", "guardrails.reporters.markdown",
            (*_REP, "guardrails_session_finish"), formats=("markdown",),
            env=("GITHUB_STEP_SUMMARY",)),
    Builtin("reporter-sarif", "guardrails.reporters.sarif", _REP, formats=("sarif",)),
    Builtin("reporter-terminal", "guardrails.reporters.terminal", _REP,
            formats=("terminal",)),
    Builtin("source-files", "guardrails.sources.files", _SRC, sources=("files",)),
    Builtin("source-git", "guardrails.sources.git",
            (*_SRC, "guardrails_gather_finish"), sources=("git",)),
    Builtin("source-github", "guardrails.sources.github", _SRC, sources=("github",)),
    Builtin("source-gitlab", "guardrails.sources.gitlab", _SRC, sources=("gitlab",)),
    Builtin("source-opsgenie", "guardrails.sources.opsgenie", _SRC, sources=("opsgenie",)),
    Builtin("source-pagerduty", "guardrails.sources.pagerduty", _SRC,
            sources=("pagerduty",)),
)


def available_plugins(disabled: tuple[str, ...] | list[str] = ()) -> list[PluginInfo]:
    """Every builtin and third-party plugin, without importing any (``--version``)."""
    from guardrails import __version__
    from guardrails.installed import third_party_plugins

    out = [PluginInfo(b.name, b.module, DIST, __version__)
           for b in BUILTINS if b.name not in disabled]
    out += [PluginInfo(*e) for e in third_party_plugins() if e[0] not in disabled]
    return out
