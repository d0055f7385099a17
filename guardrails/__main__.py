from __future__ import annotations

import sys

from guardrails.entry import main

if __name__ == "__main__":
    sys.exit(main())
