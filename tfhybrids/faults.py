"""Fault points: exact moments at which the resume tests kill a run.

Lives below training and export, which both mark points, so that neither imports the other.
"""

import os
import signal


def fault_point(name):
    """Kills this process with SIGKILL at the named point when TFHYBRIDS_FAULT says so.

    Used by the resume tests to kill a run at exact moments (mid-epoch, while a checkpoint or
    an export is being written). TFHYBRIDS_FAULT is "point" or "point:N" (the N-th time the
    point is reached, 1-based).
    """
    wanted = os.environ.get("TFHYBRIDS_FAULT")
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _FAULT_COUNTS[name] = _FAULT_COUNTS.get(name, 0) + 1
    if _FAULT_COUNTS[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_FAULT_COUNTS = {}
