"""Checks over postmortems: complete, blameless, and followed through.

- ``incidents.postmortem_complete``: the required ``##`` sections are there and
  not empty, and at least one action item has an owner and a due date.
- ``incidents.postmortem_blameless``: the text uses no blame language aimed at
  people (a configurable phrase list), quoting file, line and phrase.
- ``incidents.action_items_on_time``: no open action item is past its due date.

Line numbers count from the top of the ``.md`` file, front matter included,
as the files source keeps them in the fact's ``lines``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails import fmt
from guardrails.checks.blamewords import (
    QuickTest,
    blame_hits,
    phrase_list,
    phrase_pattern,
    searched_text,
    strip_comments,
)
from guardrails.checks.generic import no_data
from guardrails.facts import subject
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.sections import canonical, normalize_sections
from guardrails.timeutil import day_of, days_overdue, iso

Fact = Mapping[str, Any]

DEFAULT_SECTIONS = ("Summary", "Impact", "Timeline", "Contributing factors")

# A section holding only one of these was left as the template had it.
_PLACEHOLDERS = {"", "tbd", "todo", "tba", "n/a", "-", "...", "…", "none yet"}

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def _postmortems(ctx: EvalContext, rule: Rule) -> tuple[list[Fact], CheckResult | None]:
    facts = ctx.facts("postmortems")
    if not facts:
        return [], no_data(rule, "no postmortems data")
    return sorted(facts, key=lambda p: str(p.get("id") or p.get("file"))), None


def _action_items_key(line: str) -> bool:
    r"""``^action_items\s*:`` matches (``\s``: what ``str.lstrip()`` strips)."""
    return line.startswith("action_items") and line[12:].lstrip().startswith(":")


def _front_line(pm: Fact, text: str | Callable[[str], bool], after: int = 0) -> int | None:
    """First front-matter line after line ``after`` containing ``text`` (or for which
    it is true)."""
    lines: Sequence[str] = pm.get("lines") or ()
    stop = max(int(pm.get("body_line") or 0) - 1, 0)
    for number in range(after + 1, min(stop, len(lines)) + 1):
        line = lines[number - 1]
        if text in line if isinstance(text, str) else text(line):
            return number
    return None


# ---------------------------------------------------------------------------
# complete
# ---------------------------------------------------------------------------


def _is_empty(text: str) -> bool:
    return strip_comments(text).strip().lower() in _PLACEHOLDERS


class PostmortemCompleteCheck(Check):
    """Required sections present and non-empty; an action item with owner and due date."""

    name = "incidents.postmortem_complete"
    kinds = ("postmortems",)
    schema = {"properties": {"sections": {
        **_STRINGS, "minItems": 1,
        "description": "Required ## sections (matched case-insensitively; aliases such as "
                       "'Root cause' count as 'Contributing factors').",
    }}}
    doc = ("Every postmortem has the required sections, not empty, and at least one action "
           "item with an owner and a due date.")

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        pms, empty = _postmortems(ctx, rule)
        if empty is not None:
            return empty
        required = list(rule.params.get("sections") or DEFAULT_SECTIONS)
        evidence = [ev for pm in pms if (ev := self._problems(pm, required)) is not None]
        n = len(evidence)
        names = fmt.ids([e.subject.split("/", 1)[1] for e in evidence])
        msg = (f"{n} of {fmt.plural(len(pms), 'postmortem')} incomplete: {names}" if n
               else f"every postmortem is complete ({fmt.plural(len(pms), 'postmortem')})")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=len(pms), evidence=evidence,
                           details=[f"required sections: {', '.join(required)}; "
                                    "at least one action item with owner and due date"])

    @staticmethod
    def _problems(pm: Fact, required: list[str]) -> Evidence | None:
        sections = pm.get("sections") or {}
        normalized = pm.get("sections_normalized") or normalize_sections(sections)
        heading_line = {canonical(h): n for h, n in (pm.get("section_lines") or {}).items()}
        problems: list[tuple[int | None, str]] = []
        for name in required:
            key = canonical(name)
            if key not in normalized:
                problems.append((None, f"no {name} section"))
            elif _is_empty(normalized[key]):
                line = heading_line.get(key)
                problems.append((line, f"{name} is empty" + (f" (line {line})" if line else "")))
        items = [i for i in pm.get("action_items") or () if isinstance(i, Mapping)]
        owned = [bool(str(i.get("owner") or "").strip()) for i in items]
        dated = [i.get("due") is not None for i in items]
        if not any(o and d for o, d in zip(owned, dated, strict=True)):
            line = _front_line(pm, _action_items_key)
            if not items:
                problems.append((line, "no action items"))
            else:
                lacking = [w for w, have in (("owner", owned), ("due date", dated))
                           if not all(have)]
                problems.append((line, f"no action item has both owner and due date "
                                       f"({fmt.plural(len(items), 'item')}, lacking "
                                       f"{' or '.join(lacking)})"))
        if not problems:
            return None
        lines = [ln for ln, _ in problems if ln is not None]
        return Evidence(subject("postmortems", pm), "; ".join(t for _, t in problems),
                        file=pm.get("file"), line=min(lines) if lines else None)


# ---------------------------------------------------------------------------
# blameless
# ---------------------------------------------------------------------------

class PostmortemBlamelessCheck(Check):
    """No blame language aimed at people in postmortem text."""

    name = "incidents.postmortem_blameless"
    kinds = ("postmortems",)
    schema = {"properties": {
        "phrases": {**_STRINGS, "minItems": 1,
                    "description": "Replaces the default phrase list."},
        "add_phrases": {**_STRINGS, "description": "Added to the phrase list."},
        "remove_phrases": {**_STRINGS, "description": "Taken out of the phrase list."},
    }}
    doc = ("No postmortem body uses blame phrases (whole words, any case); code, quotations "
           "and HTML comments are ignored.")

    def validate_rule(self, params: Mapping[str, Any]) -> None:
        """Called at collection: a bad phrase list is a rule-file error."""
        phrase_list(params)

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        pms, empty = _postmortems(ctx, rule)
        if empty is not None:
            return empty
        phrases = phrase_list(rule.params)
        quick = QuickTest(phrases)
        # Only the phrases some postmortem may hold are compiled (phrase_pattern's words).
        pattern = phrase_pattern(phrases, quick.words_in(searched_text(pm) for pm in pms))
        evidence = []
        for pm in pms:
            for line, phrase in blame_hits(pm, pattern, phrases, quick):
                evidence.append(Evidence(subject("postmortems", pm), f'"{phrase}"',
                                         file=pm.get("file"), line=line))
        files = list(dict.fromkeys(e.subject.split("/", 1)[1] for e in evidence))
        hits = len(evidence)
        # The value counts offending postmortems (the subjects judged); the
        # phrase hits are the evidence, one per phrase with file and line.
        n = len(files)
        if n:
            msg = (f"{n} of {fmt.plural(len(pms), 'postmortem')} use blame language "
                   f"({fmt.plural(hits, 'phrase')}): {fmt.ids(files)}")
        else:
            msg = f"no blame phrases in {fmt.plural(len(pms), 'postmortem')}"
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=len(pms), evidence=evidence,
                           details=[f"{len(phrases)} phrases searched; code, quotations and "
                                    "HTML comments ignored"])


# ---------------------------------------------------------------------------
# action items on time
# ---------------------------------------------------------------------------


class ActionItemsOnTimeCheck(Check):
    """No open action item is past its due date."""

    name = "incidents.action_items_on_time"
    kinds = ("postmortems",)
    schema = {"properties": {}}
    doc = ("No action item whose status is not 'done' is past its due date (a date names "
           "the whole day in the config's timezone).")

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        pms, empty = _postmortems(ctx, rule)
        if empty is not None:
            return empty
        overdue: list[tuple[float, Evidence]] = []
        tz = ctx.config.timezone if ctx.config is not None else None
        total = open_items = undated = 0
        for pm in pms:
            after = _front_line(pm, _action_items_key) or 0
            for item in pm.get("action_items") or ():
                if not isinstance(item, Mapping):
                    continue
                total += 1
                if item.get("status") == "done":
                    continue
                open_items += 1
                due = item.get("due")
                if due is None:
                    undated += 1
                    continue
                # A due date names the whole day in the config's timezone: not
                # overdue until that day has ended (METRICS.md).
                days = days_overdue(due, ctx.now, tz)
                if days is None:
                    continue
                owner = item.get("owner")
                who = f"owner {owner}" if owner else "no owner"
                day = day_of(due, tz)
                shown = day.isoformat() if day is not None else iso(due)
                late = fmt.plural(days, "day") if days else "less than a day"
                detail = f"{item.get('title')!r} ({who}, due {shown}): {late} overdue"
                line = _front_line(pm, str(item.get("title")), after)
                overdue.append((days, Evidence(subject("postmortems", pm), detail,
                                               file=pm.get("file"), line=line)))
        if not total:
            return no_data(rule, "no action items in the postmortems")
        overdue.sort(key=lambda t: (-t[0], t[1].subject, t[1].line or 0))
        evidence = [e for _, e in overdue]
        details = [f"{open_items} of {fmt.plural(total, 'action item')} open"]
        if undated:
            details.append(f"{fmt.plural(undated, 'open item')} without a due date")
        n = len(evidence)
        msg = (f"{fmt.plural(n, 'open action item')} past due, the oldest "
               f"{fmt.plural(int(overdue[0][0]), 'day')} overdue" if n
               else f"no open action item is past due ({open_items} open)")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=total, evidence=evidence,
                           details=details)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The postmortem checks of pack ``incidents``."""
    return [PostmortemCompleteCheck(), PostmortemBlamelessCheck(), ActionItemsOnTimeCheck()]
