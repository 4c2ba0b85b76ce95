-- An address is unique within an organization, not across the deployment: one person may
-- be a user of several organizations, and creating a user no longer tells an admin whether
-- an address is used elsewhere (issue 15, finding 8).
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users ADD CONSTRAINT users_org_email UNIQUE (org_id, email);
CREATE INDEX users_email ON users(email);
