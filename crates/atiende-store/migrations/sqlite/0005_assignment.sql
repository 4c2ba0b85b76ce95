-- Automatic assignment (SPEC §7). Keep in step with ../postgres/0005_assignment.sql.
-- An agent's optional cap of open tickets, and when they last received one (arrival order).
ALTER TABLE users ADD COLUMN max_open_tickets INTEGER;
ALTER TABLE users ADD COLUMN last_assigned_at INTEGER;
-- The queue: open, unassigned tickets waiting for an eligible agent since `queued_at`;
-- `queue_reason` is why they still wait (also written to the assignment history).
ALTER TABLE tickets ADD COLUMN queued_at INTEGER;
ALTER TABLE tickets ADD COLUMN queue_reason TEXT;
-- The queue of an account, by why its tickets wait (probed when the reason changes).
CREATE INDEX tickets_queue ON tickets(account_id, queue_reason) WHERE queued_at IS NOT NULL;
CREATE INDEX account_agents_user ON account_agents(user_id);
