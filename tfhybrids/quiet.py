"""Keeps TensorFlow's start-up notices off the command line's stderr.

TensorFlow 2.21 writes 6-8 lines to stderr in every process (the oneDNN notice twice, "Could
not find cuda drivers", `E0000 ... failed call to cuInit`, `E0000 ... oneDNN supports DT_INT32
only ...`), which look like failures and push the real message off the screen. Most of them
are written before absl's C++ logging is initialised, so `TF_CPP_MIN_LOG_LEVEL` does not
reach them, and nothing else configures them. So `quiet_tensorflow` (called by the `tfhybrids`
command before TensorFlow is imported, unless `--debug` is given):

- sets `TF_CPP_MIN_LOG_LEVEL=2` if the user has not set it (logging only; oneDNN and every
  other numerical setting, `TF_ENABLE_ONEDNN_OPTS` included, are left alone),
- sets the Python absl logger to errors only,
- routes file descriptor 2 through a small filter process that drops exactly the known notice
  lines (`NOISE`) and C++ log lines below `TF_CPP_MIN_LOG_LEVEL`, and passes every other byte
  through in order. A separate process, not a thread, so that a crash message written just
  before an abort still reaches the terminal.
"""

import atexit
import os
import re
import signal
import sys
import time

# A C++ absl/TF log line: severity letter, MMDD, time, thread id, file:line].
_LOG_LINE = re.compile(rb"^([IWEF])\d{4} [\d:.]+\s+\d+ [^\]]+\] ")
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}
# Harmless notices TensorFlow logs at ERROR level, or before logging is initialised.
NOISE = re.compile(
    rb"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|^E\d{4} .*\] failed call to cuInit"
    rb"|^E\d{4} .*\] oneDNN supports DT_\w+ only on platforms with AVX-512"
    rb"|^E\d{4} .*\] Unable to register cu(DNN|FFT|BLAS) factory"
    rb"|^E\d{4} .*\] computation placer already registered"
    rb"|^To enable the following instructions: .* rebuild TensorFlow with the appropriate "
    rb"compiler flags\.")

_filter_pid = None


def is_noise(line, min_level=2):
    """True for a stderr line (bytes) that `quiet_tensorflow` drops."""
    match = _LOG_LINE.match(line)
    if match and _SEVERITY[match.group(1)] < min_level:
        return True
    return NOISE.match(line) is not None


def _min_level():
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def _run_filter(read_end, min_level):
    """The filter process: copies lines from the pipe to the real stderr, minus the noise."""
    # Ctrl-C goes to the whole process group; the filter must outlive the parent's last words.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if not is_noise(line, min_level):
                    os.write(2, line)
    finally:
        os._exit(0)


def _filter_native_stderr():
    global _filter_pid
    min_level = _min_level()
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        _run_filter(read_end, min_level)
    os.close(read_end)
    original = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    _filter_pid = pid

    def restore():
        # Hand stderr back and let the filter drain, so its last lines come before the
        # shell's prompt (a subprocess still holding the pipe only delays it by the timeout).
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(original, 2)
        for _ in range(200):
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.01)

    atexit.register(restore)


def quiet_tensorflow(filter_stderr=True):
    """Silences TensorFlow's notices for this process; call it before importing TensorFlow.

    Args:
        filter_stderr: bool. Also filter file descriptor 2 (see the module docstring). Only
            done once per process, on POSIX, and only while TensorFlow is not imported yet
            (it forks). Defaults to True.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass
    if (filter_stderr and _filter_pid is None and hasattr(os, "fork")
            and "tensorflow" not in sys.modules):
        _filter_native_stderr()
