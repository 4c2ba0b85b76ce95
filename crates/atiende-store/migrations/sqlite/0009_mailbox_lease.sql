-- One IMAP reader per mailbox across nodes: the node holding the lease reads it.
ALTER TABLE email_mailboxes ADD COLUMN locked_by TEXT;
ALTER TABLE email_mailboxes ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
