-- identity: the OpenID Connect provider (Spring Authorization Server's JDBC schema, adapted).
-- Every token value (codes, access, refresh and ID tokens, device and user codes, state) is stored
-- as "sha256:" + its hash, never as itself, so the columns are short and indexed.
create table oauth2_registered_client (
    id                            varchar(100)  not null primary key,
    client_id                     varchar(100)  not null unique,
    client_id_issued_at           timestamp with time zone default current_timestamp not null,
    client_secret                 varchar(200),
    client_secret_expires_at      timestamp with time zone,
    client_name                   varchar(200)  not null,
    client_authentication_methods varchar(1000) not null,
    authorization_grant_types     varchar(1000) not null,
    redirect_uris                 varchar(1000),
    post_logout_redirect_uris     varchar(1000),
    scopes                        varchar(1000) not null,
    client_settings               varchar(2000) not null,
    token_settings                varchar(2000) not null
);

create table oauth2_authorization (
    id                            varchar(100)  not null primary key,
    registered_client_id          varchar(100)  not null,
    principal_name                varchar(200)  not null,
    authorization_grant_type      varchar(100)  not null,
    authorized_scopes             varchar(1000),
    attributes                    text,
    state                         varchar(100),
    authorization_code_value      varchar(100),
    authorization_code_issued_at  timestamp with time zone,
    authorization_code_expires_at timestamp with time zone,
    authorization_code_metadata   text,
    access_token_value            varchar(100),
    access_token_issued_at        timestamp with time zone,
    access_token_expires_at       timestamp with time zone,
    access_token_metadata         text,
    access_token_type             varchar(100),
    access_token_scopes           varchar(1000),
    oidc_id_token_value           varchar(100),
    oidc_id_token_issued_at       timestamp with time zone,
    oidc_id_token_expires_at      timestamp with time zone,
    oidc_id_token_metadata        text,
    refresh_token_value           varchar(100),
    refresh_token_issued_at       timestamp with time zone,
    refresh_token_expires_at      timestamp with time zone,
    refresh_token_metadata        text,
    user_code_value               varchar(100),
    user_code_issued_at           timestamp with time zone,
    user_code_expires_at          timestamp with time zone,
    user_code_metadata            text,
    device_code_value             varchar(100),
    device_code_issued_at         timestamp with time zone,
    device_code_expires_at        timestamp with time zone,
    device_code_metadata          text
);

create index oauth2_authorization_state on oauth2_authorization (state);
create index oauth2_authorization_code on oauth2_authorization (authorization_code_value);
create index oauth2_authorization_access on oauth2_authorization (access_token_value);
create index oauth2_authorization_id_token on oauth2_authorization (oidc_id_token_value);
create index oauth2_authorization_refresh on oauth2_authorization (refresh_token_value);
create index oauth2_authorization_user_code on oauth2_authorization (user_code_value);
create index oauth2_authorization_device_code on oauth2_authorization (device_code_value);
create index oauth2_authorization_principal on oauth2_authorization (principal_name, registered_client_id);

create table oauth2_authorization_consent (
    registered_client_id varchar(100)  not null,
    principal_name       varchar(200)  not null,
    authorities          varchar(1000) not null,
    primary key (registered_client_id, principal_name)
);

-- Who registered an app (null: the operator, from the command line) and its logo.
create table app_registration (
    registered_client_id varchar(100) primary key,
    owner_id             uuid references person (id) on delete cascade,
    logo_uri             varchar(500),
    created_at           timestamp with time zone not null
);

-- The keys ID tokens are signed with. The newest unretired key signs; every unretired key is
-- published at /oauth2/jwks, so tokens signed before a rotation stay verifiable until retired.
create table oauth_signing_key (
    kid         varchar(64)   primary key,
    private_key varchar(4000) not null,
    public_key  varchar(1000) not null,
    created_at  timestamp with time zone not null,
    retired_at  timestamp with time zone
);
