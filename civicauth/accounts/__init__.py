"""Users, passwords and the security audit log."""
