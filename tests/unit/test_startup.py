"""Start-up: builtin plugins and commands are imported only when used (issue 15).

The manifest in guardrails/builtins.py must say exactly what each builtin
module provides (a module with hooks missing from it fails here, rather than
silently never loading); a files-only run imports none of the git, HTTP,
SARIF or JUnit modules; ``-p no:NAME`` still blocks a builtin that was never
imported; third-party entry points are still found, through a cache that an
install invalidates.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HANG_GUARD, check, example_without_caches, modules_after, run_cli

import guardrails
from guardrails import cacheprune, installed
from guardrails.builtins import BUILTINS, PROVIDER_HOOKS
from guardrails.manager import ESSENTIAL_PLUGINS, create_manager

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "acme" / "guardrails.yaml"


def _hookimpls(module: object) -> dict[str, object]:
    """``guardrails_*`` hook implementations visible in a module, by name."""
    return {name: getattr(module, name) for name in dir(module)
            if name.startswith("guardrails_") and hasattr(getattr(module, name), "guardrails_impl")}


@pytest.mark.parametrize("builtin", BUILTINS, ids=lambda b: b.name)
def test_the_manifest_says_what_each_builtin_provides(builtin) -> None:  # type: ignore[no-untyped-def]
    module = importlib.import_module(builtin.module)
    impls = _hookimpls(module)
    assert sorted(impls) == sorted(builtin.hooks), (
        f"{builtin.module} implements {sorted(impls)}; guardrails/builtins.py says "
        f"{sorted(builtin.hooks)}")
    for what, hook in PROVIDER_HOOKS.items():
        got = [item.name for item in impls[hook]()] if hook in impls else []  # type: ignore[operator]
        assert tuple(got) == builtin.provides(what), (builtin.name, what)


def test_every_module_with_hooks_is_registered() -> None:
    """A new plugin module left out of BUILTINS would never load: it fails here."""
    registered = {b.module for b in BUILTINS} | set(ESSENTIAL_PLUGINS)
    exported = {id(f) for m in registered for f in _hookimpls(importlib.import_module(m)).values()}
    missing = []
    for info in pkgutil.walk_packages(guardrails.__path__, "guardrails."):
        if info.name in ("guardrails.pytest_plugin", "guardrails.testing"):
            continue  # pytest's plugin, not ours
        module = importlib.import_module(info.name)
        own = {n: f for n, f in _hookimpls(module).items()
               if getattr(inspect.getmodule(f), "__name__", None) == info.name}
        if own and info.name not in registered and any(id(f) not in exported
                                                         for f in own.values()):
            missing.append(info.name)
    assert missing == [], f"add these to guardrails/builtins.py BUILTINS: {missing}"


def test_builtin_names_and_provisions_are_unique_and_ordered() -> None:
    names = [b.name for b in BUILTINS]
    assert names == sorted(names) and len(set(names)) == len(names)
    for what in PROVIDER_HOOKS:
        provided = [n for b in BUILTINS for n in b.provides(what)]
        assert len(provided) == len(set(provided)), what


def test_a_builtin_is_imported_when_first_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pm = create_manager()
    assert pm.get_plugin("source-git") is None and "source-git" in pm.deferred
    from guardrails.manager import Provided

    sources: Provided[object] = Provided(pm, "sources")
    assert sources["git"].name == "git"  # type: ignore[attr-defined]
    assert pm.get_plugin("source-git") is not None
    assert pm.get_plugin("source-github") is None
    assert "nosuch" not in sources
    assert sorted(sources) == sorted(n for b in BUILTINS for n in b.sources)
    assert pm.get_plugin("source-github") is not None
    # the header lists every plugin, imported or not, in the same order
    assert [i.name for i in pm.infos][len(ESSENTIAL_PLUGINS):] == [b.name for b in BUILTINS]


def test_a_builtin_name_wins_over_a_plugin_offering_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As when every builtin was registered at start: the builtin's answer came last."""
    from guardrails import hookimpl
    from guardrails.manager import Provided
    from guardrails.sources.files import FilesSource

    class Impostor:
        name = "files"

    class Plugin:
        @hookimpl
        def guardrails_gather_sources(self) -> list[type]:
            return [Impostor]

    pm = create_manager()
    pm.register(Plugin(), name="impostor")
    assert Provided(pm, "sources")["files"] is FilesSource
    assert Provided(pm, "sources")["files"] is FilesSource  # loaded now, still the builtin


