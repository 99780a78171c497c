import sys

from foleykit.training.trainer import main

sys.exit(main())
