"""``python -m yeastcell.cli``: the `yeastcell` command line."""

import sys

from .dispatch import main

sys.exit(main())
