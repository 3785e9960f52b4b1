"""Outgoing mail: an outbox in the database, sent over SMTP by the mailer (`flask mail run`)."""
