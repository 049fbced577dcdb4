"""kill -9 of a command leaves no Prefect API server behind (it used to: ≈200 MB each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.slow
def test_a_killed_command_takes_its_temporary_prefect_server_with_it(tiny_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["FUNDGUARD_DATA_DIR"] = str(tmp_path / "state")
    fundguard = Path(sys.executable).with_name("fundguard")
    command = subprocess.Popen(
        [str(fundguard), "train", "--data", str(tiny_dir)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = []
        deadline = time.monotonic() + 180
        while not server and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.5)
            server = [c for c in _children(command.pid) if b"uvicorn" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert server, "the command finished or never started a temporary Prefect server"
        os.kill(command.pid, signal.SIGKILL)
        command.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(_alive(s) for s in server) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(_alive(s) for s in server), "the temporary Prefect server outlived the killed command"
    finally:
        if command.poll() is None:
            command.kill()
