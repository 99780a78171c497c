import sys

from foleykit.training.train import main

sys.exit(main())
