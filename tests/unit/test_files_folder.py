"""Which files of the org data folder the files source reads: one listing, names as listed."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guardrails.errors import DataFileError, UsageError
from guardrails.plugin import SourceEnv
from guardrails.sources import files_folder
from guardrails.sources.files import FilesSource

TEAMS = "teams:\n  - id: web\n    name: Web\n    members:\n      - handle: ana\n"
WESTRUM = "team,respondent,submitted_at,q1,q2,q3,q4,q5,q6,q7\n"


def _source(root: Path) -> FilesSource:
    env = SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC), window=timedelta(days=90))
    return FilesSource({"path": "org"}, env)


def _org(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / "org" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_mis_cased_name_is_warned_about_and_not_read(tmp_path: Path) -> None:
    """Only the name as listed counts, so the warning and the reading agree on every disk
    (on a case-insensitive one a stat of teams.yaml would find Teams.yaml)."""
    _org(tmp_path, {"Teams.yaml": TEAMS, "surveys/Westrum.csv": WESTRUM})
    src = _source(tmp_path)
    assert src.provides() == set()
    assert src.warnings == [
        "org/Teams.yaml is not a data file guardrails reads (did you mean teams.yaml?): "
        "none of its records are read",
        "org/surveys/Westrum.csv is not a data file guardrails reads (did you mean "
        "surveys/westrum.csv?): none of its records are read",
    ]


def test_listed_files_are_read_and_two_of_a_kind_refused(tmp_path: Path) -> None:
    _org(tmp_path, {"teams.yaml": TEAMS, "surveys/westrum.csv": WESTRUM})
    src = _source(tmp_path)
    assert src.provides() == {"teams", "survey_answers"} and src.warnings == []
    assert [t["id"] for t in src.gather({"teams"})["teams"]] == ["web"]
    _org(tmp_path, {"teams.yml": TEAMS})
    with pytest.raises(UsageError, match="two files hold teams: org/teams.yaml and org/teams.yml"):
        _source(tmp_path).validate()


def test_a_folder_named_as_a_data_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "org" / "incidents.csv").mkdir(parents=True)
    src = _source(tmp_path)
    assert src.provides() == set()
    assert src.warnings == ["org/incidents.csv is a folder, not a data file: "
                            "no incidents are read from it"]


def test_a_listed_link_is_still_checked(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text(TEAMS, encoding="utf-8")
    (tmp_path / "org").mkdir()
    os.symlink(outside, tmp_path / "org" / "teams.yaml")
    with pytest.raises(DataFileError, match="resolves outside"):
        _source(tmp_path).validate()


def test_a_folder_past_the_listing_bound_finds_its_data_files_as_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound on the other entries kept, the data files are still found from
    the one listing, by their names as listed (as in a small folder, so the size of a
    folder never changes which files are read), and the strays named stay bounded."""
    monkeypatch.setattr(files_folder, "_LISTED", 3)
    _org(tmp_path, {"teams.yaml": TEAMS, "services.yaml": "services: []\n",
                    **{f"deploymnts{i}.csv": "" for i in range(6)}})
    src = _source(tmp_path)
    assert src.provides() == {"teams", "services"}
    assert 1 <= len(src.warnings) <= 3 and all("deploymnts" in w for w in src.warnings)


def test_an_absent_surveys_folder_lists_nothing(tmp_path: Path) -> None:
    assert files_folder._listing(tmp_path / "org" / "surveys", frozenset()) == ({}, True)


PM = "---\nincident: INC-1\n---\n## Summary\nx\n"


@pytest.mark.parametrize(("files", "links", "skip"), [
    ({"teams.yaml": TEAMS, "postmortems/a.md": PM, "postmortems/b.md": PM}, {}, ()),
    ({"teams.yaml": TEAMS, "postmortems/README.md": "x", "postmortems/_draft.md": PM,
      "postmortems/.hidden.md": PM, "postmortems/notes.txt": "x"}, {}, ()),
    ({"postmortems/a.md": PM}, {}, ("postmortems",)),
    ({"teams.yaml": TEAMS, "elsewhere/a.md": PM}, {"postmortems/a.md": "elsewhere/a.md"}, ()),
    ({"teams.yaml": TEAMS, "Teams.yml": TEAMS, "postmortems/a.md": PM}, {}, ()),
    ({"teams.yaml": TEAMS}, {}, ()),
])
def test_what_a_source_provides_before_validating_is_what_validating_finds(
        tmp_path: Path, files: dict[str, str], links: dict[str, str],
        skip: tuple[str, ...]) -> None:
    """provides() on a fresh source (the rule parser's) answers without the list of
    postmortem paths when it can, and says what _discover says, warnings once."""
    _org(tmp_path, files)
    (tmp_path / "org" / "postmortems").mkdir(exist_ok=True)
    for rel, target in links.items():
        os.symlink(tmp_path / "org" / target, tmp_path / "org" / rel)
    env = SourceEnv(root=tmp_path, now=datetime(2026, 11, 1, tzinfo=UTC),
                    window=timedelta(days=90))
    fresh, full = (FilesSource({"path": "org", "skip": list(skip)}, env) for _ in range(2))
    assert fresh.provides() == set(full._discover())
    assert fresh._files is None or links  # the quick answer made no list of paths
    assert fresh.provides() == set(fresh._discover())
    assert fresh.warnings == full.warnings  # strays warned once however it was asked
