"""The ownership checks of pack ``teams``: bus factor and CODEOWNERS coverage.

Both ask who answers for the code, not how a team is sized or loaded (that is
:mod:`guardrails.checks.teams`, which registers all four checks of the pack
and re-exports these): they read the git source's facts and match people and
code-host teams against the org data, sharing the helpers that do so
(:func:`_teams`, :func:`_team_index`). Both are declared here (schema,
documentation, what they read first), since collecting the pack needs them;
the judging of a CODEOWNERS file is :mod:`guardrails.checks.codeowners_coverage`,
imported only by a run that has one.

- ``teams.bus_factor`` recomputes every module's authors for the rule's own
  window from the ``commits`` facts (each commit names its ``modules``), so
  two rules with different windows share one read of the history.
- ``teams.codeowners_coverage`` reads the single ``codeowners`` fact (whose
  owners the git source classifies as team, user or email) and the teams of
  the org data.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guardrails import fmt
from guardrails.errors import SourceError
from guardrails.facts import bots_by_name, is_bot
from guardrails.model import CheckResult, Evidence, Measure, Outcome, Rule
from guardrails.plugin import Check, EvalContext
from guardrails.timeutil import DURATION_PATTERN

Fact = Mapping[str, Any]

_WINDOW = {"type": "string", "pattern": DURATION_PATTERN}
#: top authors shown per offending module
TOP_AUTHORS = 3


def bus_factor(counts: Mapping[str, int]) -> int:
    """CHAOSS bus factor: fewest people whose commits make at least half of all."""
    total = sum(counts.values())
    acc = 0
    for k, n in enumerate(sorted(counts.values(), reverse=True), start=1):
        acc += n
        if 2 * acc >= total:
            return k
    return 0


def _teams(ctx: EvalContext) -> list[dict[str, Any]]:
    try:
        return ctx.facts("teams")
    except SourceError:
        return []


def _team_index(teams: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Code-host team slug (id or ``github``), lowercased -> team id."""
    out: dict[str, str] = {}
    for t in teams:
        out[str(t["id"]).lower()] = str(t["id"])
        if t.get("github"):
            out[str(t["github"]).lower()] = str(t["id"])
    return out


def _module_team(module: Mapping[str, Any], index: Mapping[str, str]) -> str | None:
    if module.get("team"):
        return str(module["team"])
    tally: Counter[str] = Counter()
    for slug, n in (module.get("owner_teams") or {}).items():
        if slug.lower() in index:
            tally[index[slug.lower()]] += n
    if not tally:
        return None
    return min(tally, key=lambda t: (-tally[t], t))



def _author_name(author: str, email: str, bots: Any) -> str | None:
    """Whom a commit counts for: its author's name, else the email, else ``?``; None
    for a bot. One rule for the per-commit and the column paths (held equal by a test)."""
    return None if is_bot(author, email, bots) else (author or email or "?")

def _authors_per_module(commits: Sequence[Fact], start: Any, end: Any,
                        bots: Sequence[str]) -> dict[str, Counter[str]]:
    """Module id -> its authors' commit counts, over the non-bot commits authored in
    ``[start, end)``.

    An author is named by name, else email, else ``?``. The names are gathered
    in one list per module and counted in one C call each: a Counter increment
    per commit and module was most of this check's time on a long history.
    """
    names: dict[tuple[str, str], str | None] = {}  # (author, email) -> name; None: a bot
    per: dict[str, list[str]] = {}
    for c in commits:
        at = c.get("authored_at")
        if at is None or not start <= at < end:
            continue
        mods = c.get("modules")
        if not mods:
            continue
        who = (c.get("author") or "", c.get("email") or "")
        name = names.get(who, _UNSEEN)
        if name is _UNSEEN:  # few authors, many commits
            name = names[who] = _author_name(*who, bots)
        if name is None:
            continue
        for mid in mods:
            lst = per.get(mid)
            if lst is None:
                lst = per[mid] = []
            lst.append(name)
    return {mid: Counter(lst) for mid, lst in per.items()}


_UNSEEN: Any = object()


