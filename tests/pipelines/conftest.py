"""One throwaway Prefect server and database for every flow test of the session."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
from prefect.testing.utilities import prefect_test_harness


@flow
def _warm_up() -> int:
    return 1


@pytest.fixture(scope="session")
def prefect_api():
    with temporary_settings({PREFECT_SERVER_ANALYTICS_ENABLED: False}), prefect_test_harness():
        # Prefect binds its console log handler to the stdout of its first run; make that the
        # session's stream rather than the short-lived one of a test using capsys
        _warm_up()
        yield
