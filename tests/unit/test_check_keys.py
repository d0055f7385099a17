"""The checks' fast sort keys and review test answer as their plain forms did."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from guardrails import datakinds
from guardrails.checks import delivery, dora_stability


def _natural(text: object) -> tuple[Any, ...]:
    parts = re.split(r"(\d+)", str(text))
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def test_natural_keys_are_the_plain_split() -> None:
    rnd = random.Random(11)
    texts: list[object] = [None, 5, 12.5, "", "dep-9", "dep-10", "a1b22c333", "007", "x-",
                           "٣-dep"]  # an Arabic-Indic digit is a digit to \d and to int()
    texts += ["".join(rnd.choice("ab-12 9") for _ in range(rnd.randrange(8)))
              for _ in range(500)]
    for text in texts:
        assert datakinds.natural_key(text) == _natural(text)


def test_a_natural_key_of_thousands_of_digits_is_no_crash() -> None:
    # int() refuses over 4,300 digits: a long run is read 1,000 digits at a time
    long = "dep-" + "7" * 5000
    key = datakinds.natural_key(long)
    assert key[0] == "dep-" and key[1] == int("7" * 1000) and len(key) == 11
    ids = [long, "dep-" + "7" * 4999, "dep-8", "dep-10"]
    assert sorted(ids, key=datakinds.natural_key) == ["dep-8", "dep-10", ids[1], long]


def test_severity_rank_is_the_pattern_every_time() -> None:
    for sev in ("SEV1", " sev 2 ", "SEV12", "P1", None, "", 3, "SEV", "SEV1"):
        m = re.fullmatch(r"\s*SEV\s*(\d+)\s*", str(sev or ""), re.I)
        assert dora_stability._severity_rank({"severity": sev}) == (int(m.group(1)) if m else 99)


def _review_gap(change: Mapping[str, Any]) -> str | None:
    """The review test as it was written before its early return."""
    author = delivery._handle(change["author"])
    reviews = [r for r in change.get("reviews") or () if isinstance(r, Mapping)]
    approvers = {delivery._handle(r.get("user")) for r in reviews
                 if r.get("state") == "APPROVED"}
    if approvers - {author}:
        return None
    if approvers:
        return "self-approved"
    if not reviews:
        return "unreviewed"
    states: dict[str, int] = {}
    for r in reviews:
        state = str(r.get("state", "?")).lower().replace("_", " ")
        states[state] = states.get(state, 0) + 1
    return "no approval (" + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) + ")"


def test_review_gap_answers_as_every_review_read() -> None:
    rnd = random.Random(4)
    users = ["ann", "@Ann", " ann ", "bob", None, 7]
    states = ["APPROVED", "COMMENTED", "CHANGES_REQUESTED", None]
    for _ in range(2000):
        reviews: list[Any] = []
        for _ in range(rnd.randrange(4)):
            r = {k: v for k, v in (("user", rnd.choice(users)), ("state", rnd.choice(states)))
                 if v is not None}
            reviews.append(r if rnd.random() < 0.9 else "not a review")
        change = {"author": rnd.choice(["ann", "@ANN", "bob"])}
        if reviews or rnd.random() < 0.5:
            change["reviews"] = reviews
        assert delivery._review_gap(change) == _review_gap(change), change


def test_handles_from_the_table_are_the_plain_definition() -> None:
    """delivery._handle keeps each text's compared form in a bounded table: the same
    answer as the plain definition for texts, repeats, non-texts, and past the bound."""
    rnd = random.Random(28)
    delivery._HANDLES.clear()
    for i in range(10_000):
        raw: object = rnd.choice([f" @User{rnd.randrange(5000)} ", f"@@ALICE{i % 7}", "",
                                  "  ", rnd.randrange(50), None, f"bob{i}"])
        assert delivery._handle(raw) == str(raw).strip().lstrip("@").lower()
        assert len(delivery._HANDLES) <= 4096
    assert delivery._handle("@Al ") == "al" and delivery._HANDLES["@Al "] == "al"
