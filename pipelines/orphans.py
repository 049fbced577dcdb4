"""No orphan outlives a killed command: the temporary Prefect API server dies with it.

Without a Prefect server configured, Prefect starts a temporary API server as a child process for
each command and stops it at exit; a `kill -9` of the command skips that, and the server (≈200 MB)
would run on. On Linux the child is started with PR_SET_PDEATHSIG, so the kernel sends it SIGTERM
when the command's process ends, however it ends. Elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import functools
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def tie_prefect_server_to_this_process() -> bool:
    """Make Prefect's temporary API server (started later, if at all) die with this process.
    Returns whether it could (Linux, and a Prefect that starts it the way this expects)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        from prefect.server.api import server
    except ImportError:
        return False
    launcher = getattr(server.SubprocessASGIServer, "_run_uvicorn_command", None)
    if launcher is None or getattr(launcher, "_tied", False):
        return launcher is not None

    @functools.wraps(launcher)
    def tied(self):
        real = subprocess.Popen
        subprocess.Popen = functools.partial(real, preexec_fn=_die_with_parent)  # type: ignore[misc]
        try:
            return launcher(self)
        finally:
            subprocess.Popen = real  # type: ignore[misc]

    tied._tied = True  # type: ignore[attr-defined]
    server.SubprocessASGIServer._run_uvicorn_command = tied
    return True
