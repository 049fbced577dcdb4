"""Where a command's details go: a log file for tracebacks and Prefect's task logs, a short
message on the screen.

A user reads one paragraph and the exit status; the traceback and every log record of the run
go to `<data_dir>/logs/fundguard.log`, which the message names.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

LOG_NAME = "fundguard.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _LazyFileHandler(logging.FileHandler):
    """A file handler that creates its folder and file only when the first record arrives, so a
    command that stops before logging anything (a refused input) writes nothing."""

    def __init__(self, path: Path):
        super().__init__(path, encoding="utf-8", delay=True)

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


class _NoErrorsOnScreen(logging.Filter):
    """Keeps errors (and their tracebacks) off the console: they are in the log file, and the
    command says what went wrong in its own words."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


def log_file(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / LOG_NAME


def route_logs(path: Path) -> Path:
    """Send every log record to `path` and keep errors off the console handlers (Prefect's)."""
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers):
        handler = _LazyFileHandler(path)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
        for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
            logging.getLogger(name).addHandler(handler)
    for logger in [root, *(logging.getLogger(n) for n in list(logging.Logger.manager.loggerDict))]:
        for h in getattr(logger, "handlers", []):
            if type(h).__name__ == "PrefectConsoleHandler" and not any(
                isinstance(f, _NoErrorsOnScreen) for f in h.filters
            ):
                h.addFilter(_NoErrorsOnScreen())
    return path


def record_failure(path: Path, exc: BaseException) -> None:
    """Append the traceback of `exc` to the log file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(exc)))
