-- media: generated and uploaded files with their signed manifests, video jobs, and the registry of
-- characters and likenesses with their rules and every use of them.
create table media_file (
    id             uuid         primary key,
    owner_id       uuid         not null,
    kind           varchar(16)  not null,
    content_type   varchar(100) not null,
    content        bytea        not null,
    content_sha256 varchar(64)  not null,
    file_sha256    varchar(64)  not null,
    origin         varchar(16)  not null,
    model          varchar(200),
    backend        varchar(100),
    prompt         varchar(4000),
    characters     varchar(4000) not null default '',
    manifest       varchar(20000) not null,
    url_key_sha256 varchar(64),
    url_expires_at timestamp with time zone,
    created_at     timestamp with time zone not null
);

create index media_file_owner on media_file (owner_id, created_at);
create index media_file_sha on media_file (file_sha256);
create index media_file_content_sha on media_file (content_sha256);

create table media_job (
    id           varchar(64)  primary key,
    owner_id     uuid         not null,
    model        varchar(200) not null,
    prompt       varchar(4000) not null,
    seconds      int          not null,
    size         varchar(32)  not null,
    status       varchar(16)  not null,
    progress     int          not null default 0,
    backend      varchar(100),
    backend_job  varchar(200),
    file_id      uuid,
    error        varchar(2000),
    characters   varchar(4000) not null default '',
    node         varchar(100) not null,
    created_at   timestamp with time zone not null,
    completed_at timestamp with time zone
);

create index media_job_owner on media_job (owner_id, created_at);

create table media_character (
    id          uuid          primary key,
    holder_id   uuid          not null,
    kind        varchar(16)   not null,
    name        varchar(200)  not null,
    handle      varchar(64)   not null unique,
    aliases     varchar(2000) not null default '',
    description varchar(4000) not null default '',
    audience    varchar(16)   not null,
    approved    varchar(4000) not null default '',
    forbidden   varchar(2000) not null default '',
    attribution varchar(500)  not null default '',
    feature_me  boolean       not null default false,
    withdrawn_at timestamp with time zone,
    created_at  timestamp with time zone not null
);

create index media_character_holder on media_character (holder_id);

create table media_reference (
    id           uuid        primary key,
    character_id uuid        not null,
    sha256       varchar(64) not null,
    dhash        bigint      not null,
    content_type varchar(100) not null,
    content      bytea       not null
);

create index media_reference_character on media_reference (character_id);

create table media_character_use (
    id           uuid          primary key,
    character_id uuid          not null,
    user_id      uuid          not null,
    username     varchar(100)  not null,
    allowed      boolean       not null,
    rule         varchar(32)   not null,
    detail       varchar(500)  not null,
    prompt       varchar(300)  not null,
    file_id      uuid,
    at           timestamp with time zone not null
);

create index media_character_use_character on media_character_use (character_id, at);
