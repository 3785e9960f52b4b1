"""The admin console at /admin: server-rendered pages behind an admin key exchanged for a session cookie."""
