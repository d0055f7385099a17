"""The git cache's bounds check of packed columns (:func:`gitcachecheck.below`): the
same answer as ``max`` over the numbers, on every shape a forged file can take."""

from __future__ import annotations

import random
from array import array

import pytest

from guardrails.sources.gitcachecheck import below


def _packed(values: list[int]) -> bytes:
    col = array("I", values)
    if col.itemsize != 4:
        col = array("L", values)
    if array("H", [1]).tobytes() != b"\x01\x00":  # stored little-endian
        col.byteswap()
    return col.tobytes()


def _expected(values: list[int], n: int, step: int) -> bool:
    return max(values[::step], default=-1) < n


EDGES = [0, 1, 255, 256, 257, 0xFF00, 0xFFFF, 0x10000, 0x10001, 2**24, 2**32 - 1]


@pytest.mark.parametrize("n", [0, 1, 2, 255, 256, 257, 300, 511, 512, 7327, 65535, 65536,
                               65537, 70000])
def test_below_agrees_with_max_at_the_edges(n: int) -> None:
    near = [v for v in {n - 2, n - 1, n, n + 1, (n - 1) & ~0xFF, ((n - 1) | 0xFF) + 1, *EDGES}
            if 0 <= v < 2**32]
    for v in near:
        for values in ([v], [0, v], [v, 0], sorted({0, v, max(n - 1, 0)}), [v] * 3):
            for step in (1, 2):
                if len(values) % step:
                    continue
                raw = _packed(values)
                assert below(raw, n, step) == _expected(values, n, step), (values, n, step)


def test_below_agrees_with_max_on_random_columns() -> None:
    rng = random.Random(15)
    for _ in range(3000):
        n = rng.choice([rng.randrange(1, 600), rng.randrange(1, 0x10001), rng.randrange(2**20)])
        size = 2 * rng.randrange(1, 40)
        values = [rng.choice([rng.randrange(n + 300), rng.randrange(max(n - 300, 0), n + 2),
                              rng.randrange(2**32)]) for _ in range(size)]
        if rng.random() < 0.5:
            values.sort()  # as module positions are written
        for step in (1, 2):
            assert below(_packed(values), n, step) == _expected(values, n, step), (values, n)


def test_below_refuses_a_column_cut_mid_number() -> None:
    assert not below(b"\0\0\0", 5)
    assert not below(_packed([1, 1, 1]), 5, 2)  # pairs: an odd count is cut short