def test_the_step_summary_variable_loads_the_markdown_reporter(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert create_manager().get_plugin("reporter-markdown") is not None
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert create_manager().get_plugin("reporter-markdown") is None


def test_a_lazily_loaded_reporter_is_blocked_by_name(project: Path) -> None:
    result = check("-p", "no:reporter-json", "--format", "json")
    assert result.exit_code == 4, result.output
    assert "unknown format 'json'" in result.output


def test_a_blocked_builtin_is_left_out_of_the_header(project: Path) -> None:
    result = check("-p", "no:source-git", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    plugins = [p["name"] for p in json.loads(result.stdout)["header"]["plugins"]]
    assert "source-git" not in plugins and "source-github" in plugins


def _modules_after(args: list[str], env: dict[str, str]) -> set[str]:
    # As the program starts (guardrails.entry.console, which ends the process itself):
    # logging deferred to its first use, a plain check read without click.
    ran = modules_after(args, env, defer_logging=True)
    assert ran.code in (0, 1), ran.output
    return ran.modules


UNNEEDED = {
    "guardrails.sources.git", "guardrails.sources.gitrun", "guardrails.sources.http",
    "guardrails.sources.github", "guardrails.sources.pagerduty", "guardrails.sources.gitlab",
    "guardrails.sources.opsgenie", "guardrails.reporters.sarif", "guardrails.reporters.junitxml",
    "guardrails.reporters.github", "guardrails.reporters.markdown", "guardrails.reporters.json",
    "requests", "urllib3", "xml.etree.ElementTree", "hashlib", "subprocess_tee",
    "jsonschema", "importlib.metadata",
    # the checks' medians are series.median, not statistics (and its random); SIGTERM is
    # set through _signal; click's "did you mean" (difflib) only for a mistyped option
    "statistics", "random", "signal", "difflib",
    # the Westrum score's exact means are integer ratios, not fractions (decimal, numbers)
    "fractions", "decimal", "numbers",
    # the builtin packs' CEL expressions were checked by the first run (celrules/typecache)
    "guardrails.celrules.parse", "guardrails.celrules.lexer", "guardrails.celrules.check",
    "guardrails.celrules.types",
    "guardrails.expressions",  # -k/-m only
    # logging's code (the CEL extension imports it unused: guardrails/deferred.py) and
    # its imports; evidence templates are read by _string's parser, not string.Formatter
    "traceback", "textwrap", "string",
    # a plain check's command line is read by guardrails.checkcmd: no click, nor its
    # gettext/locale (its own help strings) and uuid (click.types)
    "click", "gettext", "locale", "uuid", "guardrails.cli",
    # the report's Python version without platform's regexes (installed.python_version);
    # threading only when progress is drawn
    "platform", "threading",
    # CSV is parsed only when the org data cache misses (sources/files_csv.csv_rows)
    "csv",
    # no YAML parsed warm: the config from configcache.load_document, packs and org data
    # from their caches; PyYAML (and its ~20 regexes) is imported by yamlparse on a miss
    "yaml", "guardrails.yamlparse",
    # jsonschema's validators only for what jsonschema decides; pyproject.toml's reader
    # only for a config there
    "guardrails.jsonvalidators", "guardrails.configtoml", "tomllib",
    # atomic writes only for a run that writes a file (--output, baseline, init)
    "guardrails.fileio",
}


def test_a_files_only_check_imports_no_git_http_sarif_or_junit(tmp_path: Path) -> None:
    env = {**os.environ, "GUARDRAILS_PLUGIN_CACHE_DIR": str(tmp_path / "cache"),
           "NO_COLOR": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    args = ["check", "-c", str(EXAMPLE), "--now", "2026-11-20", "-q"]
    _modules_after(args, env)  # writes the entry-point cache (guardrails.distscan's scan)
    assert list((tmp_path / "cache").glob("entry-points-*.json"))
    _modules_after(args, env)  # the first warm run keeps the evidence positions (files_cache)
    mods = _modules_after(args, env)
    assert sorted(UNNEEDED & mods) == []
    assert {"guardrails.sources.files", "guardrails.reporters.terminal"} <= mods
    # --version names every plugin without importing one
    mods = _modules_after(["--version"], env)
    assert sorted(m for m in mods if m.startswith(("guardrails.sources", "guardrails.checks",
                                                   "guardrails.reporters"))) == []
    assert "pluggy" not in mods and "importlib.metadata" not in mods


def test_a_check_without_caches_imports_no_toml_or_jsonschema_validators(
        tmp_path: Path) -> None:
    ran = example_without_caches(tmp_path)
    assert not {"guardrails.jsonvalidators", "guardrails.configtoml", "tomllib"} & ran.modules
    assert "guardrails.validation" in ran.modules and "guardrails.config" in ran.modules


@pytest.mark.parametrize("text", [
    sys.version,
    "3.11.7 (main, Dec  1 2026, 10:00:00) [GCC 12.2.0]",
    "3.13.0rc1 (main, Oct  1 2026, 10:00:00) [Clang 17.0.6 ]",
    "3.14.0a1+ (heads/main:0123abc, Oct  1 2026, 00:00:00) [GCC 14.1.0]",
    "3.11 (main, Dec  1 2026, 10:00:00) [GCC 12.2.0]",  # platform adds the .0
    "3.11.7 (#1, Dec  1 2026, 10:00:00) [GCC 12.2.0]",
])
def test_the_python_version_is_platform_s(text: str) -> None:
    import platform

    assert installed.python_version(text) == platform._sys_version(text)[1]  # type: ignore[attr-defined]
    assert installed.python_version() == platform.python_version()


def test_commands_are_listed_without_importing_them() -> None:
    from guardrails.cli.main import COMMANDS, cli

    folder = Path(guardrails.__file__).parent / "cli"
    modules = {f"guardrails.cli.{p.stem}" for p in folder.glob("*.py")
               if "\ncommand = " in p.read_text("utf-8")
               or "\ncommands = " in p.read_text("utf-8")}
    assert {m for m, _ in COMMANDS.values()} == modules
    for name, (module, summary) in COMMANDS.items():
        mod = importlib.import_module(module)
        # A module holds one ``command``, or several ``commands`` (history and trend).
        command = next(c for c in getattr(mod, "commands", None) or [mod.command]
                       if c.name == name or not hasattr(mod, "commands"))
        first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
        assert summary == (command.short_help or first), name
        assert cli.get_command(None, name) is command  # type: ignore[arg-type]
    assert run_cli(["--help"]).exit_code == 0


def _fake_dist(site: Path, version: str) -> None:
    info = site / f"guardrails_fake-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: guardrails-fake\n"
                                   f"Version: {version}\n")
    (info / "entry_points.txt").write_text("[guardrails]\nfake = guardrails_fake.plugin\n")


def test_third_party_entry_points_are_found_and_the_cache_follows_installs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path / "cache"))
    site = tmp_path / "site"
    _fake_dist(site, "1.0")
    monkeypatch.syspath_prepend(str(site))
    installed._cached.cache_clear()
    try:
        assert ("fake", "guardrails_fake.plugin", "guardrails-fake", "1.0") in \
            installed.third_party_plugins()
        assert len(list((tmp_path / "cache").glob("entry-points-*.json"))) == 1
        installed._cached.cache_clear()  # a new process: read from the cache file
        assert ("fake", "guardrails_fake.plugin", "guardrails-fake", "1.0") in \
            installed.third_party_plugins()
        # an upgrade replaces the dist-info folder: the cache no longer matches
        import shutil

        shutil.rmtree(site / "guardrails_fake-1.0.dist-info")
        _fake_dist(site, "2.0")
        installed._cached.cache_clear()
        found = [e for e in installed.third_party_plugins() if e[0] == "fake"]
        assert found == [("fake", "guardrails_fake.plugin", "guardrails-fake", "2.0")]
    finally:
        installed._cached.cache_clear()


