-- Inbound messages that could not be stored (refused by a check, or failing twice):
-- kept raw, shown to the organization's admins, who may try again or delete them.
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    size INTEGER NOT NULL,
    raw BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX quarantine_account ON quarantine (org_id, account_id, id);
