"""Evidence whose detail and team are made when first read (guardrails.evidencelater):
to every reader the same values, compared, copied, pickled and written, as evidence
made with them at once; several groups of fields waiting on one record."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random

import pytest

from guardrails import later
from guardrails.evidencelater import (
    attributed_later,
    described_later,
    made_at_once,
    teams_later,
)
from guardrails.results import Evidence, place_later, place_pending


def _calls() -> tuple[list[str], object]:
    made: list[str] = []

    def make(text: str) -> str:
        made.append(text)
        return text

    return made, make


def test_detail_is_made_on_first_read_once_and_equals_the_eager_evidence() -> None:
    made, make = _calls()
    ev = described_later("change/c-1", lambda: make("12 lines by alice"), url="https://x/1",
                         team="web")
    assert made == []  # nothing made yet
    assert ev.subject == "change/c-1" and ev.url == "https://x/1" and ev.team == "web"
    assert made == []  # other fields read without making the words
    assert ev.detail == "12 lines by alice"
    assert ev.detail == "12 lines by alice"
    assert made == ["12 lines by alice"]  # once
    assert ev == Evidence("change/c-1", "12 lines by alice", url="https://x/1", team="web")
    assert ev.to_json() == Evidence("change/c-1", "12 lines by alice", "https://x/1",
                                    "web").to_json()


def test_detail_and_team_made_together() -> None:
    made, make = _calls()
    ev = attributed_later("change/c-2", lambda: (make("d"), "core"))
    assert made == []
    assert ev.team == "core" and made == ["d"] and ev.detail == "d"
    assert not later.pending(ev)


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle", "replace", "repr", "eq",
                                 "json"])
def test_every_way_of_reading_sees_the_made_fields(how: str) -> None:
    eager = Evidence("deployment/d-1", "caused INC-1", None, "payments")

    def lazy() -> Evidence:
        return attributed_later("deployment/d-1", lambda: ("caused INC-1", "payments"))

    if how == "copy":
        assert copy.copy(lazy()) == eager
    elif how == "deepcopy":
        assert copy.deepcopy(lazy()) == eager
    elif how == "pickle":
        assert pickle.loads(pickle.dumps(lazy())) == eager
    elif how == "replace":
        assert dataclasses.replace(lazy(), subject="x") == dataclasses.replace(eager, subject="x")
    elif how == "repr":
        assert repr(lazy()) == repr(eager)
    elif how == "eq":
        assert lazy() == eager and eager == lazy()
    else:
        assert lazy().to_json() == eager.to_json()
        assert Evidence.from_json(lazy().to_json()) == eager


def test_a_field_set_before_it_is_made_keeps_its_value() -> None:
    ev = attributed_later("change/c-3", lambda: ("words", "web"))
    ev.team = "ops"  # a reader set it (the terminal's copy, a waiver)
    assert ev.detail == "words" and ev.team == "ops"


def test_make_that_raises_leaves_a_detail_saying_so_not_a_crash() -> None:
    def boom() -> str:
        raise KeyError("merged_at")

    ev = described_later("change/c-4", boom)
    assert ev.detail == "(detail not made: KeyError: 'merged_at')"
    ev2 = attributed_later("change/c-5", lambda: {}["x"])  # type: ignore[index]
    assert ev2.detail == "(detail not made: KeyError: 'x')" and ev2.team is None


def test_runner_team_fills_in_only_where_the_check_gave_none() -> None:
    asked: list[str] = []

    def find(e: Evidence) -> str | None:
        asked.append(e.subject)
        return "from-index"

    has = attributed_later("change/a", lambda: ("d", "check-team"))
    none = attributed_later("change/b", lambda: ("d", None))
    plain = Evidence("incident/INC-1", "d")
    given = Evidence("incident/INC-2", "d", team="given")
    teams_later([has, none, plain, given], find)
    assert asked == []  # nothing asked until read
    assert [e.team for e in (has, none, plain, given)] == [
        "check-team", "from-index", "from-index", "given"]
    assert sorted(asked) == ["change/b", "incident/INC-1"]


def test_runner_gives_no_team_where_the_words_were_not_made() -> None:
    """A make (or a guarded fill) that raised leaves its item without a team: the
    runner's attribution would fill one in that a team waiver could match."""
    from functools import partial

    from guardrails.evidencelater import guarded, words_later

    def fill(arg: str, evidence: Evidence) -> tuple[str, str | None]:
        raise ValueError(arg)

    broken = attributed_later("change/a", lambda: {}["x"])  # type: ignore[index]
    filled = words_later(Evidence("change/b", ""), guarded(partial(fill)), "bad")
    fine = attributed_later("change/c", lambda: ("d", None))
    teams_later([broken, filled, fine], lambda e: "from-index")
    assert [e.team for e in (broken, filled, fine)] == [None, None, "from-index"]
    assert filled.detail == "(detail not made: ValueError: bad)"