def test_a_corrupt_cache_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path))
    installed._cached.cache_clear()
    try:
        expected = installed.third_party_plugins()
        for file in tmp_path.glob("entry-points-*.json"):
            file.write_text('{"format": 1, "key": "x", "entries": [[1]]}')
        installed._cached.cache_clear()
        assert installed.third_party_plugins() == expected
        for file in tmp_path.glob("entry-points-*.json"):
            data = json.loads(file.read_text())
            data["entries"] = [["evil", 3, None, None]]
            file.write_text(json.dumps(data))
        installed._cached.cache_clear()
        assert installed.third_party_plugins() == expected
    finally:
        installed._cached.cache_clear()


def test_a_deeply_nested_cache_file_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A foreign or damaged entry-point cache nesting past json's recursion limit is a
    miss like any other damage, not a RecursionError traceback."""
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path))
    installed._cached.cache_clear()
    try:
        expected = installed.third_party_plugins()
        files = list(tmp_path.glob("entry-points-*.json"))
        assert files
        for file in files:
            file.write_text("[" * 100_000)
        installed._cached.cache_clear()
        assert installed.third_party_plugins() == expected
    finally:
        installed._cached.cache_clear()


def _click_says(option: str, *possible: str) -> str:
    """click's own wording of an unknown option (it changed between click versions)."""
    from click.exceptions import NoSuchOption

    return NoSuchOption(option, possibilities=list(possible) or None).format_message()


