"""Entry point of the desktop bundle: the same front door as the ``needlelog`` command.

Without arguments it opens the desktop app; with a subcommand (``demo``,
``report``, ``check``...) it runs the command line, so one installed folder
serves the practitioner and the clinic's scripts alike.
"""

from needlelog.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
