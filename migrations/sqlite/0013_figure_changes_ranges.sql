-- A log entry may name a run of rows (SQLite). Keep in step with
-- migrations/postgres/0013_figure_changes_ranges.sql.
--
-- The triggers of 0008 log a row at a time: an entry names rows row_id to
-- row_id. A bulk load of new activities (src/activities/pipelined.rs) gives
-- its rows consecutive ids, suspends the per-row insert trigger inside its
-- own transaction and logs each chunk as one entry naming row_id to row_to
-- (db/bulk.rs, RangeLog). The trigger cost a million-row import 0,6–0,9 s
-- of its ~6 s (docs/PERFORMANCE.md, "fourteenth part"). NULL: row_id alone.
ALTER TABLE figure_changes ADD COLUMN row_to INTEGER;
