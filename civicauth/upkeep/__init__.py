"""Background upkeep: what has expired or was revoked, and API usage counts
past their keeping, is deleted by the running service (background.py), one
process at a time, in small batches (purge.py); ``civicauth tokens purge``
runs the same purge once (commands.py)."""