def _authors_per_module_columns(ctx: EvalContext, start: Any, end: Any,
                                bots: Sequence[str]) -> dict[str, Counter[str]] | None:
    """:func:`_authors_per_module` over the columns of the ``commits`` facts, when the
    store still has them (a warm git run: no dict per commit is ever built), else None.

    The same counts, taken per module in C calls: each commit named once (each
    distinct author once), then each module's commits (``positions``) in the
    window counted in one ``Counter`` call. A commit's ``authored_at`` column
    holds its POSIX seconds.
    """
    cols = ctx.store.columns("commits")
    if cols is None or start.tzinfo is None or end.tzinfo is None:
        return None
    ats, authors, emails = (cols.column(f) for f in ("authored_at", "author", "email"))
    per_module = cols.positions("modules")
    if ats is None or authors is None or emails is None or per_module is None:
        return None
    lo, hi = start.timestamp(), end.timestamp()
    bounds = cols.bounds("authored_at")
    whole = bounds is None or (bounds[0] >= lo and bounds[1] < hi)
    named: list[str | None]
    tallies = cols.tally("modules", "author") if whole and not bots else None
    # Every commit in the window: the counts per module and author (the git cache
    # has them: no count per commit), when each counted author is named by name.
    # Only the authors counted matter (a commit in no module counts nowhere): the
    # tallies' own keys, ~2,600 on pytest's 10 years, not a set of every commit's
    # author (7,300, ~0.1 ms of a warm run).
    seen: set[str | None] = set().union(*tallies.values()) if tallies is not None else set()
    if tallies is not None and "" not in seen and None not in seen:
        found = bots_by_name(seen)  # type: ignore[arg-type]  # no None: just checked
        out: dict[str, Counter[str]] = {}
        for mid, tally in tallies.items():
            counts = Counter(tally)
            for bot in found:
                counts.pop(bot, None)
            if counts:
                out[mid] = counts
        return out
    distinct = set(authors)
    if not bots and "" not in distinct and None not in distinct:
        # Without patterns a bot is told by its name alone, and a named author is
        # called by name: one answer per author, no (author, email) pair to build.
        by_author: dict[str, str | None] = dict(zip(distinct, distinct, strict=True))
        by_author.update(dict.fromkeys(bots_by_name(distinct)))
        named = list(map(by_author.__getitem__, authors))
    else:
        names: dict[tuple[str, str], str | None] = {}  # (author, email) -> name; None: bot
        for who in set(zip(authors, emails, strict=True)):
            names[who] = _author_name(who[0] or "", who[1] or "", bots)
        named = list(map(names.__getitem__, zip(authors, emails, strict=True)))
    inside = None if whole else [lo <= at < hi for at in ats]
    out = {}
    for mid, idx in per_module.items():
        who_col: Iterable[str | None] = map(named.__getitem__, idx)
        if inside is not None:
            who_col = itertools.compress(who_col, map(inside.__getitem__, idx))
        counts = Counter(who_col)
        counts.pop(None, None)  # bots
        if counts:
            out[mid] = counts  # type: ignore[assignment]
    return out


def _modules_by_id(ctx: EvalContext) -> dict[str, Mapping[str, Any]]:
    """Module id -> what the bus factor reads of it (``files``, ``team``,
    ``owner_teams``): from the columns of unbuilt module facts, else the facts."""
    cols = ctx.store.columns("modules")
    if cols is not None:
        ids, files, team, owner_teams = (cols.column(f) for f in (
            "id", "files", "team", "owner_teams"))
        if ids is not None and files is not None and team is not None and owner_teams is not None:
            return {mid: {"files": n, "team": t, "owner_teams": o}
                    for mid, n, t, o in zip(ids, files, team, owner_teams, strict=True)}
    return {m["id"]: m for m in ctx.facts("modules")}


