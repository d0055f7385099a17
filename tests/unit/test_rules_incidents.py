"""The postmortem rules of pack ``incidents``: complete, blameless, action items on time.

Postmortems are real files read by the files source, so line numbers are
those an editor shows (front matter included); every expected line is
counted by hand in the text next to the test. NOW is 2026-11-20 00:00 UTC.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import fact_context, make_project, write
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.builtins import BUILTINS
from guardrails.checks import blamewords, incidents
from guardrails.cli import main
from guardrails.collect import registered_checks, registered_metrics
from guardrails.config import Config
from guardrails.errors import RuleFileError
from guardrails.manager import create_manager
from guardrails.model import Outcome, Result, Rule
from guardrails.plugin import SourceEnv
from guardrails.rulefile import RuleParser
from guardrails.rulepaths import builtin_packs
from guardrails.runner import run_check
from guardrails.sources.files import FilesSource

NOW = datetime(2026, 11, 20, tzinfo=UTC)
#: plugin modules of these rules; passed with -p until they are entry points
PLUGINS = ("guardrails.checks.incidents",)

_pm = create_manager()
CHECKS = dict(registered_checks(_pm)) | {c.name: c for c in incidents.guardrails_collect_checks()}
METRICS = registered_metrics(_pm)


def builtin_rule(rule_id: str, **params: Any) -> Rule:
    """The shipped rule ``incidents::<rule_id>``, with ``params`` laid over its own."""
    cfg = Config(path=None, root=Path.cwd(), data={})
    rules = RuleParser(cfg, CHECKS, METRICS).parse(Path(str(builtin_packs()["incidents"])))
    rule = next(r for r in rules if r.id == rule_id)
    return replace(rule, params={**rule.params, **params}) if params else rule


def postmortems(tmp_path: Path, files: dict[str, str]) -> list[dict[str, Any]]:
    """Postmortem facts of ``org/postmortems/<name>`` files, as the files source reads them."""
    for name, text in files.items():
        write(tmp_path, f"org/postmortems/{name}", text)
    env = SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=90))
    return FilesSource({"path": "org"}, env).gather({"postmortems"})["postmortems"]


def run(rule: Rule, **kinds: list[dict[str, Any]]) -> Result:
    return run_check(rule, fact_context(NOW, CHECKS, METRICS, **kinds))


def run_failed_source(rule: Rule) -> Result:
    return run_check(rule, fact_context(NOW, CHECKS, METRICS, failed="postmortems"))


def evidence(result: Result) -> list[tuple[str, str, str | None, int | None]]:
    return [(e.subject, e.detail, e.file, e.line) for e in result.evidence]


ALL_RULES = ("postmortem-complete", "postmortem-blameless", "action-items-on-time")


@pytest.mark.parametrize("rule_id", ALL_RULES)
def test_no_postmortems_is_skipped_never_passed(rule_id: str) -> None:
    result = run(builtin_rule(rule_id))
    assert (result.outcome, result.message) == (Outcome.SKIPPED, "no postmortems data")
    failing = run(builtin_rule(rule_id, on_no_data="fail"))
    assert failing.outcome is Outcome.FAILED
    assert failing.message == "no postmortems data (on_no_data: fail)"


@pytest.mark.parametrize("rule_id", ALL_RULES)
def test_a_failed_source_makes_the_rule_an_error(rule_id: str) -> None:
    result = run_failed_source(builtin_rule(rule_id))
    assert result.outcome is Outcome.ERROR
    assert result.message == "source files: boom"


# ---------------------------------------------------------------------------
# postmortem-complete
# ---------------------------------------------------------------------------

COMPLETE = """\
---
incident: INC-1
action_items:
  - title: Add a canary stage
    owner: ann
    due: 2026-12-01
---
# Outage
## Summary
Login failed.
## Impact
Some users could not sign in.
## Timeline
- 10:00 deploy
## Root causes
The config was not validated.
"""

# Impact is missing, Timeline (line 11) holds a placeholder, Contributing
# factors (line 13) only a template comment; neither action item (under
# action_items: on line 3) has both an owner and a due date.
GAPS = """\
---
incident: INC-2
action_items:
  - title: Write a runbook
    owner: ann
  - title: Add an alert
    due: 2026-12-01
