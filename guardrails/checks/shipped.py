"""What a first deployment to an environment shipped, per run: lead time's table.

Lead time (``dora.lead_time`` and the history backfill) asks, for a window,
which changes and plain commits a first successful deployment to the
environment shipped in it. The answer for every window comes from one
table a run (:class:`Shipping`, in the run's fact index): each change by its
shipping deployment's ``finished_at``, so a window is two bisections.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Container, Iterable, Mapping
from datetime import datetime
from typing import Any

from guardrails.datakinds import earlier, shipping_deployment
from guardrails.factindex import Timeline
from guardrails.facts import subject
from guardrails.plugin import EvalContext
from guardrails.timeutil import in_window

Fact = Mapping[str, Any]


class Commits:
    """Commits by sha; a ref of 7+ hex digits also finds the one commit it prefixes."""

    def __init__(self, commits: Iterable[Fact]) -> None:
        self.by_sha = {str(c["sha"]).lower(): c for c in commits if c.get("sha")}
        self._shas = sorted(self.by_sha)

    def find(self, ref: object) -> Fact | None:
        """The commit ``ref`` names (a sha, or a unique prefix of 7+ hex digits)."""
        if ref is None or not self.by_sha:
            return None
        key = str(ref).lower()
        if key in self.by_sha:
            return self.by_sha[key]
        if not re.fullmatch(r"[0-9a-f]{7,39}", key):
            return None
        i = bisect_left(self._shas, key)
        hits = [s for s in self._shas[i:i + 2] if s.startswith(key)]
        return self.by_sha[hits[0]] if len(hits) == 1 else None


def _first_deployments(ctx: EvalContext, env: str) -> dict[str, Fact]:
    """Each shipped ref -> the earliest successful deployment to ``env`` naming it
    (computed once a run by the fact index)."""
    return ctx.store.index.first_by_ref(env)


def _change_start(change: Fact, commits: Commits) -> tuple[datetime | None, str]:
    """When work on a change began: first commit, else opened, else authored."""
    if change.get("first_commit_at") is not None:
        return change["first_commit_at"], "first commit"
    if change.get("created_at") is not None:
        return change["created_at"], "created"
    for ref in (change.get("id"), change.get("merge_sha")):
        commit = commits.find(ref)
        if commit is not None and commit.get("authored_at") is not None:
            return commit["authored_at"], "authored"
    return None, ""


class Shipping:
    """Per run and environment: which deployment ships each change, ready for windows.

    ``line`` holds every unique change some successful deployment to the
    environment ships, by that deployment's ``finished_at``; ``plain`` the
    first deployments' refs naming no change's id or merge sha (perhaps plain
    git commits). Built once, so each lead-time window touches only its own
    changes.
    """

    def __init__(self, ctx: EvalContext, env: str) -> None:
        index = ctx.store.index
        first = _first_deployments(ctx, env)
        changes = index.unique("changes")
        store = ctx.store
        ids: Container[str]
        if changes is store.by_kind.get("changes"):
            # Every change has an id of its own (unique() handed the store's list back):
            # the store's subject table holds exactly their texts, and it is made once
            # a run anyway (evidence about changes is located through it): no second
            # set of 100,000 str() ids.
            ids = store.id_table("changes")[0]
        else:
            ids = {str(v) for c in changes if (v := c.get("id")) is not None}
        self._first = first
        self._joined = env == "production"
        # Changes by their shipping deployment's finished_at (no stamp: not shipped);
        # the deployment itself is found again for the window's changes only. The
        # merge shas are taken in the same pass, while each change is at hand (a
        # second walk over 100,000 change dicts is a cache miss a change).
        stamps: list[Any] = []
        shas: set[str] = set()
        append, add, joined = stamps.append, shas.add, self._joined
        for c in changes:
            if (v := c.get("merge_sha")) is not None:
                add(str(v))
            dep = c.get("deployment") if joined else None
            if dep is None:
                dep = shipping_deployment(c, first)
            append(None if dep is None else dep.get("finished_at"))
        self.line = Timeline(changes, stamps)
        self.plain = [(ref, dep) for ref, dep in first.items()
                      if ref not in ids and ref not in shas]

    def deployment(self, change: Fact) -> Fact | None:
        """The deployment to the environment that shipped ``change``, if any."""
        # The join's answer may come from git ancestry, which only it knows;
        # it is made for "production", so other environments look refs up here.
        dep = change.get("deployment") if self._joined else None
        return shipping_deployment(change, self._first) if dep is None else dep


def shipped_in(ctx: EvalContext, env: str, start: datetime, end: datetime
             ) -> tuple[list[Fact], Commits, list[tuple[datetime | None, str, str, Fact]], int]:
    """Changes and plain commits shipped by a first ``env`` deployment in the window:
    ``(changes, commits, [(began, label, subject, deployment)], unknown refs)``."""
    ctx.facts("deployments")  # raises when the deployments source failed
    ctx.facts("changes")  # raises when the changes source failed
    index = ctx.store.index
    changes = index.unique("changes")
    commits = index.memo(("dora.commits",), lambda: Commits(ctx.facts("commits")))
    shipping = index.memo(("dora.shipping", env), lambda: Shipping(ctx, env))

    # (start, label, subject, deployment) per change shipped inside the window
    shipped: list[tuple[datetime | None, str, str, Fact]] = []
    for c in shipping.line.window(start, end):
        dep = shipping.deployment(c)
        if dep is None:  # cannot be: the change has its deployment's stamp
            continue
        began, label = _change_start(c, commits)
        ident = c.get("id")  # subject("changes", c), without two calls a change
        shipped.append((began, label,
                        f"change/{ident}" if ident is not None else subject("changes", c),
                        dep))

    # Deployments may name plain git commits (no pull request behind them).
    by_commit: dict[str, tuple[Fact, Fact]] = {}
    unknown = 0
    for ref, dep in shipping.plain:
        commit = commits.find(ref)
        if commit is not None:
            # Several refs (a full sha and a prefix) may name one commit: the
            # earliest deployment naming it ships it.
            key = str(commit["sha"])
            known = by_commit.get(key)
            if known is None or earlier(dep, known[1]):
                by_commit[key] = (commit, dep)
        elif in_window(dep.get("finished_at"), start, end):
            unknown += 1
    for commit, dep in by_commit.values():
        if in_window(dep.get("finished_at"), start, end):
            shipped.append((commit.get("authored_at"), "authored", subject("commits", commit), dep))

    return changes, commits, shipped, unknown
