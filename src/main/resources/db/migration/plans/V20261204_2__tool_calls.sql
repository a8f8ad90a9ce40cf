-- plans: what each app did with its tools (MCP), per person, app and tool: how many calls, how many
-- failed, and the last. Tokens an app's tool used (ask) are in the ledger like any request's.
create table app_tool_call (
    person_id       uuid         not null,
    app_id          uuid         not null,
    tool            varchar(64)  not null,
    calls           bigint       not null,
    failures        bigint       not null,
    last_at         timestamp with time zone not null,
    primary key (person_id, app_id, tool)
);