---
## Summary
Search was slow.
## Timeline
TBD
## Contributing factors
<!-- fill in -->
"""

NO_ITEMS = """\
---
incident: INC-3
---
## Summary
s
## Impact
i
## Timeline
t
## Contributing factors
c
"""


def test_complete_passes_with_the_root_cause_alias(tmp_path: Path) -> None:
    result = run(builtin_rule("postmortem-complete"),
                 postmortems=postmortems(tmp_path, {"complete.md": COMPLETE}))
    assert result.outcome is Outcome.PASSED
    assert (result.value, result.unit, result.threshold, result.samples) == (
        0, "count", {"max": 0}, 1)
    assert result.message == "every postmortem is complete (1 postmortem)"


def test_complete_names_what_is_missing_with_file_and_line(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"complete.md": COMPLETE, "gaps.md": GAPS,
                                 "no-items.md": NO_ITEMS})
    result = run(builtin_rule("postmortem-complete"), postmortems=pms)
    assert result.outcome is Outcome.FAILED
    assert (result.value, result.samples) == (2, 3)  # gaps.md and no-items.md of 3
    assert result.message == "2 of 3 postmortems incomplete: gaps.md, no-items.md"
    assert evidence(result) == [
        ("postmortem/gaps.md",
         "no Impact section; Timeline is empty (line 11); Contributing factors is empty "
         "(line 13); no action item has both owner and due date (2 items, lacking owner "
         "or due date)",
         "org/postmortems/gaps.md", 3),  # the earliest line: action_items: on line 3
        # no action_items key to point at: the file without a line
        ("postmortem/no-items.md", "no action items", "org/postmortems/no-items.md", None),
    ]


def test_complete_sections_are_configurable(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"complete.md": COMPLETE})
    rule = builtin_rule("postmortem-complete", sections=["summary", "Detection"])
    result = run(rule, postmortems=pms)
    assert evidence(result) == [("postmortem/complete.md", "no Detection section",
                                 "org/postmortems/complete.md", None)]
    assert result.details == ["required sections: summary, Detection; at least one action "
                              "item with owner and due date"]


def test_complete_rule_ships_the_four_sections() -> None:
    assert builtin_rule("postmortem-complete").params["sections"] == [
        "Summary", "Impact", "Timeline", "Contributing factors"]


# ---------------------------------------------------------------------------
# postmortem-blameless
# ---------------------------------------------------------------------------

# Hits, by line: 9 "operator error" (any case); 11 "blame"; 23 "human error"
# across a line break; 24 "fat-fingered" and "didn't bother" (curly
# apostrophe); 28 "sloppy" (an indented paragraph of a list item is text).
# Not hits: the front matter (3); blameless, blame-free, forgot-password (10);
# the fenced block (14); the indented code block (17); inline code, a
# quotation (19), a quotation across lines 20-21 and an HTML comment (21).
WORDS = """\
---
incident: INC-9
title: "The blame game"
---
# Disk full

## Summary

The root of this outage is Operator Error during the rotation.
Our blameless review and blame-free culture matter; the forgot-password page stayed up.
Nobody is to blame here.

```
$ rm -rf /tmp  # forgot the flag
```

    careless = indented_code()

Run `git push --force` and `forgot` is a command; she said "you should have known"
and wrote "failed to
deploy" in chat. <!-- human error -->

The change was a human
error in the config and an engineer fat-fingered it; we didn\u2019t bother to check.

- a list item

    continued item text that was sloppy
