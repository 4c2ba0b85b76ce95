-- Atiende foundation schema (SQLite). Times: INTEGER microseconds UTC. Ids: INTEGER.
-- JSON documents are TEXT. Keep in step with ../postgres/0001_foundation.sql.
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    next_ticket_number INTEGER NOT NULL DEFAULT 1,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE connection_statuses (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    assignable INTEGER NOT NULL,
    builtin TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
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
    created_at INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id, id);

CREATE TABLE user_status_log (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    connection_status_id INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX user_status_log_user ON user_status_log(user_id, started_at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    secrets BLOB,
    status TEXT NOT NULL DEFAULT 'active',
    status_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id, id);

CREATE TABLE account_agents (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    mode TEXT NOT NULL,
    PRIMARY KEY (account_id, user_id)
);

CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL DEFAULT '',
    influencer INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    merged_into_id INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX clients_org ON clients(org_id, id);

CREATE TABLE client_identities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (org_id, kind, value)
);
CREATE INDEX client_identities_client ON client_identities(client_id);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    number INTEGER NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    client_id INTEGER NOT NULL REFERENCES clients(id),
    state TEXT NOT NULL,
    important INTEGER NOT NULL DEFAULT 0,
    addressed INTEGER NOT NULL DEFAULT 0,
    addressed_at INTEGER,
    awaiting_answer INTEGER NOT NULL DEFAULT 1,
    waiting_since INTEGER,
    last_agent_message_at INTEGER,
    priority INTEGER NOT NULL DEFAULT 0,
    assignee_id INTEGER REFERENCES users(id),
    tags TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    merged_into_id INTEGER,
    reopened_count INTEGER NOT NULL DEFAULT 0,
    excerpt TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    UNIQUE (org_id, number)
);
-- One open (or ignored) ticket per client per account, enforced by the database.
CREATE UNIQUE INDEX tickets_one_open ON tickets(account_id, client_id) WHERE state <> 'closed';
CREATE INDEX tickets_list ON tickets(org_id, updated_at DESC, id DESC);
CREATE INDEX tickets_state_list ON tickets(org_id, state, updated_at DESC, id DESC);
CREATE INDEX tickets_client ON tickets(client_id, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, state);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    account_id INTEGER NOT NULL,
    direction TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_user_id INTEGER REFERENCES users(id),
    text TEXT NOT NULL,
    html TEXT,
    delivery TEXT,
    delivery_error TEXT,
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    external_id TEXT,
    parent_external_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
-- Deduplication by the platform's message id, per account.
CREATE UNIQUE INDEX messages_external ON messages(account_id, direction, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    user_id INTEGER,
    previous_user_id INTEGER,
    actor_user_id INTEGER,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX assignments_ticket ON assignments(ticket_id, id);

-- Events recorded in the same transaction as the change that caused them.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ticket_id INTEGER,
    message_id INTEGER,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX events_created ON events(created_at);

-- Durable jobs (outbox delivery, timers). Claimed with a lease.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(run_at, locked_until);
