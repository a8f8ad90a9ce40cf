-- plans: a request's energy is measured at its backend's power source where there is one (then
-- energy_measured is true and energy_wh holds the measurement, which replaced the estimate), and
-- the grid's carbon intensity when it ran is kept beside it, so that grams of CO2 can be shown.
alter table ledger_entry add column energy_measured boolean not null default false;
alter table ledger_entry add column grid_g_per_kwh double precision;
alter table media_usage add column energy_measured boolean not null default false;
