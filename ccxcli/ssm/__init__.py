"""The SSM stand-in: one SQLite database and one ECDSA P-256 key per SSM folder."""
