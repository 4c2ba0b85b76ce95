-- One node runs each account's listener (mailbox reader, poller): a lease per account,
-- taken over on expiry. Replaces the email-only lease on email_mailboxes.
CREATE TABLE listener_leases (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    locked_by TEXT,
    locked_until INTEGER NOT NULL DEFAULT 0
);
