"""The OAuth 2.0 provider: the ONLY importer of authlib.oauth2."""
