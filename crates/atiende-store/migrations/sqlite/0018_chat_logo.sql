-- The image a chat account shows in its bubble (seed 000 "Logo para botón de chat"), checked
-- by its bytes when uploaded; `etag` is its content hash, for caching.
CREATE TABLE chat_logos (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    etag TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
