"""``python -m needlelog``."""

from needlelog.cli import main

raise SystemExit(main())
