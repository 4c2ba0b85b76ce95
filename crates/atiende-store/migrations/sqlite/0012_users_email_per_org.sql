-- no-transaction
-- An address is unique within an organization, not across the deployment: one person may
-- be a user of several organizations, and creating a user no longer tells an admin whether
-- an address is used elsewhere (issue 15, finding 8). SQLite cannot drop a column's UNIQUE,
-- so the table is rebuilt (https://www.sqlite.org/lang_altertable.html, "other kinds of
-- table schema changes"), foreign keys off while it is.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL,
    password_hash TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'es',
    roles TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    is_first INTEGER NOT NULL DEFAULT 0,
    connection_status_id INTEGER REFERENCES connection_statuses(id),
    status_changed_at INTEGER,
    created_at INTEGER NOT NULL,
    max_open_tickets INTEGER,
    last_assigned_at INTEGER,
    UNIQUE (org_id, email)
);
INSERT INTO users_rebuilt (id, org_id, email, password_hash, first_name, last_name, phone, department,
    language, roles, active, is_first, connection_status_id, status_changed_at, created_at,
    max_open_tickets, last_assigned_at)
SELECT id, org_id, email, password_hash, first_name, last_name, phone, department,
    language, roles, active, is_first, connection_status_id, status_changed_at, created_at,
    max_open_tickets, last_assigned_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_org ON users(org_id, id);
CREATE INDEX users_email ON users(email);
COMMIT;
PRAGMA foreign_keys = ON;
