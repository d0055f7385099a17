"""The builtin packs' CEL checks done ahead: ``python -m guardrails.celrules.shipgen``.

Do not edit: regenerate (tests/unit/test_cel_shipped.py fails until this file is
what the generator writes). Keys and entries are the type cache's
(guardrails/celrules/typecache.py): a key holds the expression, its kind, lists,
wanted type and the whole kind registry; an entry is (fields read, kinds reached,
type name, type text).
"""

# fmt: off
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

ENTRIES: dict[str, Any] = {
    '19d5c3f1b8d9510cc8b2b65e7cd1d64fe561a21cc18f1dbbb00ebc0e70732b26': [{'fact': [False, {'severity': [False, {}]}]}, [], 'bool', 'bool'],
    '1faab313f61f9b73412f658da334085d33af1ccfa0c89ea61c90d41b37ebfcb3': [{'fact': [False, {'members': [False, {}]}]}, [], 'int', 'int'],
    '90ac10368c2b35327e45e459bf025d326799131247ec380dff4a6c507e366083': [{'fact': [False, {'postmortem': [False, {}]}]}, ['postmortems'], 'bool', 'bool'],
}