"""

CLEAN = """\
---
incident: INC-10
---
## Summary
The rotation tooling does not check that the new key is published.
"""


def test_blameless_quotes_file_line_and_phrase(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"clean.md": CLEAN, "words.md": WORDS})
    result = run(builtin_rule("postmortem-blameless"), postmortems=pms)
    assert result.outcome is Outcome.FAILED
    f = "org/postmortems/words.md"
    s = "postmortem/words.md"
    assert evidence(result) == [
        (s, '"operator error"', f, 9),
        (s, '"blame"', f, 11),
        (s, '"human error"', f, 23),
        (s, '"fat-fingered"', f, 24),
        (s, '"didn\'t bother"', f, 24),
        (s, '"sloppy"', f, 28),
    ]
    # the value counts offending postmortems; the six phrases are the evidence
    assert (result.value, result.unit, result.samples) == (1, "count", 2)
    assert result.message == "1 of 2 postmortems use blame language (6 phrases): words.md"


def test_blameless_passes_on_clean_text(tmp_path: Path) -> None:
    result = run(builtin_rule("postmortem-blameless"),
                 postmortems=postmortems(tmp_path, {"clean.md": CLEAN}))
    assert result.outcome is Outcome.PASSED
    assert result.message == "no blame phrases in 1 postmortem"


# Pieces that make and unmake blame hits: phrase words, masks (code, quotes,
# comments) that may sit between two words, fences, indents, list items.
_PIECES = st.sampled_from([
    "human", "Human", "error", "ERROR", "failed", "to", "fat-finger", "fat", "finger",
    "didn't", "didn\u2019t", "bother", "blame", "blameless", "-blame", "forgot", " ", "  ",
    "\n", "\n\n", "    ", "`", "``", '"', "\u201c", "\u201d", "<!--", "-->", "```", "~~~",
    "- ", "1. ", "# ", "x", ".", "\u017floppy", "\u212aarele\u017f\u017f", "at", "fault", "of",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.integers(min_value=0, max_value=6))
def test_blame_quick_test_never_hides_a_hit(pieces: list[str], body_line: int) -> None:
    """Skipping bodies, and prose blocks, without a phrase's longest word finds exactly the
    same hits."""
    phrases = blamewords.phrase_list({})
    pattern = blamewords.phrase_pattern(phrases)
    pm = {"lines": "".join(pieces).split("\n"), "body_line": body_line}
    quick = blamewords.QuickTest(phrases)
    assert blamewords.blame_hits(pm, pattern, phrases, quick) == \
        blamewords.blame_hits(pm, pattern, phrases)
    _reduced_pattern_finds_the_same(pm, phrases, pattern)


def _reduced_pattern_finds_the_same(pm: dict[str, Any], phrases: list[str],
                                    pattern: Any) -> None:
    """The regex of only the phrases whose longest word the text may hold (as the
    blameless check compiles it) finds what the whole list's finds, with and without
    the quick test; also in a postmortem known by its sections only."""
    quick = blamewords.QuickTest(phrases)
    words = quick.words_in([blamewords.searched_text(pm)])
    reduced = blamewords.phrase_pattern(phrases, words)
    want = blamewords.blame_hits(pm, pattern, phrases)
    assert blamewords.blame_hits(pm, reduced, phrases) == want
    assert blamewords.blame_hits(pm, reduced, phrases, quick) == want
    sections = {"Impact": "\n".join(pm["lines"][:3]), "Timeline": "\n".join(pm["lines"][3:])}
    by_sections = {"sections": sections}
    words = quick.words_in([blamewords.searched_text(by_sections)])
    assert blamewords.blame_hits(by_sections, blamewords.phrase_pattern(phrases, words),
                                 phrases) == blamewords.blame_hits(by_sections, pattern, phrases)


def test_a_pattern_of_no_phrase_finds_nothing() -> None:
    phrases = blamewords.phrase_list({})
    never = blamewords.phrase_pattern(phrases, set())
    pm = {"lines": ["We blame nobody; human error is a symptom."], "body_line": 1}
    assert blamewords.blame_hits(pm, never, phrases) == []
    assert blamewords.blame_hits(pm, blamewords.phrase_pattern(phrases), phrases) != []


def test_the_quick_tests_fold_is_every_character_ignorecase_takes_for_ascii() -> None:
    """QuickTest.lines reads text beyond ASCII through _FOLD and every other such
    character as "?": each character re.IGNORECASE matches to an ASCII one must be
    there, as that one."""
    import re

    ascii_class = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    found = {c for c in range(0x80, 0x110000)
             if not 0xD800 <= c <= 0xDFFF and ascii_class.fullmatch(chr(c))}
    assert found == set(blamewords._FOLD) - {0x2019}
    for c, letter in blamewords._FOLD.items():
        assert re.fullmatch(blamewords._word(letter), chr(c), re.IGNORECASE)


_WIDE_PIECES = st.sampled_from([
    "human", "error", "ERROR", "failed", "to", "didn't", "didn\u2019t", "bother", "blame",
    "sloppy", "\u017floppy", "\u0130ncompetent", "\u0131ncompetent", "incompetent", "\u212a",
    "careless", "\u00e1", "\u2014", "\u00e9rror", "?", "wh?t", " ", "\n", "\n\n", "`", '"',
    "- ", "```", "x",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WIDE_PIECES, max_size=40), st.integers(min_value=0, max_value=4),
       st.lists(st.sampled_from(["wh?t", "\u00e9rror", "x y", "didn't care", "\u212aarma"]),
                max_size=2, unique=True))
def test_blame_quick_test_never_hides_a_hit_beyond_ascii(pieces: list[str], body_line: int,
                                                         extra: list[str]) -> None:
    """Text beyond ASCII, and phrases with ``?`` or beyond ASCII: the same hits."""
    phrases = blamewords.phrase_list({"add_phrases": extra})
    pattern = blamewords.phrase_pattern(phrases)
    pm = {"lines": "".join(pieces).split("\n"), "body_line": body_line}
    quick = blamewords.QuickTest(phrases)
    assert blamewords.blame_hits(pm, pattern, phrases, quick) == \
        blamewords.blame_hits(pm, pattern, phrases)
    if quick.words_in([]) is not None:  # every word ASCII: the check compiles a reduced regex
        _reduced_pattern_finds_the_same(pm, phrases, pattern)


_LINE_STARTS = st.sampled_from([
    "", " ", "  ", "   ", "    ", "\t", "#", "##", "####### ", "# ", "-", "- ", "* ", "+ ",
    "+", "1. ", "12) ", "1.", "\u0663. ", "\u00b2. ", "```", "~~~", "````", "`", "~",
    "text", "x", "\u00e1", "-blame", "#tag", "\n", "123456789", "0", ".", ")", "\u00a0",
    "######", "~`",
])

# The Markdown openers as regexes: what blamewords' str methods must answer exactly.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_LINE_STARTS, max_size=3).map("".join), max_size=30),
       st.integers(min_value=1, max_value=4))
def test_prose_blocks_openers_answer_as_their_regexes(lines: list[str], first: int) -> None:
    """prose_blocks' fence, heading and list-item tests (str methods, asked only of a
    line whose first character after its spaces may start one) answer what the
    regexes do, on every line; a fence closes on a line of the same character, at
    least as long, as a full match would say."""
    for line in [*lines, *(a + b for a in lines[:5] for b in lines[:5])]:
        lead = line.lstrip(" ")
        fence = _FENCE.match(line)
        assert blamewords._fence(line, lead) == (fence and fence.group(1)), line
        assert blamewords._heading(line, lead) == (_HEADING.match(line) is not None), line
        assert blamewords._list_item(line, lead) == (_LIST_ITEM.match(line) is not None), line
        if lead[:1] not in ("`", "~"):
            assert fence is None, line
        if lead[:1] != "#":
            assert _HEADING.match(line) is None, line
        if not (lead[:1] in ("-", "*", "+") or lead[:1].isdigit()):
            assert _LIST_ITEM.match(line) is None, line
    for opening in ("```", "~~~~"):
        for line in lines:
            closes = re.fullmatch(rf"{re.escape(opening[0])}{{{len(opening)},}}", line.strip())
            body = ["x", opening, "blame", line, "blame"]
            # the second "blame" is prose only if the line closed the fence
            assert any("blame" in t for n, t in blamewords.prose_blocks(body, 1)) == bool(closes)
    assert all(isinstance(n, int) for n, _ in blamewords.prose_blocks(lines, first))


PHRASES = """\
---
incident: INC-11
---
## Contributing factors
We should have been luckier; the root cause was bad luck.
The deploy failed to start and we were unlucky.
"""


def test_blameless_phrases_replace_the_list(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"p.md": PHRASES})
    result = run(builtin_rule("postmortem-blameless", phrases=["Root Cause"]), postmortems=pms)
    # only the configured phrase (any case) on line 5; "should have" is no longer searched
    assert [(e.detail, e.line) for e in result.evidence] == [('"Root Cause"', 5)]


def test_blameless_add_and_remove_adjust_the_default_list(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"p.md": PHRASES})
    rule = builtin_rule("postmortem-blameless", add_phrases=["unlucky"],
                        remove_phrases=["should have"])
    result = run(rule, postmortems=pms)
    # line 5 "should have" removed; line 6 "failed to" (default) and "unlucky" (added)
    assert [(e.detail, e.line) for e in result.evidence] == [
        ('"failed to"', 6), ('"unlucky"', 6)]


def test_blameless_rejects_removing_an_unknown_phrase(tmp_path: Path) -> None:
    path = write(tmp_path, "rules/local.yaml", """\
        pack: local
        rules:
          - id: bl
            check: incidents.postmortem_blameless
            remove_phrases: [shoud have]
        """)
    parser = RuleParser(Config(path=None, root=tmp_path, data={}), CHECKS, METRICS)
    with pytest.raises(RuleFileError) as info:
        parser.parse(path)
    assert info.value.message == ("rule 'bl': remove_phrases names 'shoud have', which is not "
                                  "in the phrase list")
    assert info.value.line == 3  # the rule's entry


# ---------------------------------------------------------------------------
# action-items-on-time
# ---------------------------------------------------------------------------

# Open and past due at NOW (2026-11-20 00:00): line 12 due 11-01 (19 days),
# line 4 due 11-16 (4 days), line 22 due 11-19 12:00 (12 hours: the first
# day overdue). Not overdue: done (8), due exactly now (15), next month (18),
# no due date (20).
ITEMS = """\
---
incident: INC-5
action_items:
  - title: Rotate keys automatically
    owner: ann
    due: 2026-11-16
    status: open
  - title: Fix the docs
    owner: ben
    due: 2026-10-01
    status: done
  - title: Add a canary stage
    owner: cat
    due: 2026-11-01
  - title: Due today
    owner: ann
    due: 2026-11-20
  - title: Next month
    due: 2026-12-01
  - title: No date yet
    owner: ben
  - title: Half a day late
    due: 2026-11-19T12:00:00Z
