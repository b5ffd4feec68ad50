"""``python -m tfnpy``: the ``tfnpy`` command (see ``tfnpy.cli``)."""

import sys

from tfnpy.cli import main

sys.exit(main())
