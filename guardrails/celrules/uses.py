"""What an expression reads below each of its facts (the checker's output).

Its own module so that evaluation, and a run whose expressions were checked
by an earlier run (:mod:`guardrails.celrules.typecache`), need neither the
parser nor the type checker.
"""

from __future__ import annotations

from typing import Any

#: deepest tree read back from the type cache (the parser bounds its own trees)
MAX_DEPTH = 24


class Uses(dict[str, "Uses"]):
    """The fields an expression reads below a fact: name -> what it reads of that.

    ``whole`` marks a fact used as a value (compared, returned): all its
    plain fields are then converted.
    """

    whole: bool = False

    def child(self, name: str) -> Uses:
        got = self.get(name)
        if got is None:
            got = self[name] = Uses()
        return got

    def to_plain(self) -> list[Any]:
        """``[whole, {name: subtree}]``: JSON for the type cache."""
        return [self.whole, {name: sub.to_plain() for name, sub in sorted(self.items())}]

    @classmethod
    def from_plain(cls, data: Any, depth: int = 0) -> Uses:
        """The tree :meth:`to_plain` wrote; ``ValueError`` for anything else."""
        if (depth > MAX_DEPTH or not isinstance(data, list) or len(data) != 2
                or not isinstance(data[0], bool) or not isinstance(data[1], dict)):
            raise ValueError("not a Uses tree")
        out = cls()
        if data[0]:
            out.whole = True
        for name, sub in data[1].items():
            if not isinstance(name, str):
                raise ValueError("not a Uses tree")
            out[name] = cls.from_plain(sub, depth + 1)
        return out
