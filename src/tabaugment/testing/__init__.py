"""Public contract checks that every component, plugins included, must pass."""

from tabaugment.testing.common import check_parameters
from tabaugment.testing.curators import check_curator, curator_case
from tabaugment.testing.generators import check_generator, contract_table
from tabaugment.testing.hardness import check_hardness
from tabaugment.testing.selectors import check_selector, selector_case

__all__ = [
    "check_curator",
    "check_generator",
    "check_hardness",
    "check_parameters",
    "check_selector",
    "contract_table",
    "curator_case",
    "selector_case",
]
