"""A backtracking regex matcher that counts its steps, for tests that hold a regex
to a work bound without a clock.

``re`` is a backtracking engine too, and this one tries the same things in the
same order (greedy repeats longest first, lazy ones shortest first, branches
left to right, an atomic group's first way only), so a regex that makes ``re``
backtrack for long makes this one count many steps. It reads the tree
``re``'s own parser makes, and knows the part of the syntax the CODEOWNERS
pattern compiler and pathspec write: literals, ``.``, character sets, ``^``,
``$``, ``\\Z``, groups, alternation, repeats, atomic groups and lookaheads.
Anything else raises, so a test never passes on a regex it did not read.

``run(regex, text, budget)`` is ``re.match``'s end position (or None) and the
steps taken, or
:class:`OverBudget` once more than ``budget`` steps were taken: a regex that
would take ``re`` seconds costs the test a bounded, machine-independent amount
of work and fails it the same way on every machine.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from re import _constants as C  # noqa: N812 - re's own names for its parse tree
from re import _parser
from typing import Any

_Cont = Callable[[int], bool]


class OverBudget(Exception):
    """More steps than the budget allowed."""


class _Steps:
    def __init__(self, text: str, budget: int, dotall: bool) -> None:
        self.text = text
        self.budget = budget
        self.dotall = dotall
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.budget:
            raise OverBudget(f"more than {self.budget} steps")

    # -- one character -------------------------------------------------------

    def one(self, op: Any, av: Any, ch: str) -> bool:
        """Whether a single-character node matches ``ch``."""
        if op is C.LITERAL:
            return ord(ch) == av
        if op is C.NOT_LITERAL:
            return ord(ch) != av
        if op is C.ANY:
            return self.dotall or ch != "\n"
        if op is C.IN:
            negate, hit = False, False
            for kind, val in av:
                if kind is C.NEGATE:
                    negate = True
                elif kind is C.LITERAL:
                    hit = hit or ord(ch) == val
                elif kind is C.RANGE:
                    hit = hit or val[0] <= ord(ch) <= val[1]
                else:
                    raise NotImplementedError(f"character set item {kind}")
            return hit != negate
        raise NotImplementedError(f"regex node {op}")

    # -- sequences and nodes -------------------------------------------------

    def seq(self, items: Any, n: int, i: int, k: _Cont) -> bool:
        if n == len(items):
            return k(i)
        op, av = items[n]
        return self.node(op, av, i, lambda j: self.seq(items, n + 1, j, k))

    def node(self, op: Any, av: Any, i: int, k: _Cont) -> bool:
        self.tick()
        text = self.text
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return i < len(text) and self.one(op, av, text[i]) and k(i + 1)
        if op is C.AT:
            if av is C.AT_BEGINNING or av is C.AT_BEGINNING_STRING:
                ok = i == 0
            elif av is C.AT_END_STRING:
                ok = i == len(text)
            elif av is C.AT_END:
                ok = i == len(text) or (i == len(text) - 1 and text[i] == "\n")
            else:
                raise NotImplementedError(f"anchor {av}")
            return ok and k(i)
        if op is C.SUBPATTERN:
            _group, add, remove, items = av
            if add or remove:
                raise NotImplementedError("inline flags in a group")
            return self.seq(items, 0, i, k)
        if op is C.BRANCH:
            return any(self.seq(alt, 0, i, k) for alt in av[1])
        if op is C.ATOMIC_GROUP:
            ends: list[int] = []
            if self.seq(av, 0, i, lambda j: ends.append(j) is None):
                return k(ends[0])
            return False
        if op in (C.ASSERT, C.ASSERT_NOT):
            direction, items = av
            if direction != 1:
                raise NotImplementedError("lookbehind")
            found = self.seq(items, 0, i, lambda _j: True)
            return k(i) if found == (op is C.ASSERT) else False
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            return self.repeat(op, av, i, k)
        raise NotImplementedError(f"regex node {op}")

    def repeat(self, op: Any, av: Any, i: int, k: _Cont) -> bool:
        low, high, items = av
        if len(items) == 1 and items[0][0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            # one character repeated, as re's REPEAT_ONE: the longest run, then the
            # continuation tried at each length
            sub_op, sub_av = items[0]
            run = 0
            while run < high and i + run < len(self.text):
                self.tick()
                if not self.one(sub_op, sub_av, self.text[i + run]):
                    break
                run += 1
            if run < low:
                return False
            if op is C.POSSESSIVE_REPEAT:
                return k(i + run)
            counts = range(run, low - 1, -1) if op is C.MAX_REPEAT else range(low, run + 1)
            for count in counts:
                self.tick()
                if k(i + count):
                    return True
            return False
        if op is C.POSSESSIVE_REPEAT:
            raise NotImplementedError("possessive repeat of a group")
        greedy = op is C.MAX_REPEAT

        def more(count: int, at: int) -> bool:
            self.tick()

            def again() -> bool:
                # an empty iteration past the minimum ends the repeat, as in re
                return count < high and self.seq(
                    items, 0, at, lambda j: (j != at or count < low) and more(count + 1, j))

            def stop() -> bool:
                return count >= low and k(at)

            return (again() or stop()) if greedy else (stop() or again())

        return more(0, i)


def run(regex: str, text: str, budget: int) -> tuple[int | None, int]:
    """``re.match(regex, text)``'s end (or None) and the steps it took;
    :class:`OverBudget` after ``budget`` steps."""
    tree = _parser.parse(regex)
    steps = _Steps(text, budget, bool(tree.state.flags & re.DOTALL))
    ends: list[int] = []
    # one frame a node and a repeat's iteration: paths of a few hundred segments
    # go deeper than Python's default limit
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))
    try:
        steps.seq(list(tree), 0, 0, lambda j: ends.append(j) is None)
    finally:
        sys.setrecursionlimit(limit)
    return (ends[0] if ends else None), steps.steps
