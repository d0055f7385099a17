from __future__ import annotations

import sys

from guardrails.cli import console

if __name__ == "__main__":
    sys.exit(console())
