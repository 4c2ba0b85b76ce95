-- Who a chat visitor is as a client: by default their own identity (`chat`/`v<id>`); a visitor
-- signed by the company's backend is `chat`/`u:<their id there>` and sees their history; with
-- "email as identifier" the client of their email (`email`/address). And where they write from.
ALTER TABLE chat_visitors ADD COLUMN client_kind TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE chat_visitors ADD COLUMN client_value TEXT;
ALTER TABLE chat_visitors ADD COLUMN sees_history INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_visitors ADD COLUMN page_url TEXT;
ALTER TABLE chat_visitors ADD COLUMN user_agent TEXT;
