import sys

from foleykit.training.trainer import main

if __name__ == "__main__":  # the corpus is synthesised by spawned processes, which re-import this module
    sys.exit(main())