class BusFactorCheck(Check):
    """Every active module has a bus factor of at least ``min``."""

    name = "teams.bus_factor"
    kinds = ("commits", "modules", "teams")
    schema = {
        "properties": {
            "min": {"type": "integer", "minimum": 1, "default": 2},
            "min_commits": {"type": "integer", "minimum": 1, "default": 10},
            "window": _WINDOW,
            "bots": {"type": "array", "items": {"type": "string", "minLength": 1},
                     "description": "More author patterns to leave out, on top of the "
                                    "git source's bots."},
        },
    }
    doc = """\
What it checks: for every module (a path prefix, see the git source) that
still has files at HEAD and at least `min_commits` non-bot, non-merge commits
in the window, the bus factor:
the smallest number of people whose commits together make at least 50% of
the module's commits. It fails when a module's bus factor is below `min`.

Why it matters: knowledge sharing over hoarding. The "Aha Moments" essay on execution names "dealing
with a bus factor" as the moment to put knowledge sharing before throughput,
and warns of teams where "knowledge is hoarded by specific individuals". A
module only one person changes stops when that person is away.

Default and where it comes from: `min: 2`, `min_commits: 10`, window 90d.
The definition is CHAOSS's bus factor (also called truck or contributor
absence factor) at its 50% threshold; bots and merge commits are excluded
everywhere, `.mailmap` merges identities, a commit's time is its author date.
The knowledge-sharing focus raises `min` to 3.

How to fix a failure: pair or mob on the module, rotate reviews and on-call
work to its second and third contributors, write down what only one person
knows; if the module really has one owner for good reason, waive it with an
expiry date.

Data it needs: the git source (commits and modules; full history, not a
shallow clone); teams from the org data to name the owning team."""

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        # Read first: a failed git source raises here and the rule is an error, not a skip.
        # Columns when the store has them (no dict per commit), else the facts.
        ctx.store.columns("commits")
        by_id = _modules_by_id(ctx)
        if "commits" not in ctx.store.provided_by:
            return CheckResult.skipped("no commits data (configure the git source)")
        lo = int(rule.param("min", 2))
        min_commits = int(rule.param("min_commits", 10))
        bots = tuple(rule.param("bots") or ())
        start, end = ctx.window_for(rule)
        per_module = _authors_per_module_columns(ctx, start, end, bots)
        if per_module is None:
            per_module = _authors_per_module(ctx.facts("commits"), start, end, bots)
        # Judge what exists: a module whose files were all deleted (at HEAD it has
        # none) has nobody left to be away. Without module facts nothing can be told.
        gone = sorted(m for m in per_module if by_id and not by_id.get(m, {}).get("files"))
        few = sorted(m for m, n in per_module.items()
                     if m not in gone and sum(n.values()) < min_commits)
        active = {m: n for m, n in per_module.items() if m not in gone and m not in few}
        window = ctx.window_text(rule)
        left_out = _left_out(few, gone, min_commits)
        if not active:
            return CheckResult.skipped(
                f"no module has {min_commits} or more commits in the {window}"
                + (f" ({'; '.join(left_out)})" if left_out else ""))
        index = _team_index(_teams(ctx))
        evidence = []
        measures = []
        for mid in sorted(active):
            counts = active[mid]
            bf = bus_factor(counts)
            measures.append(Measure(f"module/{mid}", bf,
                                    team=_module_team(by_id.get(mid, {}), index)))
            if bf >= lo:
                continue
            total = sum(counts.values())
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_AUTHORS]
            shares = ", ".join(f"{a} {100 * n / total:.0f}% ({n} of {total})" for a, n in top)
            evidence.append(Evidence(f"module/{mid}", f"bus factor {bf} (min {lo}): {shares}",
                                     team=_module_team(by_id.get(mid, {}), index)))
        n = len(evidence)
        threshold = {"max": 0}  # modules below the bus factor; the minimum is per module
        details = [window, *left_out]
        if n:
            names = ", ".join(e.subject.split("/", 1)[1] for e in evidence)
            msg = f"{fmt.plural(n, 'module')} with bus factor below {lo}: {names}"
        else:
            msg = f"all {fmt.plural(len(active), 'active module')} have bus factor >= {lo}"
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold=threshold, samples=len(active), evidence=evidence,
                           details=details, measures=measures)


def _left_out(few: Sequence[str], gone: Sequence[str], min_commits: int) -> list[str]:
    """Detail lines naming the modules the bus factor did not judge, and why."""
    out = []
    if few:
        out.append(f"{fmt.plural(len(few), 'module')} with fewer than {min_commits} commits "
                   f"not evaluated: {fmt.ids(few, 10)}")
    if gone:
        out.append(f"{fmt.plural(len(gone), 'module')} no longer at HEAD not evaluated: "
                   f"{fmt.ids(gone, 10)}")
    return out


class CodeownersCoverageCheck(Check):
    """Every tracked file has an owner and every owner is a known team or member."""

    name = "teams.codeowners_coverage"
    kinds = ("codeowners", "teams")
    schema = {
        "properties": {
            "max_listed": {"type": "integer", "minimum": 1, "default": 20,
                           "description": "Unowned files listed one by one before they "
                                          "are grouped by directory."},
        },
    }
    doc = """\
What it checks: in the CODEOWNERS file GitHub uses (.github/, root, then
docs/, at HEAD), every file of `git ls-files` is matched by a line with at
least one owner (last matching line wins; a line without owners leaves its
paths unowned), every owner is known to the org data (`@org/slug` a team
whose id or `github` is slug, `@user` a member handle, an email a member
email), and every line is valid CODEOWNERS syntax.

Why it matters: Conway's law, "you ship your org chart" (Matt Stratton):
ownership should mirror the structure of the organisation. A file nobody
owns gets no reviewer and no one on call for it; an owner that no longer
exists is the same hole, hidden.

Default and where it comes from: full coverage, GitHub's own resolution
rules. A file whose owners are all unknown still counts as owned for
coverage; the unknown owners are reported on their own.

How to fix a failure: add a line (or a catch-all `*` line at the top) for the
unowned paths, replace departed teams and people with current ones, and fix
the invalid lines GitHub ignores (no `!`, no `[ ]`).

Data it needs: the git source (CODEOWNERS and tracked files) and teams with
members from the org data; without teams, owners are not checked."""

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        facts = ctx.facts("codeowners")  # raises when the git source failed
        if "codeowners" not in ctx.store.provided_by:
            return CheckResult.skipped("no codeowners data (configure the git source)")
        if not facts:
            return CheckResult.skipped("no CODEOWNERS file")
        # Imported here: a run without a CODEOWNERS file (the example org, most git
        # runs) judges none and imports none of it.
        from guardrails.checks.codeowners_coverage import coverage

        teams = _teams(ctx)
        return coverage(facts[0], int(rule.param("max_listed", 20)), teams,
                        set(_team_index(teams)))
