-- The figures roll-up saved in the database (PostgreSQL). Keep in step with
-- migrations/sqlite/0010_rollup_snapshots.sql.
--
-- Loading the roll-up from the records reads every counted row (a minute at
-- national scale); a snapshot is the roll-up as it stood after log entry
-- `seq`, so a restart reads it and applies only the log entries after it
-- (src/indicators/rollup/snapshot.rs). It is valid while every log entry
-- after `seq` is still in figure_changes: the roll-up prunes the log only up
-- to the snapshot it saved, and a prune past a snapshot deletes it. Whoever
-- deletes figure_changes rows by hand must delete these rows too.
--
-- A snapshot is written part by part, each in a short transaction, under a
-- new generation; its row in rollup_snapshots is written last, so a
-- snapshot half-written (a crash) is never read.

CREATE TABLE rollup_snapshots (
    generation  BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    format      TEXT NOT NULL,
    parts       BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    checksum    TEXT NOT NULL,
    saved_at    TEXT NOT NULL
);

CREATE TABLE rollup_snapshot_parts (
    generation  BIGINT NOT NULL,
    part        BIGINT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (generation, part)
);
