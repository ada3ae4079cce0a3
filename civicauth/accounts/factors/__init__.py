"""Second factors: TOTP (RFC 6238), recovery codes, and WebAuthn passkeys /
security keys. Services never commit: the request edge owns the transaction."""
