"""Contract checks that every component, built in or plugged in, must pass."""

from tabaugment.testing.generators import check_generator, contract_table
from tabaugment.testing.hardness import check_hardness

__all__ = ["check_generator", "check_hardness", "contract_table"]
