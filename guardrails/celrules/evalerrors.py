"""What an expression that failed on one fact is told: :class:`EvalError` and its line.

A CEL runtime error is one fact's error (the rule's outcome is ``error``, each
such fact its evidence); the runtime's own words are put in the user's terms
here, and :mod:`guardrails.celrules.celrun` picks the hint for the causes seen.
"""

from __future__ import annotations

from guardrails.textsafe import excerpt, quoted


class EvalError(Exception):
    """An expression failed on one fact (a missing field without has(), a bad type)."""


#: how a ``matches()`` error of a pattern from the data starts (see :func:`_bad_regex`)
BAD_REGEX = "matches(): the pattern "
_RUNTIME_BAD_REGEX = "Function 'matches' error: '"
#: what the error of a ``value`` that is NaN or infinite says (runtime.measure)
NOT_FINITE = "not a finite number"


def explain_runtime_error(exc: BaseException) -> str:
    """One line for an evaluation error, in the user's terms."""
    if isinstance(exc, KeyError):
        name = exc.args[0] if exc.args else "?"
        return f"no field {name!r} in this fact (an optional field needs has(...) first)"
    text = str(exc)
    if text.startswith(_RUNTIME_BAD_REGEX):
        bad = _bad_regex(text[len(_RUNTIME_BAD_REGEX):])
        if bad is not None:
            return bad
    text = text.split(". CEL does not coerce", 1)[0]
    return excerpt(f"{type(exc).__name__}: {text}", 300)


def _bad_regex(text: str) -> str | None:
    """The runtime's ``'<pattern>' not a valid regex:\\n<parser's report>`` in our words.

    A pattern written in the rule is checked when the rule loads; one taken from
    the data (``fact.title.matches(fact.pattern)``) fails here, on its fact. The
    pattern is shown cut and escaped (it is data), with the last ``error:`` line
    of the parser's report (``unclosed group``), which ends the text.
    """
    pattern, sep, report = text.partition("' not a valid regex:")
    if not sep:
        return None
    lines = [line.strip() for line in report[-2000:].split(". Check function arguments")[0]
             .splitlines()[-20:] if line.strip()]
    why = next((line[7:] for line in reversed(lines) if line.startswith("error: ")),
               lines[-1] if lines else "")
    return (f"{BAD_REGEX}{quoted(pattern, 60)} is not a valid regular expression for "
            f"the RE2-syntax (Rust regex) engine: {excerpt(why, 80)}")


#: the hint of an ``error`` outcome, by cause (:func:`hints`)
GUARD_HINT = ("an optional field needs a guard: has(fact.postmortem) && "
              "fact.postmortem.status == ...")
FINITE_HINT = ("a double divided by zero gives NaN or infinity, never an error: guard the "
               "divisor (fact.capacity > 0 ? double(fact.committed) / double(fact.capacity) "
               ": 0.0) or leave such facts out with where")
REGEX_HINT = ("a pattern matches() takes from the data must be a valid regular expression "
              "in RE2 syntax (no look-around, no backreferences): correct it in the data, "
              "or write the pattern in the rule, where it is checked when the rule loads")


def hints(whys: list[str]) -> list[str]:
    """The hints for these errors: the regex one if a pattern failed, the one for a
    value that is not a finite number, the guard one for any other cause (a missing
    field, a type), in that order."""
    bad_regex = [why.startswith(BAD_REGEX) for why in whys]
    infinite = [NOT_FINITE in why and not b for why, b in zip(whys, bad_regex, strict=True)]
    other = not all(b or i for b, i in zip(bad_regex, infinite, strict=True))
    return (([REGEX_HINT] if any(bad_regex) else []) + ([FINITE_HINT] if any(infinite) else [])
            + ([GUARD_HINT] if other else []))
