-- A log entry may name a run of rows (PostgreSQL). Keep in step with
-- migrations/sqlite/0013_figure_changes_ranges.sql.
--
-- An entry names rows row_id to row_to (NULL: row_id alone). The triggers
-- of 0008 log a row at a time; only SQLite's bulk load of new activities
-- (src/activities/pipelined.rs) writes runs today, but the roll-up reads
-- the log the same way on both databases (src/indicators/rollup/logged.rs).
ALTER TABLE figure_changes ADD COLUMN row_to BIGINT;
