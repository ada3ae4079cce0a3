"""The keys that sign ID tokens (OpenID Connect Core 1.0 §10.1): rows in the
database, private parts sealed under the secret key, so that every worker and
host signs with the same key and publishes the same JWKS."""
