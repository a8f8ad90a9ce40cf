-- assistant: which memories shaped each reply, the person's rating of it, and the onboarding
-- interview as a kind of conversation.
alter table conversation add column kind varchar(16) default 'chat' not null;
alter table chat_message add column memory_ids varchar(4000);
alter table chat_message add column rating integer;
