"""Every bearer secret: codes, access and refresh tokens, personal access tokens."""
