"""`python -m callerid` runs the same command line as the `callerid` script."""

import sys

from callerid.cli import main

sys.exit(main())
