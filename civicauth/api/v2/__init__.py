"""API v2 in SeeClickFix's shapes."""
