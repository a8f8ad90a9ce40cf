-- compute: energy per workload class and day, for the daily energy budgets (familiar.energy.policies.CLASS.budget-wh-per-day).
-- Written only for classes with a budget; estimates first, corrected by measurements when they come.
create table energy_day (
    on_day   date        not null,
    workload varchar(16) not null,
    wh       double precision not null,
    primary key (on_day, workload)
);
