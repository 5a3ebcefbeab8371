"""needlelog: microneedling treatment records for clinics."""

__version__ = "0.1.0"
APP_NAME = "needlelog"
