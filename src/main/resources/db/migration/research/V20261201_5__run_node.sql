-- research: which replica runs an evaluation run, so that on many replicas exactly one goes on
-- with it after a stop or crash (null: a run from before replicas were recorded; anyone may claim it).
alter table eval_run add column node varchar(100);
