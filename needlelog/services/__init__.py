"""Use cases shared by the desktop app and the command line; each is one transaction."""
