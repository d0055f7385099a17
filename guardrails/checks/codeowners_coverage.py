"""``teams.codeowners_coverage`` judged: one CODEOWNERS file against the tracked
files and the org data.

The check itself (its schema, its documentation, what it reads first) is
declared in :mod:`guardrails.checks.ownership`, beside the bus factor, so that
collecting the ``teams`` pack needs nothing of this module; a run whose git
source found a CODEOWNERS file imports it to judge that file (most runs have
none: the example org, a repository without one). :func:`coverage` counts
three kinds of offence, each its own evidence:

- tracked files no line owns (listed one by one up to ``max_listed``, then
  grouped by folder, the largest groups first);
- lines GitHub ignores (the git source's parser, :mod:`guardrails.sources.codeowners`,
  found them invalid);
- owners the org data does not know: ``@org/slug`` not a team's id or
  ``github``, ``@user`` not a member's handle, an email not a member's email
  (counted once an owner however many lines name it; not checked without teams).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from guardrails import fmt
from guardrails.model import CheckResult, Evidence, Outcome


def coverage(co: Mapping[str, Any], max_listed: int, teams: Sequence[Mapping[str, Any]],
             team_slugs: Collection[str]) -> CheckResult:
    """The result for the ``codeowners`` fact ``co``; ``teams`` are the org data's teams
    (empty: owners are not checked) and ``team_slugs`` their ids and ``github`` slugs,
    lowercased."""
    files: Mapping[str, Mapping[str, Any]] = co.get("files") or {}
    unowned = sorted(p for p, f in files.items() if not f.get("owners"))
    evidence = _unowned(unowned, files, max_listed)
    details: list[str] = [f"{co['file']}: {len(files) - len(unowned)} of "
                          f"{fmt.plural(len(files), 'tracked file')} owned"]
    if len(unowned) > max_listed:
        details.append(f"{len(unowned)} unowned files grouped by directory")
    for err in co.get("errors") or ():
        evidence.append(Evidence(f"file/{co['file']}", f"line {err['line']} is ignored by "
                                 f"GitHub: {err['message']}: {err['text'].strip()}",
                                 file=co["file"], line=err["line"]))
    # The value counts offending subjects: an unknown owner named on three
    # lines is one owner (each line is its own evidence).
    unknown_owners: set[str] = set()
    if teams:
        known = _known_owners(teams, team_slugs)
        classified: Mapping[str, Mapping[str, str]] = co.get("owners") or {}
        for e in co.get("entries") or ():
            for owner in e["owners"]:
                who = classified.get(owner) or {"kind": "email", "name": owner}
                if _owner_key(who) not in known:
                    unknown_owners.add(owner)
                    evidence.append(Evidence(
                        f"owner/{owner}", f"{co['file']} line {e['line']} ({e['pattern']}): "
                        f"{owner} is not a known {_KIND_WORD[who['kind']]}",
                        file=co["file"], line=e["line"]))
    else:
        details.append("no teams data: owners were not checked against the org")
    unknown = len(unknown_owners)
    errors = len(co.get("errors") or ())
    n = len(unowned) + unknown + errors
    parts = []
    if unowned:
        parts.append(f"{len(unowned)} of {fmt.plural(len(files), 'tracked file')} "
                     "have no owner")
    if unknown:
        parts.append(f"{fmt.plural(unknown, 'unknown owner')}")
    if errors:
        parts.append(f"{fmt.plural(errors, 'invalid line')} in {co['file']}")
    msg = "; ".join(parts) if parts else (
        f"all {fmt.plural(len(files), 'tracked file')} have a known owner")
    return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                       threshold={"max": 0}, samples=len(files), evidence=evidence,
                       details=details)


def _unowned(unowned: list[str], files: Mapping[str, Mapping[str, Any]],
             max_listed: int) -> list[Evidence]:
    """Evidence for the unowned files: each one, or past ``max_listed`` their folders."""
    def why(p: str) -> str:
        line = files[p].get("line")
        return f"matched by line {line}, which has no owners" if line else (
            "no CODEOWNERS line matches")

    if len(unowned) <= max_listed:
        return [Evidence(f"file/{p}", why(p)) for p in unowned]
    groups: dict[str, list[str]] = defaultdict(list)
    for p in unowned:
        groups[p.rpartition("/")[0]].append(p)
    order = sorted(groups, key=lambda d: (-len(groups[d]), d))
    out = []
    for d in order[:max_listed]:
        ps = groups[d]
        example = ", ".join(p.rpartition("/")[2] for p in ps[:3])
        more = ", ..." if len(ps) > 3 else ""
        out.append(Evidence(f"file/{d}/" if d else "file/(root)",
                            f"{fmt.plural(len(ps), 'unowned file')}: {example}{more}"))
    rest = order[max_listed:]
    if rest:
        count = sum(len(groups[d]) for d in rest)
        out.append(Evidence("file/...", f"{fmt.plural(count, 'more unowned file')} in "
                            f"{fmt.plural(len(rest), 'more directory', 'more directories')}"))
    return out


def _owner_key(owner: Mapping[str, str]) -> str:
    """``team:slug``, ``user:handle`` or ``email:address`` of a classified owner, lowercased."""
    return f"{owner['kind']}:{owner['name'].lower()}"


_KIND_WORD = {"team": "team", "user": "member handle", "email": "member email"}


def _known_owners(teams: Sequence[Mapping[str, Any]], team_slugs: Collection[str]) -> set[str]:
    known = {"team:" + slug for slug in team_slugs}
    for t in teams:
        for m in t.get("members") or ():
            if m.get("handle"):
                known.add("user:" + str(m["handle"]).lstrip("@").lower())
            if m.get("email"):
                known.add("email:" + str(m["email"]).lower())
    return known
