import sys

from foleykit.corpus.build import main

sys.exit(main())
