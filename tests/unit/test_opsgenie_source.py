"""The opsgenie source against a fake Opsgenie Incident API on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from httpfakes import FakeOpsgenie, json_response
from werkzeug.wrappers import Response

from guardrails.errors import SourceError, UsageError
from guardrails.plugin import SourceEnv
from guardrails.sources.opsgenie import OpsgenieSource, guardrails_gather_sources, resolution

TOKEN = "0b6c1f2e-OGtestSECRETkey-5a9a7b7f"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHECKOUT, SEARCH, OTHER = "svc-checkout-0001", "svc-search-0002", "svc-other-0003"
LIST = "/v1/incidents"


def timeline_path(tiny: int) -> str:
    return f"/v2/incident-timelines/{tiny:08x}-38d6-4c85-92b8-5ebc900d42e2/entries"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGENIE_API_KEY", TOKEN)


def populate(app: FakeOpsgenie) -> None:
    # resolved, then closed: the resolve counts; a postmortem link
    app.add_incident(11, created_at="2026-11-05T03:00:00Z", status="closed", priority="P1",
                     services=[CHECKOUT], teams=[("t-pay", "Payments")],
                     timeline=[("IncidentResolved", "2026-11-05T04:30:00Z"),
                               ("IncidentClosed", "2026-11-06T09:00:00Z")],
                     updated_at="2026-11-06T09:00:00Z",
                     postmortem="https://wiki.acme.example/pm/11")
    # resolved, reopened, resolved again: the last resolve counts
    app.add_incident(12, created_at="2026-11-10T10:00:00Z", status="resolved", priority="P2",
                     services=[CHECKOUT, SEARCH],
                     timeline=[("IncidentResolved", "2026-11-10T10:20:00Z"),
                               ("IncidentReopened", "2026-11-10T11:00:00Z"),
                               ("IncidentResolved", "2026-11-10T13:00:00Z")])
    # closed without a resolve: the close counts
    app.add_incident(13, created_at="2026-11-12T00:00:00Z", status="closed", priority="P4",
                     services=[SEARCH], timeline=[("IncidentClosed", "2026-11-12T02:00:00Z")])
    # still open
    app.add_incident(14, created_at="2026-11-28T08:00:00Z", services=[CHECKOUT],
                     priority="P5")
    # another service only: not read
    app.add_incident(15, created_at="2026-11-20T08:00:00Z", services=[OTHER])
    # created before the window, and after now
    app.add_incident(9, created_at="2026-10-01T08:00:00Z", services=[CHECKOUT])
    app.add_incident(16, created_at="2026-11-30T13:00:00Z", services=[CHECKOUT])
    # a team's incident with no impacted service
    app.add_incident(17, created_at="2026-11-15T08:00:00Z", status="resolved",
                     teams=[("t-web", "Web")],
                     timeline=[("IncidentResolved", "2026-11-15T08:45:00Z")])


@pytest.fixture
def fake(httpserver: Any) -> FakeOpsgenie:
    app = FakeOpsgenie(token=TOKEN)
    populate(app)
    app.install(httpserver)
    return app


def make(httpserver: Any, tmp_path: Path, *, offline: bool = False, cache: bool = True,
         window_days: int = 30, **options: Any) -> OpsgenieSource:
    opts = {"url": httpserver.url_for("").rstrip("/"),
            "services": {CHECKOUT: "checkout", SEARCH: "search"},
            "timeout": 2, "retries": 1, "backoff_factor": 0.01, "rate_limit_max_wait": 3,
            "workers": 4, **options}
    env = SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=window_days),
                    offline=offline, cache_dir=tmp_path / "cache" if cache else None)
    return OpsgenieSource(opts, env)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_hook_returns_the_source() -> None:
    assert guardrails_gather_sources() == [OpsgenieSource]


def test_incidents_are_mapped(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path) -> None:
    src = make(httpserver, tmp_path)
    incidents = {i["id"]: i for i in src.gather({"incidents"})["incidents"]}
    assert sorted(incidents) == ["11", "12", "13", "14"]
    assert incidents["11"] == {
        "id": "11", "opsgenie_id": "0000000b-38d6-4c85-92b8-5ebc900d42e2",
        "title": "Checkout errors 11", "created_at": ts("2026-11-05T03:00:00Z"),
        "resolved_at": ts("2026-11-05T04:30:00Z"), "status": "resolved",
        "severity": "SEV1", "priority": "P1", "service": "checkout", "services": ["checkout"],
        "team": "Payments", "teams": ["Payments"],
        "postmortem_url": "https://wiki.acme.example/pm/11",
        "url": "https://acme.app.opsgenie.com/incident/detail/"
               "0000000b-38d6-4c85-92b8-5ebc900d42e2/details",
    }
    assert incidents["12"]["resolved_at"] == ts("2026-11-10T13:00:00Z")
    assert incidents["12"]["services"] == ["checkout", "search"]
    assert incidents["13"]["resolved_at"] == ts("2026-11-12T02:00:00Z")
    assert incidents["13"]["severity"] == "SEV4"
    assert "resolved_at" not in incidents["14"] and incidents["14"]["status"] == "open"
    assert src.warnings == []

    listing = [h for h in fake.hits if h.path == LIST]
    q = parse_qs(listing[0].query)
    # the window in whole UTC days, as epoch milliseconds
    start, stop = datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    assert q["query"] == [f"createdAt>={int(start.timestamp() * 1000)} AND "
                          f"createdAt<{int(stop.timestamp() * 1000)}"]
    assert (q["sort"], q["order"], q["limit"], q["offset"]) == (
        ["createdAt"], ["asc"], ["100"], ["0"])
    assert listing[0].headers["Authorization"] == f"GenieKey {TOKEN}"
    # timelines only for resolved or closed incidents
    assert sorted(h.path for h in fake.hits if h.path != LIST) == sorted(
        timeline_path(n) for n in (11, 12, 13))


def test_teams_select_and_map(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path) -> None:
    src = make(httpserver, tmp_path, services=None, teams={"Web": "web", "t-pay": "payments"})
    incidents = {i["id"]: i for i in src.gather({"incidents"})["incidents"]}
    assert sorted(incidents) == ["11", "17"]
    assert incidents["17"]["team"] == "web" and "service" not in incidents["17"]
    assert incidents["11"]["teams"] == ["payments"]
    # the checkout service of incident 11 is not mapped here: named by its id, with a warning
    assert incidents["11"]["service"] == CHECKOUT
    assert any(CHECKOUT in w and "not mapped" in w for w in src.warnings)


def test_priority_map_and_service_list(fake: FakeOpsgenie, httpserver: Any,
                                       tmp_path: Path) -> None:
    src = make(httpserver, tmp_path, services=[SEARCH], priority_map={"P2": "SEV1"})
    incidents = {i["id"]: i for i in src.gather({"incidents"})["incidents"]}
    assert sorted(incidents) == ["12", "13"]
    assert incidents["12"]["severity"] == "SEV1"
    assert "severity" not in incidents["13"]  # P4 is not in the map
    assert incidents["13"]["service"] == SEARCH


def test_many_pages_of_incidents_and_timeline(httpserver: Any, tmp_path: Path) -> None:
    app = FakeOpsgenie(token=TOKEN, timeline_page=2)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(230):
        at = base + timedelta(hours=i)
        app.add_incident(100 + i, created_at=at.isoformat().replace("+00:00", "Z"),
                         services=[CHECKOUT])
    app.add_incident(999, created_at="2026-11-20T00:00:00Z", status="resolved",
                     services=[CHECKOUT],
                     timeline=[("IncidentAcknowledged", "2026-11-20T00:05:00Z"),
                               ("IncidentResolved", "2026-11-20T01:00:00Z")])
    app.install(httpserver)
    facts = make(httpserver, tmp_path).gather({"incidents"})["incidents"]
    assert len(facts) == 231
    assert [parse_qs(h.query)["offset"] for h in app.hits if h.path == LIST] == [
        ["0"], ["100"], ["200"]]
    # four entries (created, note, acknowledged, resolved) in pages of two
    assert len([h for h in app.hits if h.path == timeline_path(999)]) == 2
    assert next(f for f in facts if f["id"] == "999")["resolved_at"] == ts(
        "2026-11-20T01:00:00Z")


def test_resolution_from_the_timeline() -> None:
    def e(kind: str, at: str, group: str = "incident") -> dict[str, Any]:
        return {"type": kind, "eventTime": at, "group": group}

    assert resolution([]) is None
    assert resolution([e("IncidentClosed", "2026-01-02T00:00:00Z"),
                       e("IncidentResolved", "2026-01-01T00:00:00Z")]) == ts(
        "2026-01-01T00:00:00Z")
    assert resolution([e("IncidentResolved", "2026-01-01T00:00:00Z"),
                       e("IncidentReopened", "2026-01-01T01:00:00Z")]) is None
    assert resolution([e("IncidentResolved", "2026-01-01T00:00:00Z", group="custom")]) is None


def test_no_resolve_entry_falls_back_with_a_warning(httpserver: Any, tmp_path: Path) -> None:
    app = FakeOpsgenie(token=TOKEN)
    app.add_incident(21, created_at="2026-11-01T00:00:00Z", status="resolved",
                     services=[CHECKOUT], impact_end="2026-11-01T02:00:00Z",
                     updated_at="2026-11-03T00:00:00Z")
    app.add_incident(22, created_at="2026-11-01T00:00:00Z", status="closed",
                     services=[CHECKOUT], updated_at="2026-11-01T05:00:00Z")
    app.install(httpserver)
    src = make(httpserver, tmp_path)
    got = {i["id"]: i["resolved_at"] for i in src.gather({"incidents"})["incidents"]}
    assert got == {"21": ts("2026-11-01T02:00:00Z"), "22": ts("2026-11-01T05:00:00Z")}
    assert any("2 resolved incident(s) have no resolve or close entry" in w
               for w in src.warnings)


def test_resolved_before_created_is_excluded(httpserver: Any, tmp_path: Path) -> None:
    app = FakeOpsgenie(token=TOKEN)
    app.add_incident(31, created_at="2026-11-10T00:00:00Z", status="resolved",
                     services=[CHECKOUT], timeline=[("IncidentResolved", "2026-11-09T00:00:00Z")])
    app.install(httpserver)
    src = make(httpserver, tmp_path)
    assert src.gather({"incidents"}) == {"incidents": []}
    assert any("#31" in w and "before it was created" in w for w in src.warnings)


def test_config_mistakes_are_usage_errors(httpserver: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="neither services nor teams"):
        make(httpserver, tmp_path, services=None).validate()
    with pytest.raises(UsageError, match="both url and api_url"):
        make(httpserver, tmp_path, api_url="https://api.eu.opsgenie.com").validate()


def test_eu_host_is_the_configured_url(httpserver: Any, tmp_path: Path) -> None:
    env = SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=30))
    src = OpsgenieSource({"url": "https://api.eu.opsgenie.com/", "services": ["x"]}, env)
    assert src.settings.api_url == "https://api.eu.opsgenie.com"
    assert OpsgenieSource({"services": ["x"]}, env).settings.api_url == (
        "https://api.opsgenie.com")


# ---------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------


def test_5xx_then_success_is_retried(fake: FakeOpsgenie, httpserver: Any,
                                     tmp_path: Path) -> None:
    fake.fault(timeline_path(12), json_response({"message": "Internal error"}, 503))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert len(facts["incidents"]) == 4
    assert [h.status for h in fake.hits if h.path == timeline_path(12)] == [503, 200]


def test_5xx_forever_fails_after_retries(fake: FakeOpsgenie, httpserver: Any,
                                         tmp_path: Path) -> None:
    fake.fault_forever(LIST, Response("<html>502 Bad Gateway</html>", status=502,
                                      content_type="text/html"))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    assert "502" in str(err.value) and "after 1 retry" in str(err.value)
    assert len([h for h in fake.hits if h.path == LIST]) == 2


def test_429_with_retry_after_waits_then_succeeds(fake: FakeOpsgenie, httpserver: Any,
                                                  tmp_path: Path) -> None:
    fake.fault(LIST, json_response({"message": "Rate limit exceeded", "took": 0.0},
                                   429, {"Retry-After": "1"}))
    started = time.monotonic()
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert time.monotonic() - started >= 1.0
    assert len(facts["incidents"]) == 4


def test_429_longer_than_allowed_fails_with_reset(fake: FakeOpsgenie, httpserver: Any,
                                                  tmp_path: Path) -> None:
    fake.fault(LIST, json_response({"message": "Rate limit exceeded"}, 429,
                                   {"Retry-After": "120"}))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"Opsgenie API rate limit for \$OPSGENIE_API_KEY "
                                          r"is exhausted.*in 120s"):
        make(httpserver, tmp_path).gather({"incidents"})
    assert time.monotonic() - started < 2


def test_401_names_the_variable_never_the_key(fake: FakeOpsgenie, httpserver: Any,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGENIE_API_KEY", "wrong-key-value-0000")
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "401" in text and "Could not authenticate" in text and "$OPSGENIE_API_KEY" in text
    assert "wrong-key-value-0000" not in text


def test_403_says_the_key_may_not_read(fake: FakeOpsgenie, httpserver: Any,
                                       tmp_path: Path) -> None:
    fake.fault(LIST, json_response({"message": "You are not authorized for this action",
                                    "took": 0.0}, 403))
    with pytest.raises(SourceError, match=r"403.*not authorized.*\$OPSGENIE_API_KEY is not "
                                          "allowed to read this"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_missing_key_is_a_source_error(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSGENIE_API_KEY")
    with pytest.raises(SourceError, match=r"\$OPSGENIE_API_KEY is not set"):
        make(httpserver, tmp_path).gather({"incidents"})
    assert fake.hits == []


def test_truncated_json(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path) -> None:
    fake.fault(timeline_path(11), Response('{"data": {"entries": [{"type": "Inc',
                                           content_type="application/json"))
    with pytest.raises(SourceError, match=r"incident-timelines/.*invalid or truncated JSON"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_html_instead_of_json(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path) -> None:
    fake.fault(LIST, Response("<!DOCTYPE html><html>Atlassian login</html>",
                              content_type="text/html"))
    with pytest.raises(SourceError, match=r"/v1/incidents.*an HTML page instead of JSON"):
        make(httpserver, tmp_path).gather({"incidents"})


@pytest.mark.parametrize(("answer", "words"), [
    ({"data": {"id": "x"}}, "incidents page field 'data'"),
    ({"data": [{"id": "a/../b", "createdAt": "2026-11-01T00:00:00Z"}]}, "field 'id'"),
    ({"data": [{"id": "abc", "createdAt": 1767225600}]}, "field 'createdAt'"),
    ({"data": [{"id": "abc", "createdAt": "2026-11-01T00:00:00Z",
                "impactedServices": "svc"}]}, "field 'impactedServices'"),
])
def test_wrong_shapes_are_named(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path,
                                answer: Any, words: str) -> None:
    fake.fault(LIST, json_response(answer))
    with pytest.raises(SourceError, match="unexpected shape") as err:
        make(httpserver, tmp_path).gather({"incidents"})
    assert words in str(err.value)


def test_timeline_of_the_wrong_shape(fake: FakeOpsgenie, httpserver: Any,
                                     tmp_path: Path) -> None:
    fake.fault(timeline_path(11), json_response({"data": {"entries": [{"type": "X"}]}}))
    with pytest.raises(SourceError, match="timeline entry item 1 .*eventTime"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_listing_that_pages_forever_stops_at_the_cap(fake: FakeOpsgenie, httpserver: Any,
                                                     tmp_path: Path) -> None:
    # a server whose paging.next never ends (the same page again and again)
    page = {"data": [fake.incidents[0]], "paging": {"next": "more"}}
    fake.fault_forever(LIST, json_response(page))
    with pytest.raises(SourceError, match="more than max_pages=3 pages"):
        make(httpserver, tmp_path, max_pages=3).gather({"incidents"})


def test_timeline_cursor_loop_stops(fake: FakeOpsgenie, httpserver: Any,
                                    tmp_path: Path) -> None:
    loop = {"data": {"entries": [{"type": "IncidentCreated", "group": "incident",
                                  "eventTime": "2026-11-05T03:00:00Z"}], "nextOffset": "7"}}
    fake.fault_forever(timeline_path(11), json_response(loop))
    with pytest.raises(SourceError, match="cursor of page 2 repeats one already sent"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_the_api_result_cap_fails_rather_than_truncates(fake: FakeOpsgenie, httpserver: Any,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import guardrails.sources.opsgenie as og

    monkeypatch.setattr(og, "MAX_RESULTS", 200)
    page = {"data": [fake.incidents[0]] * 100, "paging": {"next": "more"}}
    fake.fault_forever(LIST, json_response(page))
    with pytest.raises(SourceError, match="serves no more than 200 of one listing"):
        make(httpserver, tmp_path).gather({"incidents"})
    assert len([h for h in fake.hits if h.path == LIST]) == 2


def test_a_slow_drip_stops_at_the_deadline(fake: FakeOpsgenie, httpserver: Any,
                                           tmp_path: Path) -> None:
    def drip(request: Any) -> Response:
        def chunks() -> Iterator[bytes]:
            for byte in b'{"data": [' + b" " * 100 + b"]}":
                yield bytes([byte])
                time.sleep(0.05)

        return Response(chunks(), content_type="application/json", direct_passthrough=True)

    fake.fault_forever(LIST, drip)
    started = time.monotonic()
    with pytest.raises(SourceError, match="no complete answer within"):
        make(httpserver, tmp_path, timeout=0.3, retries=0).gather({"incidents"})
    assert time.monotonic() - started < 3  # the whole answer would take 6 s


# ---------------------------------------------------------------------------
# cache, offline, secrets
# ---------------------------------------------------------------------------


def test_rerun_is_answered_by_304s_and_offline_by_the_cache(
        fake: FakeOpsgenie, httpserver: Any, tmp_path: Path) -> None:
    online = make(httpserver, tmp_path).gather({"incidents"})
    fake.hits.clear()
    assert make(httpserver, tmp_path).gather({"incidents"}) == online
    assert fake.hits and {h.status for h in fake.hits} == {304}
    fake.hits.clear()
    assert make(httpserver, tmp_path, offline=True).gather({"incidents"}) == online
    assert fake.hits == []
    with pytest.raises(SourceError, match=r"lacks answers for: incidents \(GET /v1/incidents"):
        make(httpserver, tmp_path / "other", offline=True).gather({"incidents"})


def test_key_never_leaks(fake: FakeOpsgenie, httpserver: Any, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    texts = [repr(make(httpserver, tmp_path).gather({"incidents"}))]
    fake.fault(LIST, json_response({"message": f"bad key {TOKEN}"}, 403))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path, cache=False).gather({"incidents"})
    texts.append(str(err.value))
    out = capsys.readouterr()
    texts += [out.out, out.err]
    texts += [p.read_text("utf-8") for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(texts) > 5
    assert all(TOKEN not in t for t in texts)
