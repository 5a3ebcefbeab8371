"""Records in and out: CSV, JSON and FHIR exports, CSV/JSON imports, backups."""
