"""50 ``check --record`` appends to a history month file of ~4 MB (~800 runs of 5 KB).

    python benchmarks/bench_history_append.py CODE_DIR STORE_DIR

``CODE_DIR``: a tree holding the ``guardrails`` package to measure (a
``git archive`` copy); ``STORE_DIR``: the store, filled on the first call
and growing by 50 lines a call. Time it as a whole process with
``benchmarks/pair.py`` against another tree (benchmarks/RESULTS.md,
"s28-robust").
"""
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from guardrails import history  # noqa: E402

folder = Path(sys.argv[2])
month = folder / "history-2026-11.jsonl"
if not month.exists():
    folder.mkdir(parents=True, exist_ok=True)
    results = {f"p::r{i}": {"id": f"p::r{i}", "outcome": "passed", "value": i, "title": "x" * 40}
               for i in range(60)}
    line = history.Entry(now=datetime(2026, 11, 1, tzinfo=UTC), results=results).to_json()
    import json
    text = json.dumps(line, separators=(",", ":")) + "\n"
    month.write_text(text * (4_000_000 // len(text)))
entry = history.Entry(now=datetime(2026, 11, 20, tzinfo=UTC), results={
    "p::r": {"id": "p::r", "outcome": "passed", "value": 1}})
for _ in range(50):
    history.append(folder, [entry])
