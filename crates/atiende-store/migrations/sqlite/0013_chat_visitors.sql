-- Web chat visitors: each has a secret token (its SHA-256 kept) that the widget keeps in the
-- browser, and is a client of the account (identity kind `chat`, value `v<id>`).
CREATE TABLE chat_visitors (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    email TEXT,
    rut TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX chat_visitors_account ON chat_visitors (account_id, id);
