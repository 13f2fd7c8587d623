"""High-level GitHub calls grouped by who makes them: the App (JWT), an installation (token), a user (OAuth)."""
