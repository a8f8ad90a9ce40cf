-- assistant: web chat conversations. person_id is identity's id, kept without a foreign key
-- because no module reads another module's tables.
create table conversation (
    id         uuid primary key,
    person_id  uuid         not null,
    title      varchar(200) not null,
    model      varchar(200) not null,
    created_at timestamp with time zone not null,
    updated_at timestamp with time zone not null
);

create index conversation_person on conversation (person_id, updated_at);

create table chat_message (
    id              uuid primary key,
    conversation_id uuid        not null references conversation (id) on delete cascade,
    seq             integer     not null,
    role            varchar(16) not null,
    content         text        not null,
    status          varchar(16) not null,
    detail          varchar(1000),
    model           varchar(200),
    created_at      timestamp with time zone not null,
    unique (conversation_id, seq)
);
