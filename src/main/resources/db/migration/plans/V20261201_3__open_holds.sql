-- plans: open holds leave the ledger for a small table of their own. A request's hold lives in
-- ledger_hold while it runs and is deleted in the same transaction that appends its one 'settle'
-- entry to ledger_entry, which now records what was reserved beside what was charged. The ledger
-- so takes one row per request instead of two, and the rows that change on every request stay in
-- a table as small as what is in flight. Settlements take no lock and change no counter of held tokens.
create table ledger_hold (
    request_id varchar(64)  primary key,
    person_id  uuid         not null,
    token_id   uuid,
    model      varchar(200) not null,
    workload   varchar(16)  not null,
    tokens     bigint       not null,
    node       varchar(100) not null,
    at         timestamp with time zone not null
);

alter table ledger_entry add column reserved bigint not null default 0;

insert into ledger_hold (request_id, person_id, token_id, model, workload, tokens, node, at)
select r.request_id, r.person_id, r.token_id, r.model, r.workload, r.tokens, r.node, r.at from ledger_entry r
where r.kind = 'reserve'
  and not exists (select 1 from ledger_entry s where s.request_id = r.request_id and s.kind = 'settle');

update ledger_entry set reserved = coalesce((select r.tokens from ledger_entry r
  where r.request_id = ledger_entry.request_id and r.kind = 'reserve'), 0)
where kind = 'settle';

delete from ledger_entry where kind = 'reserve';

-- What a person holds is the sum of their open holds; plan_account stays as the row a
-- reservation locks to check a budget.
create index ledger_hold_person on ledger_hold (person_id);
alter table plan_account drop column held_tokens;
