"""``--format html``: the page is parsed and checked against the JSON report.

Every rule is there, every number shown equals the JSON report's, nothing
is loaded from anywhere (the only addresses are in-page anchors and
evidence links with ``rel=noopener``), hostile text stays text, and the
page comes out the same for the same ``--now``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from guardrails.model import Evidence, Measure, Outcome, Report, Result, Severity
from guardrails.reporters.html import render, safe_url

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme" / "guardrails.yaml"
NOW = "2026-11-20"
#: attributes through which a page can make the browser load or go somewhere
URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background",
             "xlink:href", "ping", "manifest", "cite", "longdesc", "codebase"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page(HTMLParser):
    """The page as elements (with the text directly inside each), for assertions."""

    elements: list[Element] = field(default_factory=list)
    stack: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(el)
        if tag not in ("meta", "br", "link", "img", "input", "circle", "rect", "line",
                       "polyline"):
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("acme-html")
    # --example: the bundled demo reads no history, so a backfill into the
    # checkout's examples/acme (docs/history.md's walk-through) changes nothing here
    res = run_cli(["check", "--example", "--now", NOW, "-q",
                   "--format", "html", "--output", str(tmp / "report.html"),
                   "--format", "json", "--output", str(tmp / "report.json")])
    assert res.exit_code == 0, res.output  # the demo exits 0 (a gate would have exited 1)
    data = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
    return (tmp / "report.html").read_text(encoding="utf-8"), data, tmp


def rows(page: Page) -> dict[str, list[Element]]:
    """Rule id -> the elements of its row in the rules table."""
    out: dict[str, list[Element]] = {}
    current = None
    for el in page.elements:
        if el.tag == "tr" and "data-rule" in el.attrs:
            current = out.setdefault(el.attrs["data-rule"], [])
        elif el.tag == "tr":
            current = None
        elif current is not None:
            current.append(el)
    return out


def test_every_rule_is_there_with_the_json_reports_numbers(acme: tuple[str, dict[str, Any],
                                                                       Path]) -> None:
    html, data, _ = acme
    page = parse(html)
    table = rows(page)
    assert list(table) == [r["id"] for r in data["results"]]
    folded = [e.attrs["data-rule"] for e in page.all("details") if "data-rule" in e.attrs]
    assert folded == [r["id"] for r in data["results"]]
    for r in data["results"]:
        shown = [json.loads(e.attrs["value"]) for e in table[r["id"]] if e.tag == "data"]
        expected = [v for v in (r["value"], r["samples"]) if v is not None and v != 0]
        assert shown == expected, r["id"]
        outcome = [e.text for e in table[r["id"]] if "outcome" in e.attrs.get("class", "")]
        assert outcome[0].startswith(r["outcome"])
    counted = {e.attrs["data-count"]: json.loads(e.attrs["value"])
               for e in page.all("data") if "data-count" in e.attrs}
    assert counted == {"total": len(data["results"]), "no_data": data["summary"]["no_data"]}
    exit_code = [json.loads(e.attrs["value"]) for e in page.all("data")][0]
    assert exit_code == data["summary"]["exit_code"]


def test_summary_counts_equal_the_json_summary(acme: tuple[str, dict[str, Any], Path]) -> None:
    html, data, _ = acme
    page = parse(html)
    items = [e for e in page.all("li") if "data-count" in e.attrs]
    # each count item holds one <data> right after it
    shown = {}
    for item in items:
        idx = page.elements.index(item)
        shown[item.attrs["data-count"]] = json.loads(page.elements[idx + 1].attrs["value"])
        assert item.text.strip() == item.attrs["data-count"]  # the outcome's name follows
    assert shown == {k: data["summary"][k] for k in ("failed", "passed", "skipped", "error",
                                                     "waived")}


def test_dora_charts_and_team_sizes_show_the_reports_values(acme: tuple[str, dict[str, Any],
                                                                        Path]) -> None:
    html, data, _ = acme
    page = parse(html)
    by_id = {r["id"]: r for r in data["results"]}
    svgs = page.all("svg")
    titles = [e.text for e in page.all("title") if e.attrs.get("id", "").endswith("-t")]
    for key in ("deployment-frequency", "lead-time", "change-failure-rate", "time-to-restore"):
        assert any(f"stability::{key}" in t for t in titles), key
    assert all(s.attrs.get("role") == "img" for s in svgs)
    descs = [e.text for e in page.all("desc")]
    assert len(svgs) == len(descs) == 5  # four keys and team sizes (no git: no bus factor)
    # the band shading and the threshold line are drawn
    assert len([e for e in page.all("rect") if "band-" in e.attrs.get("class", "")]) >= 8
    assert len(page.all("line", **{"class": "threshold"})) >= 5
    cfr = by_id["stability::change-failure-rate"]
    assert any(d.startswith("2026-11-20: 12.5%; threshold max 10.0%") for d in descs)
    assert cfr["value"] == 0.125
    sizes = {m["subject"].split("/", 1)[1]: m["value"]
             for m in by_id["teams::two-pizza-teams"]["measures"]}
    bars = [e for e in page.all("rect") if e.attrs.get("class") in ("bar", "bar-over")]
    assert len(bars) == len(sizes) == 6
    assert [b.attrs["class"] for b in bars].count("bar-over") == 1  # core-infra, 11
    team_sections = {e.attrs["id"]: e for e in page.all("section")
                     if e.attrs.get("class") == "team"}
    names = [e.text for e in page.all("h3") if e.attrs.get("id", "").startswith("team-")]
    assert sorted(sizes) == sorted(n for n in names if n in sizes)
    assert len(team_sections) == len(names)


def test_nothing_is_loaded_and_links_go_only_to_evidence(acme: tuple[str, dict[str, Any],
                                                                     Path]) -> None:
    html, _, _ = acme
    assert_self_contained(parse(html), set())


def assert_self_contained(page: Page, evidence_urls: set[str]) -> None:
    for el in page.elements:
        for name, value in el.attrs.items():
            if name not in URL_ATTRS:
                continue
            assert name == "href", f"<{el.tag} {name}={value!r}> would load something"
            if value.startswith("#"):
                continue
            assert el.tag == "a" and value in evidence_urls, value
            assert value.startswith(("https://", "http://"))
            assert {"noopener", "noreferrer"} <= set(el.attrs.get("rel", "").split())
    assert [e.tag for e in page.elements if e.tag in ("iframe", "img", "link", "object",
                                                      "embed", "base", "form")] == []
    scripts = page.all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs
    style = page.all("style")
    assert len(style) == 1 and "url(" not in style[0].text and "@import" not in style[0].text
    [csp] = [e.attrs["content"] for e in page.all("meta")
             if e.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    # The browser runs the inline style and script only if their hashes match.
    assert f"style-src {digest(style[0].text)}" in csp
    assert f"script-src {digest(scripts[0].text)}" in csp


def _hostile_report() -> Report:
    evil = "<script>alert(1)</script>"
    evidence = [
        Evidence("team/x", f"detail {evil}", url="javascript:alert(1)", team=evil),
        Evidence("change/1", "ok", url="https://git.example/acme/pull/1", team="web"),
        Evidence("change/2", "quote", url='https://x.example/"><script>alert(2)</script>'),
        Evidence("change/3", "data", url="data:text/html,<script>alert(3)</script>"),
        Evidence("change/4", "relative", url="//evil.example/x"),
        Evidence("change/5", "control\x1b]0;pwned\x07 \ud800", url="https://a.example/\x07"),
    ]
    results = [
        Result(id="teams::two-pizza-teams", pack="teams", title=f"t {evil}",
               outcome=Outcome.FAILED, severity=Severity.ERROR, message=f"m {evil}",
               value=1, unit="count", threshold={"max": 0}, samples=2,
               evidence=[Evidence("team/" + evil, "11 members (max 8)", team=evil)],
               measures=[Measure("team/" + evil, 11, team=evil), Measure("team/web", 4,
                                                                          team="web")]),
        Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
               message="m", details=[f"d {evil}"], evidence=evidence,
               longrepr=f"Traceback {evil}"),
    ]
    return Report(now="2026-11-20T00:00:00Z", focus=evil, results=results, exit_code=1,
                  warnings=[f"w {evil}"])


def test_hostile_text_stays_text_and_only_http_links_are_made() -> None:
    html = render(_hostile_report())
    html.encode("utf-8")  # a lone surrogate was shown, not written
    page = parse(html)
    assert len(page.all("script")) == 1  # only the page's own
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\\x1b]0;pwned" in html
    links = [e.attrs["href"] for e in page.all("a") if not e.attrs["href"].startswith("#")]
    assert set(links) == {"https://git.example/acme/pull/1"}
    assert_self_contained(page, {"https://git.example/acme/pull/1"})
    team_names = [e.text for e in page.all("h3") if e.attrs.get("id", "").startswith("team-")]
    assert "<script>alert(1)</script>" in team_names  # shown as text, as written


@pytest.mark.parametrize(("url", "ok"), [
    ("https://github.com/acme/api/pull/7", True),
    ("http://intranet.example:8080/x?y=1#z", True),
    ("javascript:alert(1)", False), ("JAVASCRIPT:alert(1)", False),
    ("data:text/html,x", False), ("//evil.example/x", False), ("/relative", False),
    ("https://", False), ("https://a.example/ x", False), ("https://a.example/\n", False),
    ("https://a.example/\"", False), ("ftp://a.example/", False), (None, False),
    ("https://a.example/" + "x" * 3000, False), ("HTTPS://A.EXAMPLE/x", True),
    ("https://a.example/\u202ex", False), ("https://user@evil.example/", False),
    ("https://a.example/\\x", False), ("https://a.example/`x", False),
])
def test_safe_url(url: str | None, ok: bool) -> None:
    assert safe_url(url) == (url if ok else None)


def test_the_page_is_the_same_for_the_same_now(acme: tuple[str, dict[str, Any], Path],
                                               tmp_path: Path) -> None:
    html, _, _ = acme
    out = tmp_path / "again.html"
    res = run_cli(["check", "--example", "--now", NOW, "-q", "--format", "html",
                   "--output", str(out)])
    assert res.exit_code == 0
    assert out.read_text(encoding="utf-8") == html  # durations and the clock are not shown


def test_bus_factor_measures_become_a_bar_chart_and_per_team_modules() -> None:
    bf = Result(id="teams::bus-factor", pack="teams", title="Bus factor",
                outcome=Outcome.FAILED, severity=Severity.ERROR, value=1, unit="count",
                threshold={"max": 0}, samples=3,
                evidence=[Evidence("module/api", "bus factor 1 (min 2): a 60%", team="core")],
                measures=[Measure("module/docs", 3), Measure("module/web", 2, team="web"),
                          Measure("module/api", 1, team="core")])
    page = parse(render(Report(now="2026-11-20T00:00:00Z", focus=None, results=[bf],
                               exit_code=1)))
    bars = [e.attrs["class"] for e in page.all("rect") if e.attrs.get("class", "")
            .startswith("bar")]
    assert bars == ["bar-over", "bar", "bar"]
    labels = [e.text for e in page.all("text") if e.attrs.get("class") == "bar-label"]
    assert labels == ["api", "web", "docs"]  # lowest bus factor first
    [limit] = [e.text for e in page.all("text") if e.attrs.get("class") == "threshold-label"]
    assert limit == "min 2"
    heads = [e.text for e in page.all("h3") if e.attrs.get("id", "").startswith("team-")]
    assert heads == ["core", "web"]


def test_a_teams_section_lists_some_evidence_and_links_to_the_rest() -> None:
    from guardrails.reporters.html import TEAM_EVIDENCE_SHOWN

    n = TEAM_EVIDENCE_SHOWN + 10
    r = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
               evidence=[Evidence(f"change/{i}", "d", team="web") for i in range(n)])
    page = parse(render(Report(now="2026-11-20T00:00:00Z", focus=None, results=[r],
                               exit_code=1)))
    more = [e for e in page.all("a") if e.text == "... 10 more"]
    assert [e.attrs["href"] for e in more] == ["#rule-0"]
    assert len([e for e in page.all("li") if e.text.startswith("change/")]) == TEAM_EVIDENCE_SHOWN


def test_an_older_report_renders_without_measures_and_bad_measures_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads((REPO / "tests" / "data" / "acme-report.json").read_text("utf-8"))
    data["version"] = 2
    for r in data["results"]:
        r.pop("measures", None)
    Path("v2.json").write_text(json.dumps(data), encoding="utf-8")
    res = run_cli(["report", "v2.json", "--format", "html", "--output", "v2.html"])
    assert res.exit_code == 0, res.output
    page = parse(Path("v2.html").read_text(encoding="utf-8"))
    assert len(page.all("svg")) == 4  # the DORA keys; no team sizes to chart
    assert [e.attrs["data-rule"] for e in page.all("tr") if "data-rule" in e.attrs] == [
        r["id"] for r in data["results"]]
    data["version"] = 3
    data["results"][0]["measures"] = [{"subject": "team/x", "value": "11"}]
    Path("bad.json").write_text(json.dumps(data), encoding="utf-8")
    res = run_cli(["report", "bad.json", "--format", "html"])
    assert res.exit_code == 4
    assert "bad.json: not a guardrails JSON report" in res.stderr
    # the report schema refuses it before any reporter reads it
    assert "'11' is not of type 'number' at $.results[0].measures[0].value" in res.stderr
    assert "Traceback" not in res.stderr


def test_an_each_rule_with_a_value_gives_every_facts_value_with_its_team(
        tmp_path: Path) -> None:
    import shutil

    from helpers import make_project

    shutil.copytree(REPO / "examples" / "acme" / "org", tmp_path / "org")
    config = make_project(tmp_path, org={}, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: service-size
    check: each
    facts: services
    value: fact.id.size()
    max: 100
"""})
    res = run_cli(["check", "-c", str(config), "--now", NOW, "-q", "--format", "json",
                   "--output", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    [r] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["results"]
    services = yaml_ids(tmp_path / "org")
    assert [m["subject"] for m in r["measures"]] == sorted(f"service/{s}" for s in services)
    assert all(m["value"] == len(m["subject"].split("/", 1)[1]) for m in r["measures"])
    # a service's owning team, as the evidence would name it
    assert all(m.get("team") for m in r["measures"])


def yaml_ids(org: Path) -> list[str]:
    import yaml

    return [s["id"] for s in yaml.safe_load((org / "services.yaml").read_text())["services"]]


def test_recorded_history_is_in_the_report_and_charted(tmp_path: Path) -> None:
    """Runs recorded with --record come back as the report's ``history`` (earlier
    points only, oldest first), the DORA charts draw them, and a saved report
    renders the same page again."""
    import shutil

    project = tmp_path / "acme"
    # not the history a walk-through may have left in the checkout's example
    shutil.copytree(ACME.parent, project, ignore=shutil.ignore_patterns(".guardrails"))
    config = str(project / ACME.name)
    for now in ("2026-10-30", "2026-11-06", "2026-11-13"):
        assert run_cli(["check", "-c", config, "--now", now, "-q", "--record"]).exit_code == 1
    # A run recorded after this one's now is not "earlier": it stays out.
    assert run_cli(["check", "-c", config, "--now", "2026-12-04", "-q",
                    "--record"]).exit_code == 1
    res = run_cli(["check", "-c", config, "--now", NOW, "-q",
                   "--format", "json", "--output", str(tmp_path / "r.json"),
                   "--format", "html", "--output", str(tmp_path / "r.html")])
    assert res.exit_code == 1, res.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    cfr = data["history"]["stability::change-failure-rate"]
    assert [at for at, _ in cfr] == ["2026-10-30T00:00:00Z", "2026-11-06T00:00:00Z",
                                     "2026-11-13T00:00:00Z"]
    assert Report.from_json(data).to_json() == data
    page = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    descs = [e.text for e in page.all("desc") if "change failure rate" in e.text.lower()
             or "2026-10-30" in e.text]
    assert any("2026-10-30" in d and "2026-11-20" in d for d in descs), descs
    assert run_cli(["report", str(tmp_path / "r.json"), "--format", "html",
                    "--output", str(tmp_path / "again.html")]).exit_code == 0
    assert (tmp_path / "again.html").read_bytes() == (tmp_path / "r.html").read_bytes()
    # The same project run as the bundled demo (check --example) reads none of it:
    # the demo's report is the same wherever it runs (docs/history.md).
    from guardrails.config import RunOptions, load_config
    from guardrails.session import Session
    from guardrails.timeutil import parse_timestamp

    now = parse_timestamp(NOW + "T00:00:00Z")
    as_config = Session(load_config(Path(config), RunOptions(now=now))).run()
    as_demo = Session(load_config(Path(config), RunOptions(now=now, example=True))).run()
    assert as_config.history is not None and as_demo.history is None
