-- identity: devices linked with the device flow stay linked (rotated refresh tokens) and have a
-- name, a kind and a last-seen time. A device is one authorization of the device grant: its id is
-- that authorization's id, which refresh rotation keeps, and deleting the authorization unlinks it.
create table linked_device (
    id              varchar(100) not null primary key,
    person_id       uuid         not null,
    registered_client_id varchar(100) not null,
    name            varchar(100) not null,
    kind            varchar(16)  not null,
    linked_at       timestamp with time zone not null,
    last_seen_at    timestamp with time zone
);
create index linked_device_person on linked_device (person_id);

-- Apps registered before may send notifications; device apps may be devices.
update oauth2_registered_client set scopes = scopes || ',familiar.notify' where scopes not like '%familiar.notify%'
    and scopes like '%familiar.assistant%';
update oauth2_registered_client set scopes = scopes || ',familiar.device' where scopes not like '%familiar.device%'
    and authorization_grant_types like '%device_code%';
