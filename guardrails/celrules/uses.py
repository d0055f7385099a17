"""What the check of an expression found: what it reads below each of its facts
(:class:`Uses`), the kinds it reaches and the type it gives (:class:`Checked`).

Its own module so that evaluation, and a run whose expressions were checked
by an earlier run (:mod:`guardrails.celrules.typecache`), need neither the
parser nor the type checker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from guardrails.records import record

if TYPE_CHECKING:
    from guardrails.kinds import KindRegistry

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

    def reached(self, kind: str, kinds: KindRegistry, out: set[str], depth: int = 0) -> None:
        """Add to ``out`` the kinds this tree, read below a fact of ``kind``, reaches
        through the registry's links (``incident.deployment.service``)."""
        k = kinds.get(kind)
        if k is None or depth > 20:
            return
        for name, sub in self.items():
            link = k.links.get(name)
            if link is not None:
                out.add(link.kind)
                sub.reached(link.kind, kinds, out, depth + 1)

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


@record(frozen=True)
class Checked:
    """What the check of one expression found: the fields it reads by variable
    (``fact``, a list's name), the kinds it reaches through links, and the type it
    gives (``type_name``, a CEL type name such as ``list``; ``type_text``, its words,
    ``list(string)``). ``fresh``: checked by this process, not an earlier run's
    (or shipped) check that the type cache kept.
    """

    uses: Mapping[str, Uses]
    reaches: frozenset[str]
    type_name: str
    type_text: str
    fresh: bool

    def __init__(self, uses: Mapping[str, Uses], reaches: frozenset[str], type_name: str,
                 type_text: str, fresh: bool) -> None:
        _set = object.__setattr__
        _set(self, "uses", uses)
        _set(self, "reaches", reaches)
        _set(self, "type_name", type_name)
        _set(self, "type_text", type_text)
        _set(self, "fresh", fresh)
