-- The board, unread markers and password resets (SQLite). Keep in step with ../postgres/0002_board.sql.
CREATE TABLE board_columns (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'tickets',
    filter TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX board_columns_user ON board_columns(user_id, position);

-- When a user last looked at a ticket: a ticket updated since then is unread for them.
CREATE TABLE ticket_reads (
    user_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);

CREATE INDEX tickets_created_list ON tickets(org_id, state, created_at DESC, id DESC);
