from __future__ import annotations

import sys

from guardrails.entry import console

if __name__ == "__main__":
    sys.exit(console())
