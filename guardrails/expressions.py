"""``-k`` and ``-m`` expressions, pytest-style: select rules by id, tag or pack.

``-k`` matches substrings of a rule's id (and its tags and pack), ``-m``
whole tags; both take ``and``, ``or``, ``not`` and parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from guardrails.errors import UsageError
from guardrails.model import Rule

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
#: Longest -k/-m expression, and deepest nesting of parentheses and 'not'.
MAX_EXPRESSION_LENGTH = 4000
MAX_EXPRESSION_DEPTH = 50


def compile_expression(expr: str, option: str) -> Callable[[Callable[[str], bool]], bool]:
    """Parse ``a and not (b or c)``; returns a function of a name matcher.

    Bounded: at most MAX_EXPRESSION_LENGTH characters and MAX_EXPRESSION_DEPTH
    levels of parentheses and ``not``, so no expression reaches Python's
    recursion limit (here or when the result is called).
    """
    shown = expr if len(expr) <= 60 else expr[:57] + "..."
    shown = shown.encode("unicode_escape").decode("ascii")

    def err(msg: str) -> UsageError:
        return UsageError(f"invalid {option} expression {shown!r}: {msg}",
                          fix="use names with 'and', 'or', 'not' and parentheses")

    if len(expr) > MAX_EXPRESSION_LENGTH:
        raise err(f"longer than {MAX_EXPRESSION_LENGTH} characters")
    tokens = _TOKEN.findall(expr)
    pos = 0
    depth = 0

    def deeper() -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_EXPRESSION_DEPTH:
            raise err(f"nested deeper than {MAX_EXPRESSION_DEPTH} levels")

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        return tok

    # 'a or b or c' is one flat any() (not nested lambdas), so a long chain
    # costs no stack depth when it is evaluated.
    def parse_or():  # type: ignore[no-untyped-def]
        terms = [parse_and()]
        while peek() == "or":
            take()
            terms.append(parse_and())
        if len(terms) == 1:
            return terms[0]
        return lambda m: any(t(m) for t in terms)

    def parse_and():  # type: ignore[no-untyped-def]
        terms = [parse_not()]
        while peek() == "and":
            take()
            terms.append(parse_not())
        if len(terms) == 1:
            return terms[0]
        return lambda m: all(t(m) for t in terms)

    def parse_not():  # type: ignore[no-untyped-def]
        nonlocal depth
        if peek() == "not":
            take()
            deeper()
            inner = parse_not()
            depth -= 1
            return lambda m: not inner(m)
        return parse_atom()

    def parse_atom():  # type: ignore[no-untyped-def]
        tok = peek()
        if tok is None:
            raise err("unexpected end")
        if tok == "(":
            nonlocal depth
            take()
            deeper()
            inner = parse_or()
            if peek() != ")":
                raise err("missing ')'")
            take()
            depth -= 1
            return inner
        if tok in (")", "and", "or"):
            raise err(f"unexpected {tok!r}")
        name = take()
        return lambda m: m(name)

    if not tokens:
        raise err("empty expression")
    result = parse_or()
    if pos != len(tokens):
        raise err(f"unexpected {tokens[pos]!r}")
    return result


def select(rules: list[Rule], keyword: str | None, markexpr: str | None) -> tuple[list[Rule], int]:
    """Apply -k (substring of id or tag, case-insensitive) and -m (exact tag)."""
    selected = rules
    if keyword:
        match_k = compile_expression(keyword, "-k")

        def k_ok(r: Rule) -> bool:
            hay = [r.nodeid.lower(), *(t.lower() for t in r.tags)]
            return match_k(lambda name: any(name.lower() in h for h in hay))

        selected = [r for r in selected if k_ok(r)]
    if markexpr:
        match_m = compile_expression(markexpr, "-m")

        def m_ok(r: Rule) -> bool:
            return match_m(lambda name: name in r.tags)

        selected = [r for r in selected if m_ok(r)]
    return selected, len(rules) - len(selected)


def unmatched_names(rules: list[Rule], keyword: str | None, markexpr: str | None) -> list[str]:
    """A warning for each name of ``-k``/``-m`` that matches no collected rule.

    A misspelt name selects nothing by itself, so ``-m 'dora or incidnets'`` runs
    the dora rules alone, green, as if the incidents were checked: said, never
    silent. A warning, not an error (pytest says nothing): a shared CI command
    may name a tag that only some repositories' rules carry.
    """
    import difflib

    out: list[str] = []
    tags = sorted({t for r in rules for t in r.tags})
    for option, expr in (("-k", keyword), ("-m", markexpr)):
        if not expr:
            continue
        names = dict.fromkeys(t for t in _TOKEN.findall(expr)
                              if t not in ("(", ")", "and", "or", "not"))
        for name in names:
            if option == "-m":
                if name in tags:
                    continue
                close = difflib.get_close_matches(name, tags, n=1, cutoff=0.7)
                what = "no tag of the collected rules"
            else:
                low = name.lower()
                if any(low in h for r in rules for h in (r.nodeid.lower(),
                                                         *(t.lower() for t in r.tags))):
                    continue
                words = sorted({w for r in rules for w in re.split(r"[^A-Za-z0-9_]+", r.nodeid)
                                if w} | set(tags))
                close = difflib.get_close_matches(name, words, n=1, cutoff=0.7)
                what = "no id or tag of the collected rules"
            shown = name if len(name) <= 60 else name[:57] + "..."
            shown = shown.encode("unicode_escape").decode("ascii")
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{option} name {shown!r} matches {what}{hint}")
    return out
