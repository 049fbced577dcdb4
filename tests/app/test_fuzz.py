"""The OpenAPI schema fuzzed with schemathesis: for every operation, schema-conforming and
malformed requests, with random and with real path values (a scored period, a listed entity),
as a reviewer and as a supervisor. No request may get a server error."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from testkit import bearer

FUZZ = settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_no_request_gets_a_server_error(app, tokens, scores_dir, role):
    period = sorted(p.name for p in scores_dir.iterdir())[-1]
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    real = {"period": period, "entity_type": "provider", "entity_id": top}
    seen: list[tuple[str, int]] = []
    ops = operations(app)
    assert len(ops) >= 10  # every API operation and page is in the schema
    for op in ops:
        names = re.findall(r"{(\w+)}", op.path)
        fixed = [None, {k: real[k] for k in names}] if names else [None]
        for mode in MODES:
            for path_parameters in fixed:

                @given(case=op.as_strategy(generation_mode=mode, path_parameters=path_parameters))
                @FUZZ
                def run(case):
                    response = case.call(headers=bearer(tokens[role]))
                    seen.append((op.label, response.status_code))  # noqa: B023 (called within this iteration)
                    assert response.status_code < 500, (
                        f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}: "
                        f"{response.status_code} {response.text[:300]}"
                    )

                try:
                    run()
                except Unsatisfiable:  # nothing to make malformed (an operation without inputs)
                    assert mode is schemathesis.GenerationMode.NEGATIVE
    codes = {code for _, code in seen}
    assert 200 in codes and any(400 <= c < 500 for c in codes)  # both kinds were exercised
