"""API usage: requests per app per day by method, counted in memory and
flushed to ``api_usage`` in batches (no database write per request)."""
