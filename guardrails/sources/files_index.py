"""Which row of its table a record object is, for evidence locations.

:meth:`FilesSource.locate` is asked for the file and line of ~25,000
evidence items at 100,000 facts a kind, and it is given the fact itself (a
plain dict, which carries no row number: docs/plugins.md). The answer was a
dict ``id(record) -> row`` per kind, kept for the rest of the run: a hash
table and two int objects an entry, ~10 MiB a 100,000-row kind and ~23 MiB
of the scale benchmark's peak. Two sorted arrays of machine words hold the
same answer in 16 bytes a record and find it by bisection.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence


class RecordRows:
    """``id(record) -> its index`` in a list of records, as two sorted arrays."""

    __slots__ = ("_ids", "_rows")

    def __init__(self, records: Sequence[object]) -> None:
        # The ids as a list (an array built from an iterator appends item by item),
        # the rows sorted by them, then the list sorted itself: equal ids (an object
        # listed twice) are equal, so the two orders agree. ~33 -> ~21 ms a
        # 100,000-record kind (best of 7, in process).
        ids = list(map(id, records))
        order = sorted(range(len(ids)), key=ids.__getitem__)
        ids.sort()
        self._ids = array("Q", ids)
        self._rows = array("q", order)

    def row(self, record: object) -> int | None:
        """The index of ``record`` (the very object) in the list; None if it is not there.

        An object listed twice (a YAML alias) answers its last index, as the
        dict it replaces did: the sort is stable, so equal ids keep row order.
        """
        key = id(record)
        j = bisect_right(self._ids, key) - 1
        if j >= 0 and self._ids[j] == key:
            return self._rows[j]
        return None
