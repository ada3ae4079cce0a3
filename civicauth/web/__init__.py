"""Pages for people: sign-in, consent, sign-up, applications, account security."""
