"""``python -m groundstation`` is the ``groundstation`` command."""

import sys

from groundstation.cli import main

sys.exit(main())
