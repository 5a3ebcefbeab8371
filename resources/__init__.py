"""The files needlelog ships: face and body map, fonts with their licences, icons.

This folder is installed inside the package as ``needlelog.resources``
(pyproject.toml maps it); ``needlelog.resource_files`` is the one place that
finds its files. The package holds no code.
"""
