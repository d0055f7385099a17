"""``guardrails validate FILE`` (the pre-commit hook) on files that are not what they seem.

pre-commit names every committed file matching the hook's pattern, links
included: a committed link to ``/proc`` or out of the root, or a YAML file of
gigabytes. The hook must say what ``check`` says about such a file (the gate
refuses a link in a rule folder that leaves the root), and must not read more
than any other input is read (a plain read of a link to ``/proc/kmsg`` waits
forever; one of a 3 GiB file takes 3 GiB).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write

from guardrails import precommit

PACK = """\
pack: local
rules:
  - id: teams-listed
    title: Teams are listed
    check: count
    facts: teams
    min: 0
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "root"
    write(root, "guardrails.yaml", "rules:\n  - rules/\nsources:\n  files: {path: org}\n")
    write(root, "rules/ok.yaml", PACK)
    write(root, "org/teams.yaml", "teams: []\n")
    write(tmp_path, "outside/pack.yaml", PACK.replace("local", "outside"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("PRE_COMMIT", raising=False)  # every error shows
    return root


def validate(*files: str) -> tuple[int, list[str]]:
    err = io.StringIO()
    code = precommit.validate(list(files), "guardrails.yaml", err)
    return code, err.getvalue().splitlines()


@pytest.mark.parametrize("target", ["outside", "proc"])
def test_a_link_in_a_rule_folder_fails_validate_as_it_fails_the_gate(
        project: Path, target: str) -> None:
    place = project.parent / "outside" / "pack.yaml" if target == "outside" else "/proc/self/status"
    os.symlink(place, project / "rules" / "linked.yaml")
    code, whole = validate()  # what the gate (every rule file collected) says
    assert code == 4
    about = [line for line in whole if "rules/linked.yaml" in line]
    assert about, whole
    # pre-commit names the committed link alone: the same error, not a pass
    code, alone = validate("rules/linked.yaml")
    assert (code, alone) == (4, about)


def test_a_named_pack_outside_a_rule_folder_is_still_validated(project: Path) -> None:
    write(project, "extra.yaml", "pack: extra\nrules: 3\n")
    code, lines = validate("extra.yaml")
    assert code == 4 and lines and lines[0].startswith("extra.yaml:2"), lines
    assert validate("rules/ok.yaml") == (0, [])
    write(project, "builtin:extra.yaml", "pack: extra\nrules: 3\n")  # a file, not a pack name
    code, lines = validate("builtin:extra.yaml")
    assert code == 4 and lines and lines[0].startswith("builtin:extra.yaml:2"), lines


def validate_capped(project: Path, mib: int, *files: str,
                    **env: str) -> subprocess.CompletedProcess[str]:
    """``guardrails validate FILES`` in a process of at most ``mib`` MiB of address space."""

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (mib << 20, mib << 20))

    return subprocess.run([sys.executable, "-m", "guardrails", "validate", *files],
                          cwd=project, preexec_fn=cap, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **env})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as Linux sets it")
def test_a_named_yaml_file_of_gigabytes_is_not_read_whole(project: Path) -> None:
    with open(project / "dump.yaml", "wb") as fh:
        fh.truncate(3 << 30)  # sparse: no disk used; a whole read takes 3 GiB of memory
    proc = validate_capped(project, 1536, "dump.yaml")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    # no guardrails file (no pack: it could be read): passed over, as any other file
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("second", ["./extra.yaml", "extra.yaml", "rules/../extra.yaml",
                                    "link.yaml"])
def test_a_pack_named_twice_is_validated_once(project: Path, second: str) -> None:
    # pre-commit, a hook's args or a shell glob may name one file twice, spelt
    # apart: its rules are not "given twice" (check FILE FILE reads it once too)
    write(project, "extra.yaml", PACK.replace("local", "extra"))
    os.symlink("extra.yaml", project / "link.yaml")
    assert validate("extra.yaml", second) == (0, [])
    assert validate("rules/ok.yaml", "rules/../rules/ok.yaml") == (0, [])


def test_two_packs_with_one_rule_id_are_still_refused(project: Path) -> None:
    write(project, "extra.yaml", PACK)  # pack "local", as rules/ok.yaml: the same ids
    code, lines = validate("rules/ok.yaml", "extra.yaml", "./extra.yaml")
    assert code == 4
    assert lines == ["extra.yaml:3: duplicate rule id 'local::teams-listed' (first defined "
                     "at rules/ok.yaml:3). Fix: give each rule of a pack its own id"], lines


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as Linux sets it")
def test_a_named_yaml_file_under_the_limit_is_not_read_whole_to_classify(project: Path) -> None:
    # 1 GiB, the loader's limit: a file it may read, but not one to hold whole just
    # to learn whether it is a pack (it was read whole: a MemoryError under this cap)
    with open(project / "dump.yaml", "wb") as fh:
        fh.truncate(1 << 30)  # sparse zeros: no disk used, no line, no pack
    proc = validate_capped(project, 768, "dump.yaml")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as Linux sets it")
def test_a_dot_git_file_is_read_for_its_gitdir_line_only(project: Path) -> None:
    # under pre-commit the hook looks for the git folder to note the errors shown;
    # a .git file (a worktree's) holds one short line: 4 KiB of it are read, not 1 GiB
    with open(project / ".git", "wb") as fh:
        fh.truncate(1 << 30)
    write(project, "extra.yaml", "pack: extra\nrules: 3\n")
    proc = validate_capped(project, 768, "extra.yaml", PRE_COMMIT="1")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 4 and proc.stderr.startswith("extra.yaml:2"), proc.stderr


def test_a_pack_line_past_the_first_chunk_is_found(project: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import namedfiles

    monkeypatch.setattr(namedfiles, "SNIFF_CHUNK", 16)  # the file read 16 bytes at a time
    body = "rules:\n" + "".join(PACK.split("rules:\n")[1]) + "pack: late\n"
    for pad in range(20):  # "pack:" and the line break before it cut at every place
        write(project, "late.yaml", "#" * pad + "\n" + body)
        assert namedfiles.is_pack(project / "late.yaml"), pad
        write(project, "late.yaml", "#" * pad + "\n" + body.replace("\npack:", "\n pack:"))
        assert not namedfiles.is_pack(project / "late.yaml"), pad
    write(project, "late.yaml", "#" * 5 + "\r\n" + body.replace("\npack:", "\u2028pack:"))
    assert namedfiles.is_pack(project / "late.yaml")
