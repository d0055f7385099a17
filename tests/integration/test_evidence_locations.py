"""Evidence about a data record carries the file and row it was read from.

The files source knows where every record it loaded is (a CSV row, a JSON
Lines line, a YAML list item, a postmortem file); the runner fills that in
for evidence naming the record, marked ``record``. Evidence a check located
itself keeps its place, and the terminal keeps the subject as the label of
a record (the row is shown with ``-v``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import check_report, make_project, run_cli

from guardrails.facts import FactStore
from guardrails.model import Evidence, Outcome, Result, Severity
from guardrails.plugin import SourceEnv
from guardrails.runner import locate_evidence
from guardrails.sources.files import FilesSource
from guardrails.timeutil import parse_timestamp

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme" / "guardrails.yaml"
NOW = "2026-11-20"


def loaded(root: Path) -> tuple[FilesSource, FactStore]:
    env = SourceEnv(root=root, now=parse_timestamp("2026-11-20T00:00:00Z"),
                    window=parse_timestamp("2026-11-20T00:00:00Z")
                    - parse_timestamp("2026-08-22T00:00:00Z"))
    src = FilesSource({"path": "org"}, env)
    store = FactStore()
    for kind, facts in src.gather(src.provides()).items():
        store.add(kind, facts, "files")
    store.locators = [src.locate]
    return src, store


def write(root: Path, rel: str, text: str) -> None:
    path = root / "org" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def result_with(*evidence: Evidence) -> Result:
    return Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED,
                  severity=Severity.ERROR, evidence=list(evidence))


def test_every_format_gives_the_row_of_a_record(tmp_path: Path) -> None:
    write(tmp_path, "teams.yaml", "teams:\n  - id: alpha\n    members: []\n"
          "  - id: beta\n    members: []\n")
    write(tmp_path, "incidents.csv", "id,created_at\nI1,2026-10-01T00:00:00Z\n"
          "I2,2026-10-02T00:00:00Z\n")
    write(tmp_path, "deployments.jsonl",
          '{"id": "d1", "service": "api", "finished_at": "2026-10-01T00:00:00Z",'
          ' "status": "success"}\n'
          '{"id": "d2", "service": "api", "finished_at": "2026-10-02T00:00:00Z",'
          ' "status": "success", "url": "https://ci.example/d2"}\n')
    write(tmp_path, "postmortems/inc-1.md", "---\nincident: I1\n---\n# x\n")
    _, store = loaded(tmp_path)
    r = result_with(Evidence("team/beta"), Evidence("incident/I2"), Evidence("deployment/d2"),
                    Evidence("postmortem/inc-1.md"), Evidence("module/api"),
                    Evidence("team/nobody"))
    locate_evidence(r, store)
    got = [(e.subject, e.file, e.line, e.record, e.url) for e in r.evidence]
    assert got == [
        ("team/beta", "org/teams.yaml", 4, True, None),
        ("incident/I2", "org/incidents.csv", 3, True, None),
        # the record's web url comes along when the check set none
        ("deployment/d2", "org/deployments.jsonl", 2, True, "https://ci.example/d2"),
        # a postmortem is a whole file
        ("postmortem/inc-1.md", "org/postmortems/inc-1.md", None, True, None),
        # no fact of that kind or id: nothing to say
        ("module/api", None, None, False, None),
        ("team/nobody", None, None, False, None),
    ]


def test_a_place_the_check_chose_is_kept(tmp_path: Path) -> None:
    write(tmp_path, "teams.yaml", "teams:\n  - id: alpha\n    members: []\n")
    _, store = loaded(tmp_path)
    e = Evidence("team/alpha", file="CODEOWNERS", line=7, url="https://x.example/a")
    locate_evidence(result_with(e), store)
    assert (e.file, e.line, e.record, e.url) == ("CODEOWNERS", 7, False, "https://x.example/a")


def test_facts_without_a_source_location_lend_only_their_url() -> None:
    """Facts an HTTP source gave have no file; only a web url is taken, never another scheme."""
    store = FactStore()
    store.add("incidents", [{"id": "P1", "url": "https://pd.example/incidents/P1"},
                            {"id": "P2", "url": "javascript:alert(1)"}], "pagerduty")
    r = result_with(Evidence("incident/P1"), Evidence("incident/P2"))
    locate_evidence(r, store)
    assert [(e.file, e.record, e.url) for e in r.evidence] == [
        (None, False, "https://pd.example/incidents/P1"), (None, False, None)]


def test_warnings_still_name_file_and_row(tmp_path: Path) -> None:
    write(tmp_path, "services.yaml", "services:\n  - {id: api, owner: ghost}\n")
    _, store = loaded(tmp_path)
    fact = store.get("services")[0]
    assert store.where("services", fact, "owner") == "org/services.yaml:2: "
    assert store.locate("services", fact) == ("org/services.yaml", 2)


@pytest.fixture
def acme_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(REPO)
    return check_report(ACME, tmp_path / "r.json", "-q")[1]


def test_example_org_evidence_names_its_rows(acme_json: dict) -> None:
    by_id = {r["id"]: r for r in acme_json["results"]}
    first = by_id["stability::change-failure-rate"]["evidence"][0]
    assert (first["subject"], first["file"], first["line"], first["record"]) == (
        "deployment/dep-5560", "org/deployments.csv", 26, True)
    # the row really is that deployment's
    row = (REPO / "examples/acme/org/deployments.csv").read_text().splitlines()[26 - 1]
    assert row.startswith("dep-5560,")
    blameless = by_id["incidents::postmortem-blameless"]["evidence"][0]
    assert "record" not in blameless and blameless["line"] == 34


def test_terminal_labels_records_by_subject_and_places_by_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    out = run_cli(["check", "-c", str(ACME), "--now", NOW, "--no-color"]).stdout.splitlines()
    assert any(line.startswith("  deployment/dep-5560  2026-09-18 web caused INC-736")
               and "org/deployments.csv" not in line for line in out)
    assert any(line.startswith("  org/postmortems/2026-10-07-login-outage.md:34")
               for line in out)
    verbose = run_cli(["check", "-c", str(ACME), "--now", NOW, "--no-color", "-v"]).stdout
    assert "hotfixed by dep-5563  (org/deployments.csv:26)" in verbose


def test_junit_lists_the_row_after_the_subject(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    res = run_cli(["check", "-f", "junit"])
    assert "team/beta  org/teams.yaml:7  9 members (max 8)" in res.stdout


def counted(store: FactStore) -> list[str]:
    """The subjects' kinds the store's locators are asked about, from now on."""
    asked: list[str] = []
    real = store.locators[0]

    def locate(kind, fact, field=None):  # type: ignore[no-untyped-def]
        asked.append(kind)
        return real(kind, fact, field)

    store.locators = [locate]
    return asked


def test_a_place_is_found_when_first_read_and_as_at_once(tmp_path: Path) -> None:
    """The runner leaves a record's place to be found when a reader asks it
    (results.place_later): the same file, line, record flag and lent url."""
    import copy
    import pickle

    write(tmp_path, "deployments.jsonl",
          '{"id": "d1", "service": "api", "finished_at": "2026-10-01T00:00:00Z",'
          ' "status": "success", "url": "https://ci.example/d1"}\n')
    _, store = loaded(tmp_path)
    asked = counted(store)
    items = [Evidence("deployment/d1"), Evidence("deployment/d1"), Evidence("deployment/d1"),
             Evidence("deployment/nope")]
    r = result_with(*items)
    locate_evidence(r, store)
    assert asked == []  # nothing found yet
    assert items[0].line == 1 and asked == ["deployments"]
    assert (items[0].file, items[0].record, items[0].url) == (
        "org/deployments.jsonl", True, "https://ci.example/d1")
    assert asked == ["deployments"]  # once an item
    assert items[1] == Evidence("deployment/d1", url="https://ci.example/d1",
                                file="org/deployments.jsonl", line=1, record=True)
    items[2].file = "set/by/a/plugin.txt"  # a field set since stays as set
    assert (items[2].file, items[2].line, items[2].record) == ("set/by/a/plugin.txt", 1, True)
    assert items[3].to_json() == {"subject": "deployment/nope", "detail": "", "url": None}
    again = result_with(Evidence("deployment/d1"), Evidence("deployment/d1", url="mine"))
    locate_evidence(again, store)
    for e in (copy.copy(again.evidence[0]), pickle.loads(pickle.dumps(again.evidence[1]))):
        assert "_place" not in vars(e) and (e.file, e.line) == ("org/deployments.jsonl", 1)
    assert again.evidence[1].url == "mine"  # the check's own url is kept


def test_the_terminal_without_v_finds_no_place(tmp_path: Path) -> None:
    """Without -v the terminal shows no record's row nor url: none is looked for.
    With -v every shown item's is, and shown as before."""
    import io

    from guardrails.plugin import ReportOptions
    from guardrails.reporters.terminal import TerminalReporter

    write(tmp_path, "deployments.jsonl", "".join(
        f'{{"id": "d{i}", "service": "api", "finished_at": "2026-10-01T00:00:00Z",'
        f' "status": "success"}}\n' for i in range(8)))
    _, store = loaded(tmp_path)
    asked = counted(store)
    for verbosity, looked in ((0, 0), (1, 8)):
        r = result_with(*(Evidence(f"deployment/d{i}", "failed") for i in range(8)))
        locate_evidence(r, store)
        out = io.StringIO()
        TerminalReporter(out, ReportOptions(verbosity=verbosity))._evidence(r.evidence)
        assert len(asked) == looked
        assert ("(org/deployments.jsonl:8)" in out.getvalue()) is bool(verbosity)
        assert out.getvalue().startswith("  deployment/d0  failed")
        asked.clear()
