-- The outbox is a queue table: every job is written, claimed and settled, and each settle leaves a
-- dead row whose entry stays in the (status, priority, runAt) index until vacuum. Claims read past
-- them: with 100,000 unvacuumed dead rows a claim took 54 ms instead of 1.6 ms (npm run
-- bench:queue, BENCHMARKS.md). PostgreSQL's default waits for 20% of the table to be dead, which on
-- a table of a million jobs is 200,000 rows; this table is vacuumed and analyzed at 2% instead, so
-- its statistics also follow a backlog as it builds up.
ALTER TABLE "Job" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
