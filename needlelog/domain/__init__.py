"""Clinical vocabulary and rules: plain Python, no Qt, no SQL."""
