"""Postmortem files: front matter, sections, aliases and line numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import sections
from guardrails.errors import DataFileError
from guardrails.plugin import SourceEnv
from guardrails.sources import postmortem
from guardrails.sources.files import FilesSource

NOW = datetime(2026, 11, 1, tzinfo=UTC)

LOGIN = """\
---
incident: INC-731
status: reviewed
published_at: 2026-10-09
authors: [alice, bob]
action_items:
  - title: Add a canary stage
    owner: alice
    due: 2026-11-30
    status: open
  - title: Alert on login errors
    due: 2026-10-20T17:00:00+02:00
---
# Login outage

## Summary

Login failed for 40 minutes.

## Impact
12% of users could not sign in.

##   Root Causes:  ##
The config was not validated.
### Why
```
## Timeline (inside a code block)
```

# Appendix
ignored text
## Action items
See the front matter.
## Timeline
"""


def make_source(root: Path) -> FilesSource:
    return FilesSource({"path": "org"}, SourceEnv(root=root, now=NOW, window=timedelta(days=90)))


def write_pm(root: Path, name: str, text: str) -> None:
    folder = root / "org" / "postmortems"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def failure(root: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        make_source(root).validate()
    return info.value


def test_postmortem_fact(tmp_path: Path) -> None:
    write_pm(tmp_path, "2026-10-07-login.md", LOGIN)
    src = make_source(tmp_path)
    assert src.provides() == {"postmortems"}
    [pm] = src.gather({"postmortems"})["postmortems"]
    root_causes = (
        "The config was not validated.\n### Why\n```\n## Timeline (inside a code block)\n```"
    )
    assert pm["id"] == "2026-10-07-login.md"
    assert pm["file"] == "org/postmortems/2026-10-07-login.md"
    assert pm["incident"] == "INC-731"
    assert pm["status"] == "reviewed"
    assert pm["authors"] == ["alice", "bob"]
    assert pm["published_at"] == datetime(2026, 10, 9, tzinfo=UTC)
    assert pm["action_items"] == [
        {"title": "Add a canary stage", "owner": "alice",
         "due": datetime(2026, 11, 30, tzinfo=UTC), "status": "open"},
        {"title": "Alert on login errors", "due": datetime(2026, 10, 20, 15, tzinfo=UTC)},
    ]
    assert pm["sections"] == {
        "Summary": "Login failed for 40 minutes.",
        "Impact": "12% of users could not sign in.",
        "Root Causes:": root_causes,
        "Action items": "See the front matter.",
        "Timeline": "",
    }
    assert pm["section_lines"] == {
        "Summary": 16, "Impact": 20, "Root Causes:": 23, "Action items": 32, "Timeline": 34,
    }
    assert pm["sections_normalized"] == {
        "summary": "Login failed for 40 minutes.",
        "impact": "12% of users could not sign in.",
        "contributing factors": root_causes,
        "action items": "See the front matter.",
        "timeline": "",
    }
    assert pm["body_line"] == 14
    assert pm["lines"] == LOGIN.split("\n")[:-1]
    assert pm["lines"][22] == "##   Root Causes:  ##"


def test_canonical_names_and_aliases() -> None:
    assert sections.canonical("Root cause") == "contributing factors"
    assert sections.canonical("  ROOT   CAUSES ") == "contributing factors"
    assert sections.canonical("Lessons Learned:") == "lessons learned"
    assert sections.canonical("What went well") == "what went well"


def test_non_empty_alias_wins_over_empty_canonical() -> None:
    found = {"Contributing factors": "", "Root cause": "disk full", "Summary": "s"}
    assert sections.normalize_sections(found) == {
        "contributing factors": "disk full", "summary": "s",
    }


def test_crlf_lines_and_repeated_heading() -> None:
    text = "---\r\nincident: 1\r\n---\r\n## Summary\r\nfirst\r\n## Summary\r\nsecond\r\n"
    doc = postmortem.parse(text, "pm.md")
    assert doc.lines == ["---", "incident: 1", "---", "## Summary", "first", "## Summary", "second"]
    assert doc.sections == {"Summary": "first"}
    assert doc.section_lines == {"Summary": 4}
    assert doc.body_line == 4


def test_missing_front_matter(tmp_path: Path) -> None:
    write_pm(tmp_path, "a.md", "# Outage\n\n## Summary\ntext\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/a.md", 1)
    assert "no YAML front matter" in err.message


def test_unclosed_front_matter(tmp_path: Path) -> None:
    write_pm(tmp_path, "a.md", "---\nincident: INC-1\n## Summary\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/a.md", 1)
    assert "never closed" in err.message


def test_missing_incident(tmp_path: Path) -> None:
    write_pm(tmp_path, "b.md", "---\n# drafted by alice\nstatus: draft\n---\n## Summary\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/b.md", 3)
    assert "'incident' is a required property" in err.message


def test_front_matter_yaml_error_counts_file_lines(tmp_path: Path) -> None:
    write_pm(tmp_path, "c.md", "---\nincident: INC-1\nauthors: [alice\nstatus: draft\n---\n")
    err = failure(tmp_path)
    # The YAML parser stops at 'status:' (file line 4, column 7) still inside the list.
    assert (err.file, err.line, err.column) == ("org/postmortems/c.md", 4, 7)
    assert "invalid YAML" in err.message


def test_front_matter_duplicate_key(tmp_path: Path) -> None:
    write_pm(tmp_path, "d.md", "---\nincident: INC-1\nstatus: draft\nincident: INC-2\n---\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/d.md", 4)
    assert "duplicate key 'incident'" in err.message


def test_action_item_schema_error_names_its_line(tmp_path: Path) -> None:
    write_pm(tmp_path, "e.md",
             "---\nincident: INC-1\naction_items:\n  - title: ok\n  - owner: bob\n"
             "    status: later\n---\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/e.md", 5)


def test_naive_due_timestamp_names_its_line(tmp_path: Path) -> None:
    write_pm(tmp_path, "f.md",
             "---\nincident: INC-1\naction_items:\n  - title: ok\n    due: 2026-10-20T17:00\n---\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/f.md", 5)
    assert "no UTC offset" in err.message


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    write_pm(tmp_path, "g.md", "---\n- INC-1\n---\n")
    err = failure(tmp_path)
    assert (err.file, err.line) == ("org/postmortems/g.md", 2)


def _sections_reference(lines: list[str], body_line: int) -> tuple[dict[str, str], dict[str, int]]:
    """parse_sections as first written: both regexes tried on every line."""
    sections: dict[str, str] = {}
    section_lines: dict[str, int] = {}
    current: str | None = None
    collected: list[str] = []
    fence: str | None = None
    heading_re, fence_re = postmortem._patterns()
    for number in range(body_line, len(lines) + 1):
        line = lines[number - 1]
        m = fence_re.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            h = heading_re.match(line)
            if h and len(h.group(1)) <= 2:
                if current is not None and current not in sections:
                    sections[current] = "\n".join(collected).strip()
                current, collected = None, []
                if len(h.group(1)) == 2:
                    current = (h.group(2) or "").strip()
                    section_lines.setdefault(current, number)
                continue
        if current is not None:
            collected.append(line)
    if current is not None and current not in sections:
        sections[current] = "\n".join(collected).strip()
    return sections, section_lines


_MD_LINES = st.sampled_from([
    "", " ", "text", "\ttext", "## Summary", "##Summary", "  ## Impact", "    ## code", "# Title",
    "### Deeper", "```", "  ```", "\t```", "~~~", "````", "```python", "## Summary ##", "##",
    "#", " #", "\t## Tab", "- item", "`inline`", "~strike~", "## Action items",
    # the plain level-2 heading's fast path and its near misses
    "## Summary ", "## Summary\t", "##  Summary", "## a # b", "## a#", "## #", "## ",
    "## \t", "## x\r", "## \u00a0x\u00a0", "## Impact", "###  x", "## `x`", "## ~~~",
    # level-1 headings and fences told by str methods: their near misses
    "#\n", "# a\n", "# a\nb", "#\t\n\n", "#x", "# a #", "#######", "####### x", "   # x",
    "    # x", "   ```", "    ```", "``", "~~", "`~~", "~```", "##\n", "#\tTitle",
])


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(200), deadline=None)
@given(st.lists(_MD_LINES, max_size=30), st.integers(min_value=1, max_value=4))
def test_sections_match_the_every_line_reference(lines: list[str], body_line: int) -> None:
    got, want = postmortem.parse_sections(lines, body_line), _sections_reference(lines, body_line)
    # in order too: the fact keeps the sections in the file's order
    assert [list(d.items()) for d in got] == [list(d.items()) for d in want]
