import sys

from spiral.cli import main

sys.exit(main())
