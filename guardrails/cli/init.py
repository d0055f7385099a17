"""``guardrails init``: scaffold guardrails.yaml and an org data folder."""

from __future__ import annotations

from pathlib import Path

import click

from guardrails.cli.options import echo
from guardrails.errors import UsageError
from guardrails.exits import wrap_session


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".",
              help="Where to scaffold (default: the current folder).")
def init(directory: str) -> int:
    """Scaffold guardrails.yaml and an org data folder (never overwrites)."""
    return wrap_session(lambda: scaffold(Path(directory)))


command = init


INIT_CONFIG = """\
# guardrails configuration. Every key: docs/configuration.md in the guardrails
# (execution-guardrails) repository; 'guardrails schema config' prints its JSON Schema.
focus:
  current: stability          # stability | throughput | knowledge-sharing
  # Fill in: the date your team last agreed on this focus. Until then the rule
  # goals::focus-revisited fails and says so.
  reviewed_on: YYYY-MM-DD
rules:
  - builtin:stability
  - builtin:incidents
  - builtin:teams
  - builtin:delivery
  - builtin:goals
  - builtin:culture
  - ./guardrails/rules/       # your own rule packs (one .yaml file a pack)
sources:
  files: {{path: org}}
{git}# waivers:
#   - rule: teams::two-pizza-teams
#     subject: team/platform
#     reason: splitting the team in Q1
#     expires: 2027-01-31
window: 90d
# strict: true                # rules skipped for lack of data fail (as --strict)
"""

INIT_TEAMS = """\
# One entry per team; see 'guardrails schema teams'.
teams:
  - id: platform
    name: Platform
    type: platform
    members:
      - {handle: alice, name: Alice Example, email: alice@example.com}
      - {handle: bob, name: Bob Example, email: bob@example.com}
      - {handle: carol, name: Carol Example, email: carol@example.com}
"""

INIT_RULES = """\
# Your own rules: every .yaml file in this folder is a pack ('guardrails schema rules').
# Rule ids are pack::id, here local::teams-declared.
pack: local
description: Rules of our own, next to the builtin packs.
rules:
  - id: teams-declared
    title: At least one team is declared in org/teams.yaml
    check: count
    facts: teams
    min: 1
    severity: error
    tags: [teams]
"""


def scaffold(directory: Path) -> int:
    """Write guardrails.yaml, org/teams.yaml and guardrails/rules/local.yaml; never overwrite.

    Every file is written whole (fileio.atomic_write); a folder where nothing
    can be written (read-only, a file in the way) is a usage error naming it.
    """
    import os

    from guardrails.fileio import atomic_write
    from guardrails.paths import repository_root

    # In a git repository, ownership rules (bus factor, CODEOWNERS) read its history:
    # from its top or from a folder in it (a monorepo's; the git source reads the
    # whole repository from any folder in it, docs/sources.md)
    in_git = os.path.lexists(repository_root(directory) / ".git")
    targets = {
        directory / "guardrails.yaml": INIT_CONFIG.format(
            git="  git: {path: .}\n" if in_git else ""),
        directory / "org" / "teams.yaml": INIT_TEAMS,
        directory / "guardrails" / "rules" / "local.yaml": INIT_RULES,
    }
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError(
            f"{', '.join(str(p) for p in existing)} already exist(s); nothing was written",
            fix="edit the existing files, or run 'guardrails init --dir NEW_FOLDER'",
        )
    # A folder on the way (org/, guardrails/) that is a link out of the scaffold's
    # folder would take the files elsewhere: check refuses that folder, init writes
    # nothing through it.
    from guardrails.paths import is_inside

    real_dir = Path(os.path.realpath(directory))
    inside: dict[Path, bool] = {directory: True}  # each folder on the way resolved once

    def stays_in(folder: Path) -> bool:
        if folder not in inside:
            inside[folder] = is_inside(Path(os.path.realpath(folder)), directory, real_dir)
        return inside[folder]

    for path in targets:
        if not stays_in(path.parent):
            # name the first folder that leads out (org/ itself, or guardrails/ of
            # guardrails/rules/): the link to remove
            parts = path.parent.relative_to(directory).parts
            link = next(p for p in (directory.joinpath(*parts[:i + 1])
                                    for i in range(len(parts))) if not stays_in(p))
            raise UsageError(
                f"{link} is a symbolic link that leads outside "
                f"{directory}; nothing was written",
                fix="remove the link (init never writes through one), or run "
                "'guardrails init --dir NEW_FOLDER'")
    doing = f"create folder {directory}"
    try:
        for path in targets:
            doing = f"create folder {path.parent}"
            path.parent.mkdir(parents=True, exist_ok=True)
        for path, text in targets.items():
            doing = f"write {path}"
            atomic_write(path, text)
            echo(f"created {path}")
    except OSError as exc:
        raise UsageError(f"cannot {doing}: {exc.strerror or exc}",
                         fix="run 'guardrails init' in a folder you can write to, "
                         "or pass --dir FOLDER") from None
    echo("\nnext: fill in focus.reviewed_on in guardrails.yaml, add your data to org/ "
          "(see 'guardrails schema deployments'), then run 'guardrails check'")
    return 0
