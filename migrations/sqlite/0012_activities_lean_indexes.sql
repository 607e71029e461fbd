-- Fewer index entries to write for each activity (SQLite). Keep in step with
-- migrations/postgres/0012_activities_lean_indexes.sql.
--
-- Every activity written pays an entry in each index of the table; a
-- million-row import spends most of its writing there (docs/PERFORMANCE.md,
-- "thirteenth part").
--
-- activities_legacy (0007) served no query here: the pre-2025 map matches
-- `legacy_path LIKE` inside an expression (Scope::path_expr), and SQLite's
-- LIKE never seeks a plain index (case_sensitive_like is off). The one
-- statement that reads by it, the re-derivation of NULL paths when the
-- reference map is loaded, runs once and may scan.
DROP INDEX activities_legacy;

-- Only the activities of a village are looked up by village (its move to
-- another old commune, 0011; a key-area decision; a village's deletion
-- under foreign keys), and `village_id = ?` implies NOT NULL, so the index
-- keeps those alone: conferences, mediation cases and a commune's own
-- sessions no longer add an entry each.
DROP INDEX activities_village;
CREATE INDEX activities_village ON activities (village_id) WHERE village_id IS NOT NULL;
