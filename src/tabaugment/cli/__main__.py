"""``python -m tabaugment.cli``: the same as the ``tabaugment`` command."""

import sys

from tabaugment.cli import main

sys.exit(main())
