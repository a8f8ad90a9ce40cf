-- identity: failed sign-ins since the person last signed in, shown to them when they next do.
alter table person add column failed_sign_ins integer not null default 0;
alter table person add column last_failed_sign_in_at timestamp with time zone;
alter table person add column last_failed_sign_in_from varchar(64);
