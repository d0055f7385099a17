"""The gather phase of a run: build the configured sources, and ask each for the
facts the selected rules read.

:meth:`guardrails.session.Session.gather` is this module's :func:`gather`: the
session conducts the run, this is one of its phases. Kept apart because it is
an idea of its own, with its own vocabulary (a source's options, what it
provides and requires, the order sources read each other's facts in, a source
failing one kind or all), and the conductor reads more plainly without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from guardrails import facts as factsmod
from guardrails import validation
from guardrails.configmodel import Config
from guardrails.errors import ConfigError, SourceError
from guardrails.plugin import Source, SourceEnv
from guardrails.progress import Progress
from guardrails.records import FACTORY, record

if TYPE_CHECKING:
    from guardrails.configmodel import RunOptions
    from guardrails.manager import GuardrailsPluginManager
    from guardrails.model import Rule


@record
class SourceState:
    """A configured source in this run: what it gathered, or why it failed."""

    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    error: SourceError | None = None

    def __init__(self, source: Source, counts: dict[str, int] = FACTORY,
                 error: SourceError | None = None) -> None:
        self.source = source
        self.counts = {} if counts is FACTORY else counts
        self.error = error


class SessionView(Protocol):
    """What gathering reads and writes of :class:`guardrails.session.Session` (named
    here, not imported: the session imports this module)."""

    config: Config
    options: RunOptions
    now: datetime
    lookback: timedelta
    pm: GuardrailsPluginManager | None
    rules: list[Rule]
    checks: Mapping[str, Any]
    metrics: Mapping[str, Any]
    sources: dict[str, SourceState]
    store: factsmod.FactStore
    warnings: list[str]

    def source_types(self) -> Mapping[str, type[Source]]: ...

    def needed_kinds(self) -> set[str]: ...


def source_class(config: Config, name: str,
                 types: Mapping[str, type[Source]]) -> type[Source]:
    """The class of configured source ``name``, its options validated (ConfigError)."""
    cls = types.get(name)
    if cls is None:
        raise ConfigError(
            f"unknown source {name!r}", file=config.display_path,
            line=config.line_of("sources", name),
            fix=f"known sources: {', '.join(sorted(types)) or '(none loaded)'}",
        )
    validation.validate(config.sources[name], cls.schema,
                        file=config.display_path, positions=config.positions,
                        what=f"source {name!r}", base_path=("sources", name),
                        error_cls=ConfigError)
    return cls


def gather(session: SessionView, kinds: set[str] | list[str] | None = None,
           sources: tuple[str, ...] | list[str] | None = None) -> factsmod.FactStore:
    """Build the configured sources, validate them, and gather facts.

    :param kinds: fact kinds to gather (with the kinds their joins need);
        default: the kinds the selected rules read.
    :param sources: only these configured sources (``validate`` asks the
        files source alone); default: every configured source.
    :return: the fact store, joined.
    """
    assert session.pm is not None
    types = session.source_types()
    env = SourceEnv(
        root=session.config.root, now=session.now, window=session.config.window + session.lookback,
        timezone=session.config.timezone, offline=session.options.offline,
        cache_dir=session.config.cache_dir, allow_outside_root=session.config.allow_outside_root,
        config=session.config, facts=session.store.get,
        progress=session.options.progress or Progress(),
    )
    for name, opts in session.config.sources.items():
        if sources is not None and name not in sources:
            continue
        session.sources[name] = SourceState(source_class(session.config, name, types)(opts, env))
    for state in session.sources.values():
        state.source.validate()
    needed = (session.needed_kinds() if kinds is None
              else session.store.kinds.with_requirements(kinds))
    for state in session.sources.values():
        if state.source.provides() & needed:  # what it reads from other sources
            needed |= session.store.kinds.with_requirements(state.source.requires())
    warn_unprovided(session, needed)
    # A source that reads other sources' facts gathers after them.
    for name, state in sorted(session.sources.items(),
                              key=lambda item: bool(item[1].source.requires())):
        wanted = state.source.provides() & needed
        if not wanted:
            continue
        # One task per source: a source that reports no progress of its own
        # still shows which one is working.
        with env.progress.task(state.source.describe(), unit="facts") as task:
            try:
                got = state.source.gather(wanted)
            except SourceError as exc:
                state.error = exc
                for kind in wanted:
                    session.store.fail(kind, exc)
                continue
            task.advance(sum(len(v) for v in got.values() if isinstance(v, Sequence)))
        if not type(state.source).__module__.startswith("guardrails."):
            got = _checked(session, state.source, got)
        failed = [kind for kind, items in got.items() if isinstance(items, SourceError)]
        if failed:
            _failed_kinds(session, state, got, failed)
        for kind, items in got.items():
            if not isinstance(items, SourceError):
                session.store.add(kind, items, name)
                state.counts[kind] = len(items)
    session.store.locators = [loc for s in session.sources.values()
                           if (loc := getattr(s.source, "locate", None)) is not None]
    factsmod.join(session.store, session.now)
    session.pm.hook.guardrails_gather_finish(config=session.config, store=session.store)
    for state in session.sources.values():
        session.warnings.extend(state.source.warnings)
    session.warnings.extend(session.store.warnings)
    return session.store


def _checked(session: SessionView, source: Source, got: Mapping[str, Any]) -> dict[str, Any]:
    """A plugin source's facts, each kind that breaks what every join and check
    relies on (a list of dicts, each with its id: docs/plugins.md, "Facts")
    replaced by a SourceError that says so: its rules become ``error`` with the
    reason, never a traceback or a pass on facts nobody can name. Builtin sources
    are not checked again (their facts come from validated files or are built
    by the source itself, and their tests hold them to this)."""
    out = dict(got)
    name = source.name
    for kind, items in got.items():
        if isinstance(items, SourceError):
            continue
        if isinstance(items, tuple):  # was always taken as a list
            items = out[kind] = list(items)
        elif not isinstance(items, list):
            out[kind] = SourceError(name, f"its {kind} are a {type(items).__name__}, "
                                    "not a list of facts (docs/plugins.md, \"Facts\")")
            continue
        k = session.store.kinds.get(kind)
        key = (k.id_field or None) if k is not None else None  # "" names no field
        bad = [i for i, f in enumerate(items)
               if type(f) is not dict or (key is not None and f.get(key) is None)]
        if bad:
            first = items[bad[0]]
            what = (f"is a {type(first).__name__}, not a dict" if type(first) is not dict
                    else f"has no {key}")
            out[kind] = SourceError(
                name, f"{len(bad)} of its {len(items)} {kind} facts are not facts guardrails "
                f"can name (the first, number {bad[0] + 1}, {what}); each fact is a dict with "
                f"its {key or 'fields'} set (docs/plugins.md, \"Facts\")")
    return out


def _failed_kinds(session: SessionView, state: SourceState,
                  got: Mapping[str, Any], failed: list[str]) -> None:
    """A source failed some kinds and not the others (a missing token scope, an
    unreadable CODEOWNERS): the rules on those kinds are errors with the reason,
    the kinds are not counted (the report's header shows no "0 codeowners"), and
    a warning says which kinds and why. A source that failed every kind asked of
    it failed, as if it had raised."""
    for kind in failed:
        session.store.fail(kind, got[kind])
    reasons = dict.fromkeys(got[kind].message for kind in failed)
    if len(failed) == len(got):
        state.error = got[failed[0]]
        return
    session.warnings.append(f"{state.source.describe()}: no {', '.join(sorted(failed))} "
                            f"facts: {'; '.join(reasons)}")


def warn_unprovided(session: SessionView, needed: set[str]) -> None:
    """Warn of each kind the rules read that no source provides and no plugin registers."""
    provided = set().union(*(s.source.provides() for s in session.sources.values()))
    for kind in sorted(needed - provided - set(session.store.kinds)):
        users = ", ".join(r.nodeid for r in session.rules
                          if kind in session.checks[r.check].needs(r, session.metrics))
        session.warnings.append(f"{users} read(s) facts {kind!r}, which no configured "
                             f"source provides and guardrails does not know "
                             f"(known kinds: {', '.join(session.store.kinds)})")
