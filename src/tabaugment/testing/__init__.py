"""Contract checks that every component, built in or plugged in, must pass."""

from tabaugment.testing.generators import check_generator, contract_table

__all__ = ["check_generator", "contract_table"]
