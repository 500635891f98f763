"""Named points where a test can kill the process, to prove recovery after a crash.

`DATA_CYMRU_KILL_AT=<point>` makes the process SIGKILL itself when it reaches that point, so a
crash lands exactly where a test wants it, not wherever a timer happens to fire. Unset, a point
costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "DATA_CYMRU_KILL_AT"


def crash_point(name: str) -> None:
    """Die here, at once and without cleanup, if a test asked for it."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
