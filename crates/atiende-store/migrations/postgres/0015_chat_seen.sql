-- The last message of their conversation a chat visitor has seen (shown to agents as "seen").
ALTER TABLE chat_visitors ADD COLUMN seen_message_id BIGINT;
