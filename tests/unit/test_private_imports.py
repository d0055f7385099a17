"""No module of guardrails reaches into another module's private names.

A name starting with ``_`` is its module's own business (STYLE.md: private by
name, as pluggy); a module that needs one from another module makes it public
there, under a plain name that says what it is (``cachefiles.code_fingerprint``,
``packcache.MAX_BYTES``, ``facts.kinds_or_builtin``). The code is read with
``ast``, not imported: ``from guardrails.x import _name`` and ``x._name`` (``x`` a
guardrails module imported by name) are both found.

:data:`ALLOWED` lists what remains. It may only shrink: an entry no longer used
fails the test too, so a name made public cannot quietly come back private. Do
not add to it; make the name public instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import guardrails

PACKAGE = Path(guardrails.__file__).resolve().parent

#: (importing module, module imported from, private name): what remains. Only shrinks.
ALLOWED = {
    # backfill replays the delivery check's own review-gap arithmetic
    ("guardrails.backfill", "guardrails.checks.delivery", "_review_gap"),
    # the generator of celrules/shipped.py reads the caches it fills (a build tool)
    ("guardrails.celrules.shipgen", "guardrails.packgen", "_literal"),
    ("guardrails.celrules.shipgen", "guardrails.celrules.typecache", "_state"),
    ("guardrails.celrules.shipgen", "guardrails.celrules.typecache", "_shipped"),
    ("guardrails.celrules.shipgen", "guardrails.celrules.runtime", "_compiled"),
    # the batch validator shares the small one's tables (schema loading: another change)
    ("guardrails.schemabatch", "guardrails.smallschema", "_ANNOTATIONS"),
    ("guardrails.schemabatch", "guardrails.smallschema", "_TYPES"),
    ("guardrails.schemabatch", "guardrails.smallschema", "_is_date"),
    ("guardrails.schemabatch", "guardrails.smallschema", "_search"),
    ("guardrails.yamlparse", "guardrails.yamlbase", "_no_lone_surrogates"),
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("guardrails", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(name: str, path: Path, modules: dict[str, Path]) -> set[tuple[str, str, str]]:
    """(``name``, module, private name) of each other module's private name ``name`` uses."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[tuple[str, str, str]] = set()
    bound: dict[str, str] = {}  # a local name -> the guardrails module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            if not base.startswith("guardrails"):
                continue
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
                elif _private(alias.name) and base != name:
                    found.add((name, base, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("guardrails") and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in bound
                and bound[node.value.id] != name):
            found.add((name, bound[node.value.id], node.attr))
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    modules = _modules()
    used: set[tuple[str, str, str]] = set()
    for name, path in sorted(modules.items()):
        used |= private_uses(name, path, modules)
    assert sorted(used - ALLOWED) == [], (
        "make these names public in their module (a plain name), not imported private")
    assert sorted(ALLOWED - used) == [], (
        "no longer used: remove them from ALLOWED (the list only shrinks)")


def test_the_finder_finds_both_spellings(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("from guardrails.packcache import _secret, MAX_BYTES\n"
                    "from guardrails import facts\n"
                    "from . import fmt\n"
                    "facts._hidden(fmt._own, facts.public)\n", encoding="utf-8")
    modules = {"guardrails.facts": path, "guardrails.fmt": path, "guardrails.packcache": path}
    assert private_uses("guardrails.mod", path, modules) == {
        ("guardrails.mod", "guardrails.packcache", "_secret"),
        ("guardrails.mod", "guardrails.facts", "_hidden"),
        ("guardrails.mod", "guardrails.fmt", "_own"),
    }
