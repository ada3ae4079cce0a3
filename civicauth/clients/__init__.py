"""Registered applications (OAuth clients)."""
