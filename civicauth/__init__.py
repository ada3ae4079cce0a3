"""civicauth: authentication layer and API v2 of a civic issue-reporting service."""

__version__ = "0.1.0"
