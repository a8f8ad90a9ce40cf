-- memory: what Familiar knows about each person. person_id is identity's id, kept without a
-- foreign key because no module reads another module's tables.

-- One row a person: memory settings, personality, and a version that every change to the
-- person's memories bumps (under this row's lock), so each replica's in-memory index can tell
-- whether it is current with one primary-key read.
create table memory_book (
    person_id      uuid        primary key,
    version        bigint      not null,
    paused         boolean     not null default false,
    preset         varchar(16) not null default 'default',
    verbosity      integer     not null default 3,
    warmth         integer     not null default 3,
    humour         integer     not null default 3,
    interviewed_at timestamp with time zone
);

create table memory (
    id           uuid          primary key,
    person_id    uuid          not null,
    content      varchar(1000) not null,
    kind         varchar(16)   not null,
    source       varchar(16)   not null,
    source_ref   varchar(200),
    -- '*' every app the person lets read memories; '' Familiar only; otherwise app ids, comma-separated
    apps         varchar(1000) not null,
    -- float32 little-endian, unit length (bge-small-en-v1.5, 384 dimensions)
    embedding    bytea         not null,
    created_at   timestamp with time zone not null,
    updated_at   timestamp with time zone not null,
    last_used_at timestamp with time zone,
    used_count   integer       not null default 0
);

create index memory_person on memory (person_id, updated_at);

-- Thumbs up or down on a reply; a reason turns into a preference memory.
create table memory_feedback (
    id         uuid         primary key,
    person_id  uuid         not null,
    reply_ref  varchar(100) not null,
    rating     integer      not null,
    reason     varchar(500),
    memory_id  uuid,
    created_at timestamp with time zone not null
);

create index memory_feedback_person on memory_feedback (person_id, created_at);
