"""One exception root for everything guardrails raises on purpose.

Only the top level (``session.wrap_session`` and the CLI) turns these into
exit codes; everything below raises and keeps the context.
"""

from __future__ import annotations


class GuardrailsError(Exception):
    """Root of every error guardrails raises deliberately."""


class UsageError(GuardrailsError):
    """Something the user wrote or typed is wrong: exit code 4, no traceback.

    The message is one paragraph: where (file, line, column), what is wrong,
    and how to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.fix = fix

    def location(self) -> str:
        if not self.file:
            return ""
        loc = str(self.file)
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text = f"{text.rstrip('.')}. Fix: {self.fix}"
        return text


class RuleFileError(UsageError):
    """A rule file does not parse or does not validate."""


class ConfigError(UsageError):
    """guardrails.yaml (or [tool.guardrails]) is invalid."""


class DataFileError(UsageError):
    """An org data file is unreadable or invalid."""


class SourceError(GuardrailsError):
    """A source could not deliver its facts (network, permissions, bad answer).

    Rules that need the source's facts become ``error`` outcomes with this
    message; other rules still run.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"source {source}: {message}")
        self.source = source
        self.message = message


class PluginError(GuardrailsError):
    """A plugin failed to load or registered something invalid."""


class LoadErrors(UsageError):
    """Every error found while loading the config and rule files, reported at once.

    Like pytest's collection errors: each bad file, each bad rule is listed
    once, then the run stops with exit code 4.
    """

    errors: list[UsageError]

    def __init__(self, errors: list[UsageError]) -> None:
        flat: list[UsageError] = []
        seen: set[str] = set()
        for e in errors:
            for one in (e.errors if isinstance(e, LoadErrors) else [e]):
                if str(one) not in seen:
                    seen.add(str(one))
                    flat.append(one)
        self.errors = flat
        super().__init__(f"{len(flat)} errors while loading the config and rules")

    def __str__(self) -> str:
        """One line per error: a newline or escape inside one (a file name, a quoted
        value) is shown as ``\\n``/``\\x1b``, so no error can forge a line of its own
        (or a CI ``::error`` command)."""
        from guardrails.textsafe import inert_line, printable

        if len(self.errors) == 1:
            return printable(str(self.errors[0]))
        lines = [f"{len(self.errors)} errors while loading the config and rules:"]
        # indented, but a CI runner strips that: a file named '::error..' stays inert
        lines += [inert_line(f"  {printable(str(e))}") for e in self.errors]
        return "\n".join(lines)


def raise_all(errors: list[UsageError]) -> None:
    """Raise nothing, the one error, or a LoadErrors holding them all."""
    if len(errors) == 1 and not isinstance(errors[0], LoadErrors):
        raise errors[0]
    if errors:
        raise LoadErrors(errors)


def end_of_text(text: str) -> tuple[int, int]:
    """Line and column just past the last character that is not blank: where a file
    that ends too soon (an unclosed string, bracket or table, a key without its value)
    stops, as an editor shows it; the parser's own place is after the last line."""
    body = text.rstrip()
    return body.count("\n") + 1, len(body) - (body.rfind("\n") + 1) + 1
