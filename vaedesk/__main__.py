import sys

from vaedesk.cli import main

if __name__ == "__main__":  # run as `python -m vaedesk`, not when imported
    sys.exit(main())
