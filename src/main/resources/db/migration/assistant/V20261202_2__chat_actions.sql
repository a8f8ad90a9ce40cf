-- assistant: the chat's everyday actions.
-- Versions: a message follows its parent (the message before it); a regenerated reply or an
-- edited message is a sibling of the one it replaces, and one of the siblings is active. The
-- conversation shows the thread of active messages from the first one on.
alter table chat_message add column parent_id uuid;
alter table chat_message add column active boolean default true not null;
-- Stop: how much of the reply (in Unicode code points) the person had been shown when they
-- stopped it; what was generated after that is not kept.
alter table chat_message add column shown_chars integer;
update chat_message set parent_id = (select p.id from chat_message p
    where p.conversation_id = chat_message.conversation_id and p.seq = chat_message.seq - 1);
create index chat_message_parent on chat_message (conversation_id, parent_id);
-- Per conversation: a system prompt and a temperature; whether the title was written by the
-- person or generated (false: still the start of the first message).
alter table conversation add column system_prompt varchar(4000);
alter table conversation add column temperature double precision;
alter table conversation add column titled boolean default false not null;
update conversation set titled = true;
