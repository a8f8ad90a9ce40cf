-- research: the energy of an item's requests is corrected to the measured figure when its
-- backend's power source reports it (a few seconds after it was graded).
alter table eval_result add column energy_measured boolean not null default false;
-- the grid's carbon intensity (gCO2/kWh) when the item was graded, where a forecast gave it
alter table eval_result add column grid_g_per_kwh double precision;
