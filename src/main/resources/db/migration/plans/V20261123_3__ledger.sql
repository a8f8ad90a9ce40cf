-- plans: the usage ledger. Entries are only ever added: a 'reserve' when a request is admitted,
-- a 'settle' (real usage) when it ends; one of each per request id at most.
create table plan_account (
    person_id    uuid   primary key,
    -- tokens reserved by requests not settled yet; changed only under this row's lock
    held_tokens  bigint not null default 0
);

create table ledger_entry (
    request_id        varchar(64)  not null,
    kind              varchar(8)   not null,
    person_id         uuid         not null,
    token_id          uuid,
    model             varchar(200) not null,
    backend           varchar(100) not null default '',
    workload          varchar(16)  not null,
    tokens            bigint       not null,
    prompt_tokens     bigint       not null default 0,
    completion_tokens bigint       not null default 0,
    energy_wh         double precision not null default 0,
    outcome           varchar(16),
    node              varchar(100) not null,
    at                timestamp with time zone not null,
    primary key (request_id, kind)
);

create index ledger_entry_person_at on ledger_entry (person_id, kind, at);

-- Settled usage per person and hour, kept beside the entries so that the balance in a window is a
-- sum over at most (window / 1 hour) rows, not over every request ever made.
create table usage_bucket (
    person_id uuid   not null,
    starts_at timestamp with time zone not null,
    tokens    bigint not null,
    requests  bigint not null,
    energy_wh double precision not null,
    primary key (person_id, starts_at)
);

-- What a person lets one app (an access token, later an OAuth client) spend per 30 days.
create table source_cap (
    person_id    uuid   not null,
    source_id    uuid   not null,
    token_budget bigint not null,
    primary key (person_id, source_id)
);

-- Settled usage per person, app and hour, for the caps.
create table source_bucket (
    person_id uuid   not null,
    source_id uuid   not null,
    starts_at timestamp with time zone not null,
    tokens    bigint not null,
    primary key (person_id, source_id, starts_at)
);

-- A person's own token budget, set by an administrator, in place of their plan's.
create table plan_override (
    person_id    uuid   primary key,
    token_budget bigint not null
);
