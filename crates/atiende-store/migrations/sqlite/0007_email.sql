-- The email channel (SPEC §3, §4.4). Keep in step with ../postgres/0007_email.sql.
-- Files that came with a message; `data` is NULL when the file was over the size limit.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT,
    inline INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    data BLOB
);
CREATE INDEX attachments_message ON attachments(message_id, id);
-- Where the reading of an IMAP mailbox stands: the last UID stored under a UIDVALIDITY.
CREATE TABLE email_mailboxes (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    uid_validity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- The generated forwarding address of an email account, and its pending validation.
ALTER TABLE accounts ADD COLUMN inbound_address TEXT;
CREATE UNIQUE INDEX accounts_inbound_address ON accounts(inbound_address) WHERE inbound_address IS NOT NULL;
ALTER TABLE accounts ADD COLUMN validation_token TEXT;
