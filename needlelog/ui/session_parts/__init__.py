"""The sections of the session form, one widget each, in the order a session happens.

Each section builds its own fields, loads them from a session, gives their values
back as ``SessionData`` fields, and owns its error labels and its Tab order; the
form (``ui.session_form``) only puts them on one page and saves.
"""
