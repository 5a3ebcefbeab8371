"""The consent windows: the signature pad, the signing view, the templates tab of
Clinic settings, the patient record's consent panel and the session form's gate."""
