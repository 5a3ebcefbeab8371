"""PDF documents built from service results: the progress report and the session handout."""
