import sys

from vaedesk.cli import main

if __name__ == "__main__":  # not when multiprocessing imports it in a child process
    sys.exit(main())
