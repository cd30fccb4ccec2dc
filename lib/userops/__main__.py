"""``python -m userops``: see :mod:`userops.cli`."""
import sys

from userops.cli import main

sys.exit(main())
