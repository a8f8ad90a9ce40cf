-- identity: what MCP's authorization asks of the provider.
-- How an app came to be registered: by its developer ('developer', the default), by itself at the
-- open registration endpoint ('self', shown as unverified; deleted if unused), or from a client ID
-- metadata document at its https client_id ('document', refreshed when stale).
alter table app_registration add column registered_by varchar(16) default 'developer' not null;
alter table app_registration add column fetched_at timestamp with time zone;
create index app_registration_self on app_registration (registered_by, created_at);

-- Refresh tokens that were rotated away, by hash: one presented again means it leaked (or the app
-- is confused), and the whole authorization is revoked (OAuth 2.0 Security BCP, RFC 9700 4.14).
create table rotated_refresh_token (
    token_hash       varchar(100) not null primary key,
    authorization_id varchar(100) not null,
    rotated_at       timestamp with time zone not null
);
create index rotated_refresh_token_at on rotated_refresh_token (rotated_at);

-- An app known by its client ID metadata document has its URL as client_id.
alter table oauth2_registered_client alter column client_id set data type varchar(300);
