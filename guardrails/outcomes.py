"""The words a run's verdict is written in: outcomes, severities, exit codes.

Imported by nearly everything (rules, results, reports, the CLI); it holds
no classes but enums, so it costs almost nothing to load.
"""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """What became of one rule."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Severity(enum.StrEnum):
    """How much a failing rule counts: ``warning`` does not fail the run unless ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


class ExitCode(enum.IntEnum):
    """Exit codes, as pytest's."""

    #: every rule passed (or was skipped, waived, or failed at severity warning)
    OK = 0
    #: at least one rule failed or errored
    RULES_FAILED = 1
    #: the run was interrupted (Ctrl-C, SIGTERM)
    INTERRUPTED = 2
    #: a bug in guardrails or a plugin: traceback shown
    INTERNAL_ERROR = 3
    #: bad option, config, rule or data file: message names file and line
    USAGE_ERROR = 4
    #: no rules were collected (or all were deselected)
    NO_RULES_COLLECTED = 5


#: exit codes of a run that went to its end (reporters render only those)
COMPLETED = frozenset({ExitCode.OK, ExitCode.RULES_FAILED, ExitCode.NO_RULES_COLLECTED})

#: the order the summary line counts outcomes in
SUMMARY_ORDER = (Outcome.FAILED, Outcome.PASSED, Outcome.SKIPPED, Outcome.ERROR, Outcome.WAIVED)

