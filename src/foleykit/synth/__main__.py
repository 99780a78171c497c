import sys

from foleykit.synth.dataset import main

sys.exit(main())
