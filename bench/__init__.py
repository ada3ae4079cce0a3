"""The load benchmark: scenarios, the wrk driver and the runner (``bench/run.py``)."""