@pytest.mark.parametrize(("args", "said"), [
    (["--quite"], _click_says("--quite", "--quiet")),
    (["-Q"], _click_says("-Q")),
    (["-qZ"], _click_says("-Z")),
    (["-c=nosuch.yaml"], "=nosuch.yaml: config file not found"),
])
def test_check_reads_short_options_as_click_does(project: Path, args: list[str],
                                                 said: str) -> None:
    """check's parser sends ``-q``/``-c`` straight to the short options (no
    NoSuchOption, no difflib); mistakes are worded exactly as click words them."""
    result = check(*args)
    assert result.exit_code == 4, result.output
    assert said in result.output


def test_check_short_options_stacked_and_attached(project: Path) -> None:
    plain = check("--format", "json", "--quiet", "--quiet", "--config", "guardrails.yaml")
    short = check("-fjson", "-qq", "-cguardrails.yaml")
    assert plain.exit_code == short.exit_code and plain.exit_code in (0, 1)
    a, b = json.loads(plain.stdout), json.loads(short.stdout)
    assert [(r["id"], r["outcome"]) for r in a["results"]] == \
        [(r["id"], r["outcome"]) for r in b["results"]]


def test_each_family_of_cache_files_is_pruned_to_the_most_recent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every venv, install and sys.path writes cache files of its own: writing one
    keeps its family to the KEEP newest, clears temporary files a killed process
    left and an older release's pack files, and touches nothing else in the folder."""
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path))
    old = 1_000_000_000
    for i in range(cacheprune.KEEP + 5):
        stale = tmp_path / f"entry-points-{i:016x}.json"
        stale.write_text("{}")
        os.utime(stale, (old + i, old + i))
    left_tmp = tmp_path / f".entry-points-{1:016x}.json.99.tmp"
    left_tmp.write_text("half")
    os.utime(left_tmp, (old, old))
    fresh_tmp = tmp_path / f".entry-points-{2:016x}.json.98.tmp"
    fresh_tmp.write_text("being written")
    retired = tmp_path / f"pack-teams-{3:016x}.json"  # an older release's: deleted too
    retired.write_text("x")
    others = [tmp_path / "entry-points-notes.json",
              tmp_path / f"entry-points-{4:016x}.json.bak", tmp_path / "mine.txt"]
    for other in others:
        other.write_text("x")
        os.utime(other, (old, old))
    (tmp_path / f"entry-points-{'f' * 16}.json").mkdir()  # not a file: left alone
    target = tmp_path / "outside.json"
    target.write_text("keep me")
    link = tmp_path / f"entry-points-{'e' * 16}.json"
    link.symlink_to(target)
    os.utime(link, (old, old), follow_symlinks=False)
    installed._cached.cache_clear()
    try:
        installed.third_party_plugins()  # a miss: writes this sys.path's file, then prunes
    finally:
        installed._cached.cache_clear()
    kept = sorted(p.name for p in tmp_path.glob("entry-points-" + "?" * 16 + ".json")
                  if p.is_file() and not p.is_symlink())
    assert len(kept) == cacheprune.KEEP
    newest = {f"entry-points-{i:016x}.json" for i in range(6, cacheprune.KEEP + 5)}
    assert newest <= set(kept)  # the 15 newest old ones, and the one just written
    assert not left_tmp.exists() and fresh_tmp.exists()
    assert all(other.exists() for other in others) and not retired.exists()
    assert (tmp_path / f"entry-points-{'f' * 16}.json").is_dir()
    assert target.read_text() == "keep me"