def test_groups_wait_apart_and_fill_apart() -> None:
    """A detail (the check), a team (the runner) and a place (the source) on one item:
    reading one group's field fills that group only."""
    made: list[str] = []
    ev = described_later("deployment/d-9", lambda: made.append("detail") or "w")  # type: ignore[func-returns-value]
    teams_later([ev], lambda e: made.append("team") or "t")  # type: ignore[func-returns-value]

    def find(e: Evidence) -> tuple[str, int, bool, str]:
        made.append("place")
        return "org/deployments.csv", 7, True, "https://d/9"

    place_later(ev, find)
    assert place_pending(ev) and made == []
    assert ev.line == 7 and made == ["place"] and not place_pending(ev)
    assert ev.team == "t" and made == ["place", "team"]
    assert later.pending(ev) and later.pending(ev, "detail") and not later.pending(ev, "team")
    assert ev.detail == "w" and made == ["place", "team", "detail"]
    assert not later.pending(ev)
    assert ev == Evidence("deployment/d-9", "w", "https://d/9", "t", "org/deployments.csv", 7,
                          True)


def test_a_name_waiting_twice_is_refused() -> None:
    ev = described_later("x/1", lambda: "d")
    with pytest.raises(ValueError, match="detail is already filled later"):
        later.fill_later(ev, ("detail",), lambda e: ("again",))


def test_made_at_once_gives_the_same_evidence() -> None:
    with made_at_once():
        ev = attributed_later("change/c", lambda: ("d", None))
        plain = Evidence("incident/INC-3", "d")
        teams_later([plain], lambda e: "web")
        assert not later.pending(ev) and not later.pending(plain)
    assert ev == Evidence("change/c", "d") and plain.team == "web"
    assert later.pending(described_later("x/1", lambda: "d"))  # lazy again after the block


def test_random_reads_in_any_order_give_the_eager_values() -> None:
    rnd = random.Random(28)
    fields = ("subject", "detail", "url", "team", "file", "line", "record")
    for _ in range(300):
        detail = rnd.choice(["", "a", "b c"])
        check_team = rnd.choice([None, "", "web"])
        url = rnd.choice([None, "https://u"])
        place = (rnd.choice([None, "f.csv"]), rnd.choice([None, 3]), rnd.choice([False, True]),
                 rnd.choice([None, "https://p"]))
        index_team = rnd.choice([None, "ops"])
        # eager: what the runner did before (team from the index where the check gave
        # none, then the place; url kept when the check gave one)
        team = check_team or index_team
        eager = Evidence("s/1", detail, url, team)
        eager.file, eager.line, eager.record = place[0], place[1], place[2]
        if eager.url is None:
            eager.url = place[3]
        lazy = (attributed_later("s/1", lambda d=detail, t=check_team: (d, t), url=url)
                if rnd.random() < 0.5 else described_later("s/1", lambda d=detail: d, url=url,
                                                           team=check_team))
        teams_later([lazy], lambda e, t=index_team: t)
        place_later(lazy, lambda e, p=place: p)
        order = list(fields)
        rnd.shuffle(order)
        for name in order[: rnd.randrange(len(order))]:
            assert getattr(lazy, name) == getattr(eager, name), name
        assert lazy == eager