---
## Summary
x
"""


def test_action_items_past_due_worst_first(tmp_path: Path) -> None:
    pms = postmortems(tmp_path, {"clean.md": CLEAN, "items.md": ITEMS})
    result = run(builtin_rule("action-items-on-time"), postmortems=pms)
    assert result.outcome is Outcome.FAILED
    f, s = "org/postmortems/items.md", "postmortem/items.md"
    assert evidence(result) == [
        (s, "'Add a canary stage' (owner cat, due 2026-11-01): 19 days overdue", f, 12),
        (s, "'Rotate keys automatically' (owner ann, due 2026-11-16): 4 days overdue", f, 4),
        (s, "'Half a day late' (no owner, due 2026-11-19T12:00:00Z): 1 day overdue", f, 22),
    ]
    assert (result.value, result.unit, result.samples) == (3, "count", 7)
    assert result.message == "3 open action items past due, the oldest 19 days overdue"
    # 7 items, 1 done; of the 6 open ones "No date yet" has no due date
    assert result.details == ["6 of 7 action items open", "1 open item without a due date"]


def test_action_items_pass_when_nothing_is_late(tmp_path: Path) -> None:
    result = run(builtin_rule("action-items-on-time"),
                 postmortems=postmortems(tmp_path, {"complete.md": COMPLETE}))
    assert result.outcome is Outcome.PASSED
    assert result.message == "no open action item is past due (1 open)"


def test_action_items_skipped_without_any_item(tmp_path: Path) -> None:
    result = run(builtin_rule("action-items-on-time"),
                 postmortems=postmortems(tmp_path, {"clean.md": CLEAN}))
    assert (result.outcome, result.message) == (
        Outcome.SKIPPED, "no action items in the postmortems")


# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------


def plugin_args() -> list[str]:
    wired = {b.module for b in BUILTINS}
    return [arg for mod in PLUGINS if mod not in wired for arg in ("-p", mod)]


def test_incidents_pack_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_project(
        tmp_path,
        config="rules: [builtin:incidents]\nsources:\n  files: {path: org}\n",
        rules={},
        org={
            "incidents.yaml": textwrap.dedent("""\
                incidents:
                  - {id: INC-1, severity: SEV2, created_at: 2026-10-01T10:00:00Z,
                     resolved_at: 2026-10-01T12:00:00Z}
                """),
            "postmortems/words.md": WORDS.replace("INC-9", "INC-1"),
            "postmortems/items.md": ITEMS,
        },
    )
    code = main(["check", "-c", str(cfg), "--now", "2026-11-20", "--format", "json",
                 *plugin_args()])
    report = json.loads(capsys.readouterr().out)
    results = {r["id"]: r for r in report["results"]}
    assert code == 1
    assert results["incidents::postmortem-exists"]["outcome"] == "passed"
    complete = results["incidents::postmortem-complete"]
    # items.md: only a Summary; words.md: only a Summary and no action items
    assert complete["outcome"] == "failed"
    assert [e["subject"] for e in complete["evidence"]] == [
        "postmortem/items.md", "postmortem/words.md"]
    blameless = results["incidents::postmortem-blameless"]
    assert (blameless["outcome"], blameless["value"], blameless["unit"]) == ("failed", 1, "count")
    assert blameless["evidence"][0] == {
        "subject": "postmortem/words.md", "detail": '"operator error"', "url": None,
        "file": "org/postmortems/words.md", "line": 9}
    late = results["incidents::action-items-on-time"]
    assert (late["outcome"], late["value"], late["samples"]) == ("failed", 3, 7)
    assert [e["line"] for e in late["evidence"]] == [12, 4, 22]
