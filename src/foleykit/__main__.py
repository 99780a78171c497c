import sys

from foleykit.cli import main

sys.exit(main())
