-- plans: images and seconds of video, metered in their own units beside the token ledger. A row is
-- written when the work is admitted (reserved: the most it may make) and settled once when it ends
-- (used: what was made, with its energy); a row never settled was left by a crash, and is settled at zero.
create table media_usage (
    request_id varchar(64)  primary key,
    person_id  uuid         not null,
    unit       varchar(16)  not null,
    model      varchar(200) not null,
    backend    varchar(100) not null default '',
    reserved   bigint       not null,
    used       bigint,
    energy_wh  double precision not null default 0,
    outcome    varchar(16),
    -- the replica that reserved it: what a crashed or departed replica left is settled at zero
    node       varchar(100) not null,
    at         timestamp with time zone not null,
    settled_at timestamp with time zone
);

create index media_usage_person_at on media_usage (person_id, unit, at);

create index media_usage_open on media_usage (node, settled_at);
