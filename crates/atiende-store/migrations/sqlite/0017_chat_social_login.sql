-- A chat visitor's social login under way (Google or Facebook, OpenID Connect code flow): the
-- state's hash names it, the nonce and PKCE verifier check what comes back, and what the
-- widget gave at the start (its origin, page, RUT, phone). Used once, within ten minutes.
CREATE TABLE chat_logins (
    state_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    origin TEXT NOT NULL,
    page_url TEXT,
    rut TEXT,
    phone TEXT,
    user_agent TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX chat_logins_created ON chat_logins (created_at);
