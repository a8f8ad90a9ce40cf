-- identity: an administrator can disable an account (it cannot sign in, its tokens stop), and
-- each person keeps their web app preferences: theme, language and the model new chats start with.
alter table person add column disabled_at timestamp with time zone;

create table person_preference (
    person_id     uuid primary key references person (id) on delete cascade,
    theme         varchar(8)   not null,
    language      varchar(16),
    default_model varchar(200),
    updated_at    timestamp with time zone not null
);
