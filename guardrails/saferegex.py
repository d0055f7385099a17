"""Regular expressions from users (rules), run in linear time.

Patterns a rule writes (``pattern``/``patternProperties`` in ``where`` and
``expect``) are compiled with RE2 (the ``google-re2`` package): matching takes
time linear in the input, whatever the pattern, so ``^(a+)+$`` against a long
string cannot hang a run. RE2 refuses what it cannot run in linear time
(backreferences, lookaround); such a pattern is a usage error at load time.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

# google-re2 ships neither stubs nor a py.typed marker; this module is the typed
# wrapper around it (Pattern below), so the rest of the code never sees Any.
import re2  # type: ignore[import-untyped]

#: RE2's memory budget for one compiled pattern; larger programs are refused.
MAX_MEM = 8 << 20
#: Longest pattern text accepted.
MAX_LENGTH = 4096


class Match(Protocol):
    """The part of a match (``re2``'s or ``re``'s) this package uses."""

    def group(self, index: int, /) -> str | Any: ...


class Pattern(Protocol):
    """The part of a compiled pattern this package uses; ``re.Pattern[str]`` has it too,
    so code taking either (a built-in default or a configured RE2 one) types as this."""

    @property
    def groups(self) -> int: ...

    def search(self, text: str, /) -> Match | None: ...


def _options() -> Any:
    opts = re2.Options()
    opts.log_errors = False  # RE2 would print its parse errors to stderr itself
    opts.max_mem = MAX_MEM
    return opts


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Pattern:
    """A compiled RE2 pattern; ValueError (with RE2's reason) when it is refused."""
    if not isinstance(pattern, str):
        raise ValueError(f"a pattern must be a string, not {type(pattern).__name__}")
    if len(pattern) > MAX_LENGTH:
        raise ValueError(f"pattern longer than {MAX_LENGTH} characters")
    try:
        compiled: Pattern = re2.compile(pattern, _options())
        return compiled
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(
            f"{reason} (patterns run on RE2, which has no backreferences or lookaround)"
        ) from None


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None
