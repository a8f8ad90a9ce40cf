-- identity: people and their personal access tokens (only the SHA-256 of a token is stored).
create table person (
    id            uuid primary key,
    username      varchar(64)  not null unique,
    password_hash varchar(255) not null,
    admin         boolean      not null default false,
    plan          varchar(64),
    created_at    timestamp with time zone not null
);

create table access_token (
    id           uuid primary key,
    person_id    uuid         not null references person (id) on delete cascade,
    label        varchar(100) not null,
    token_hash   varchar(64)  not null unique,
    hint         varchar(16)  not null,
    workload     varchar(16)  not null,
    created_at   timestamp with time zone not null,
    last_used_at timestamp with time zone,
    revoked_at   timestamp with time zone
);

create index access_token_person on access_token (person_id);
