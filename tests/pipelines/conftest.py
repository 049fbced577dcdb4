"""One throwaway Prefect server and database for every flow test of the session."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.settings import (
    PREFECT_SERVER_ANALYTICS_ENABLED,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness


@flow
def _warm_up() -> int:
    return 1


@pytest.fixture(scope="session")
def prefect_api():
    settings = {PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 180}
    with temporary_settings(settings), prefect_test_harness(server_startup_timeout=180):
        # Prefect binds its console log handler to the stdout of its first run; make that the
        # session's stream rather than the short-lived one of a test using capsys
        _warm_up()
        yield
