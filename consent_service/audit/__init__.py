"""The audit log: who did what to which target through the admin console, and when."""
