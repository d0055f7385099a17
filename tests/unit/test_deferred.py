"""``logging`` deferred while the CEL runtime loads (guardrails/deferred.py).

In a fresh interpreter (pytest has imported ``logging`` long before): the
module handed out before its code runs is the real one once used, by every
way of using it, once, from several threads at the same time.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from guardrails import deferred

SCRIPT = r'''
import sys, threading
assert "logging" not in sys.modules
from guardrails.celrules.runtime import runtime
from guardrails.deferred import defer_logging, deferred
defer_logging()  # as the guardrails program does as it starts (guardrails/entry.py)
cel = runtime()  # the extension imports logging as it loads
early = sys.modules["logging"]
assert deferred(early), "not deferred"
assert cel.evaluate("1 + 2 == 3", {}) is True  # the runtime works, logging unused
assert deferred(early) and "traceback" not in sys.modules
import logging
assert logging is early and deferred(logging)  # an import hands it out as it is

got = []
start = threading.Barrier(4)
def first_use():
    start.wait()
    got.append(logging.getLogger("guardrails.test"))
threads = [threading.Thread(target=first_use) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
assert len(got) == 4 and len({id(g) for g in got}) == 1, got
assert not deferred(logging) and sys.modules["logging"] is early
logging.basicConfig(format="%(levelname)s %(name)s %(message)s", stream=sys.stdout)
got[0].warning("it works")
from logging import Handler
import logging.handlers
assert issubclass(logging.handlers.RotatingFileHandler, Handler)
try:
    logging.no_such_name
except AttributeError as exc:
    print("AttributeError:", exc)
'''


def test_logging_runs_on_first_use_once() -> None:
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "WARNING guardrails.test it works",
        "AttributeError: module 'logging' has no attribute 'no_such_name'"]


def test_an_imported_logging_is_left_alone() -> None:
    deferred.defer_logging()
    assert sys.modules["logging"] is logging and not deferred.deferred(logging)
