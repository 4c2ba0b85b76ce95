-- The newest agent message already mailed to a chat visitor who had not read it.
ALTER TABLE chat_visitors ADD COLUMN emailed_up_to INTEGER;