def test_pruning_a_folder_it_cannot_read_is_no_error(tmp_path: Path) -> None:
    cacheprune.prune(tmp_path / "missing", "entry-points-", ".json")
    (tmp_path / "file").write_text("x")
    cacheprune.prune(tmp_path / "file", "entry-points-", ".json")


def _cel_types_file(cache: Path) -> Path:
    """Where a run with start-up caches in ``cache`` reads its CEL checks."""
    from guardrails.celrules import typecache

    saved, env = typecache._state, os.environ.get("GUARDRAILS_PLUGIN_CACHE_DIR")
    typecache._state = None
    os.environ["GUARDRAILS_PLUGIN_CACHE_DIR"] = str(cache)
    try:
        file = typecache._load()["file"]
    finally:
        typecache._state = saved
        if env is None:
            os.environ.pop("GUARDRAILS_PLUGIN_CACHE_DIR", None)
        else:
            os.environ["GUARDRAILS_PLUGIN_CACHE_DIR"] = env
    assert isinstance(file, Path) and not file.exists()
    return file


def test_a_fifo_or_folder_at_a_start_up_cache_path_is_a_miss_not_a_hang(
        tmp_path: Path) -> None:
    """Every start-up cache file (entry points, packs, CEL checks, schema verdicts)
    replaced by a FIFO (which a plain read would wait on forever) or a folder: the
    run ends, with the report it gives without caches."""
    cache = tmp_path / "cache"
    env = {**os.environ, "GUARDRAILS_PLUGIN_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    args = [sys.executable, "-m", "guardrails", "check", "-c", str(EXAMPLE),
            "--now", "2026-11-20", "-q", "--no-color"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                           check=False)
    names = sorted(p.name for p in cache.iterdir())
    # The builtin packs' validation ships (guardrails/packverdict.py): no packs file.
    assert {n.split("-")[0] for n in names} >= {"entry", "verdicts"}, names
    assert not any(n.startswith("packs-") for n in names), names
    # The example's CEL checks ship done ahead (guardrails/celrules/shipped.py): no run
    # of it writes cel-types-*.json, but each reads it first: there, too, a FIFO.
    names.insert(0, _cel_types_file(cache).name)  # n = 0: a FIFO
    for n, name in enumerate(names):
        (cache / name).unlink(missing_ok=True)
        if n % 2:
            (cache / name).mkdir()
        else:
            os.mkfifo(cache / name)
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=HANG_GUARD,
                           check=False)  # a hang fails here, as TimeoutExpired
    import re

    def timeless(text: str) -> str:
        return re.sub(r"in [0-9.]+m?s\b", "in Ts", text)

    assert (again.returncode, timeless(again.stdout)) == (first.returncode,
                                                          timeless(first.stdout))
