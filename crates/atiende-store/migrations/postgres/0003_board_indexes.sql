-- Board columns filter open tickets by addressed / awaiting answer / assignee and sort by
-- update or creation time: these indexes let such a column read its first page (and stop
-- its capped count) without scanning every open ticket.
CREATE INDEX tickets_board ON tickets(org_id, state, addressed, awaiting_answer, updated_at, id);
CREATE INDEX tickets_board_assignee ON tickets(assignee_id, state, addressed, awaiting_answer, updated_at, id);
