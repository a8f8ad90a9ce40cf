-- compute: the replicas serving together. Each renews its row while it runs; a replica whose
-- lease expired is gone (killed, or its pod replaced), and the first survivor to delete its row
-- cleans up after it: settles its reservations, takes over its evaluation runs.
create table replica (
    node       varchar(100) primary key,
    started_at timestamp with time zone not null,
    expires_at timestamp with time zone not null
);
