-- research: evaluation suites, their items, runs and one result per run and item (the primary key
-- is what makes a resumed run never grade an item twice). owner_id is identity's id, without a
-- foreign key because no module reads another module's tables.
create table eval_suite (
    id         uuid         primary key,
    owner_id   uuid,
    name       varchar(200) not null,
    held_out   boolean      not null default false,
    canary     varchar(100) not null,
    items      integer      not null,
    created_at timestamp with time zone not null
);

create table eval_item (
    suite_id uuid         not null references eval_suite (id) on delete cascade,
    seq      integer      not null,
    item_id  varchar(200) not null,
    body     text         not null,
    primary key (suite_id, seq),
    unique (suite_id, item_id)
);

create table eval_run (
    id           uuid         primary key,
    suite_id     uuid         not null references eval_suite (id) on delete cascade,
    owner_id     uuid,
    model        varchar(200) not null,
    grader_model varchar(200) not null,
    concurrency  integer      not null,
    status       varchar(16)  not null,
    items        integer      not null,
    created_at   timestamp with time zone not null,
    finished_at  timestamp with time zone
);

create table eval_result (
    run_id            uuid         not null references eval_run (id) on delete cascade,
    item_id           varchar(200) not null,
    reply             text,
    correct           boolean      not null,
    prompt_tokens     integer      not null,
    completion_tokens integer      not null,
    energy_wh         double precision not null,
    latency_ms        bigint       not null,
    error             varchar(1000),
    graded_at         timestamp with time zone not null,
    primary key (run_id, item_id)
);
