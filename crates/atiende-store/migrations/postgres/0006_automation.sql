-- Automatic actions (SPEC §4.2). An automatic message records which action sent it;
-- the replies that answer incoming messages go at most once per ticket each.
ALTER TABLE messages ADD COLUMN auto_action TEXT;
CREATE UNIQUE INDEX messages_auto_once ON messages(ticket_id, auto_action)
    WHERE auto_action IN ('out_of_hours', 'no_agent', 'new_client', 'on_creation');
-- When automation looked at an incoming message (each one is answered at most once).
ALTER TABLE messages ADD COLUMN reacted_at BIGINT;
-- The first human answer against the account's SLA, recorded when it happens (analytics).
ALTER TABLE tickets ADD COLUMN first_response_micros BIGINT;
ALTER TABLE tickets ADD COLUMN first_response_sla_micros BIGINT;
