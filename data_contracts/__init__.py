"""The claims contract: typed loading of a dataset folder and GX checks of every contract rule.

The validation names are imported on first use, so that loading tables does not pay for
importing Great Expectations.
"""

from data_contracts.errors import ContractViolation, Finding
from data_contracts.tables import KEYS, SCHEMAS, load_dataset, load_labels

_LAZY = {"ValidationReport", "validate_dataset", "validate_tables"}

__all__ = [
    "KEYS",
    "SCHEMAS",
    "ContractViolation",
    "Finding",
    "ValidationReport",
    "load_dataset",
    "load_labels",
    "validate_dataset",
    "validate_tables",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from data_contracts import validate

        return getattr(validate, name)
    raise AttributeError(f"module 'data_contracts' has no attribute {name!r}")
