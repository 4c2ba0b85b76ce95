-- SLA overdue events (SPEC §4.1): the waiting period whose overdue event was emitted.
ALTER TABLE tickets ADD COLUMN overdue_notified_since BIGINT;
