"""The operator console at ``/admin``: for operators only; everyone else,
signed out included, gets the plain 404 of an unknown path."""
