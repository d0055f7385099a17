"""CEL runtimes for rule expressions, and a CEL rule against its JSON Schema twin.

    python benchmarks/bench_cel.py [--size 100000] [--whole]

In process, the first rule of issue 12 (``where: fact.severity == "SEV1" &&
has(fact.resolved_at)``, ``expect: has(fact.postmortem) &&
fact.postmortem.published_at - fact.resolved_at <= duration("120h")``) over
N incident facts (timestamps as aware datetimes, a joined postmortem on most),
on each candidate that is installed:

- ``common-expression-language`` (Rust), the way guardrails runs it: the
  fields the expressions read converted once a fact, both programs on one
  context (guardrails.celrules);
- ``cel-expr-python`` (Google's C++ CEL): timestamps must be protobuf
  ``Timestamp`` messages inside maps, so each fact is converted;
- ``cel-python`` (pure Python), on N/50 facts, scaled to N;
- the JSON Schema twin (``where`` severity SEV1 and resolved_at present,
  ``expect`` postmortem present: JSON Schema cannot subtract timestamps) on
  jsonschema-rs, the way guardrails runs it (JSON views of the facts).

With ``--whole``, also ``guardrails check`` in a fresh process on an org of N
incidents (incidents.jsonl, one postmortem in 50), once with the CEL rule and
once with its JSON Schema twin. Targets: the CEL pair under 3 s for 100,000
facts; the whole CEL run under 2x the JSON Schema run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
WHERE = 'fact.severity == "SEV1" && has(fact.resolved_at)'
EXPECT = ('has(fact.postmortem) && '
          'fact.postmortem.published_at - fact.resolved_at <= duration("120h")')
WHERE_JS = {"required": ["severity", "resolved_at"],
            "properties": {"severity": {"const": "SEV1"}}}
EXPECT_JS = {"required": ["postmortem"], "properties": {"postmortem": {"type": "object"}}}
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def facts(n: int) -> list[dict]:
    out = []
    for i in range(n):
        created = BASE + timedelta(minutes=7 * i)
        f = {"id": f"INC-{i}", "created_at": created, "title": f"incident {i}",
             "severity": f"SEV{1 + i % 3}", "service": f"svc-{i % 40}", "status": "resolved",
             "resolved_at": created + timedelta(hours=3)}
        if i % 10:
            f["postmortem"] = {"incident": f["id"], "status": "reviewed", "file": f"{i}.md",
                               "published_at": created + timedelta(days=1 + i % 9),
                               "authors": ["ann"], "action_items": []}
        out.append(f)
    return out


def timed(label: str, n: int, scale: int, fn) -> None:  # type: ignore[no-untyped-def]
    """Wall and CPU seconds (this process): on a shared machine CPU time is the steadier."""
    start, cpu = time.perf_counter(), time.process_time()
    failing = fn()
    took = (time.perf_counter() - start) * scale
    used = (time.process_time() - cpu) * scale
    print(f"{label:34} wall {took:7.2f} s  cpu {used:7.2f} s  {used / n * 1e6:7.1f} "
          f"cpu-us/fact  ({failing} failing)")


def bench_rust(fs: list[dict]) -> int:
    from guardrails.celrules.rules import merge
    from guardrails.celrules.runtime import Facts, compile_expression, context, evaluate
    from guardrails.datakinds import BUILTIN
    from guardrails.facts import FactStore

    w = compile_expression(WHERE, "incidents", BUILTIN)
    e = compile_expression(EXPECT, "incidents", BUILTIN)
    uses = merge([w.uses["fact"], e.uses["fact"]])
    conv = Facts(FactStore(), BUILTIN)
    now, window = BASE, timedelta(days=90)
    bad = 0
    for f in fs:
        ctx = context({"fact": conv.convert("incidents", f, uses), "now": now, "window": window})
        if evaluate(w, ctx) and not evaluate(e, ctx):
            bad += 1
    return bad


def bench_google(fs: list[dict]) -> int:
    from cel_expr_python import cel  # type: ignore[import-not-found]
    from google.protobuf import timestamp_pb2  # type: ignore[import-not-found]

    env = cel.NewEnv(variables={"fact": cel.Type.Map(cel.Type.STRING, cel.Type.DYN)})
    w, e = env.compile(WHERE), env.compile(EXPECT)

    def conv(v):  # type: ignore[no-untyped-def]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, datetime):
            ts = timestamp_pb2.Timestamp()
            ts.FromDatetime(v)
            return ts
        return v
    bad = 0
    for f in fs:
        data = {"fact": conv(f)}
        if w.eval(data=data).value() is True and e.eval(data=data).value() is not True:
            bad += 1
    return bad


def bench_celpy(fs: list[dict]) -> int:
    import celpy  # type: ignore[import-not-found]

    env = celpy.Environment()
    w, e = env.program(env.compile(WHERE)), env.program(env.compile(EXPECT))
    bad = 0
    for f in fs:
        act = {"fact": celpy.json_to_cel(f)}
        if w.evaluate(act) and not e.evaluate(act):
            bad += 1
    return bad


def bench_jsonschema(fs: list[dict]) -> int:
    from guardrails.factjson import json_view
    from guardrails.fastvalid import predicate

    w, e = predicate(WHERE_JS, rule=True), predicate(EXPECT_JS, rule=True)
    assert w is not None and e is not None
    memo: dict = {}
    return sum(1 for f in fs
               if w(v := json_view("incidents", f, 1, memo)) and not e(v))


def write_org(n: int) -> Path:
    root = CACHE / f"cel-{n}"
    if (root / ".complete").exists():
        return root
    (root / "org" / "postmortems").mkdir(parents=True, exist_ok=True)
    (root / "rules").mkdir(exist_ok=True)
    with open(root / "org" / "incidents.jsonl", "w", encoding="utf-8") as out:
        for f in facts(n):
            row = {k: (v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v)
                   for k, v in f.items() if k != "postmortem"}
            out.write(json.dumps(row) + "\n")
            pm = f.get("postmortem")
            if pm is not None and int(f["id"][4:]) % 50 == 1:
                (root / "org" / "postmortems" / f"{f['id']}.md").write_text(
                    f"---\nincident: {f['id']}\nstatus: reviewed\npublished_at: "
                    f"{pm['published_at'].strftime('%Y-%m-%d')}\n---\n## Summary\nx\n",
                    encoding="utf-8")
    for name, where, expect in (("cel", WHERE, EXPECT), ("json", WHERE_JS, EXPECT_JS)):
        (root / f"{name}.yaml").write_text(
            f"rules: [rules/{name}.yaml]\nsources: {{files: {{path: org}}}}\n",
            encoding="utf-8")
        rule = {"pack": name, "rules": [{"id": "sev1-postmortem", "check": "each",
                                         "facts": "incidents", "where": where,
                                         "expect": expect}]}
        (root / "rules" / f"{name}.yaml").write_text(json.dumps(rule), encoding="utf-8")
    (root / ".complete").write_text("", encoding="utf-8")
    return root


def whole(n: int) -> None:
    root = write_org(n)
    took = {}
    for name in ("json", "cel"):
        cmd = [sys.executable, "-m", "guardrails", "check", "-c", str(root / f"{name}.yaml"),
               "--now", "2026-11-20", "-q"]
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=False)
            runs.append(time.perf_counter() - start)
        took[name] = min(runs)
        print(f"whole run, {name:4} rule: {took[name]:6.2f} s (best of 3): {' '.join(cmd)}")
    print(f"whole run CEL / JSON Schema: {took['cel'] / took['json']:.2f} (target < 2)")


def main(argv: list[str]) -> None:
    n = int(argv[argv.index("--size") + 1]) if "--size" in argv else 100_000
    fs = facts(n)
    print(f"{n} incident facts, where + expect of issue 12's first rule")
    timed("common-expression-language (Rust)", n, 1, lambda: bench_rust(fs))
    timed("JSON Schema twin (jsonschema-rs)", n, 1, lambda: bench_jsonschema(fs))
    for label, fn, scale in (("cel-expr-python (C++)", bench_google, 1),
                             ("cel-python (pure Python)", bench_celpy, 50)):
        try:
            timed(label, n, scale, lambda fn=fn, scale=scale: fn(fs[: n // scale]))
        except ImportError as exc:
            print(f"{label:34} not installed ({exc.name})")
    if "--whole" in argv:
        whole(n)


if __name__ == "__main__":
    main(sys.argv[1:])
