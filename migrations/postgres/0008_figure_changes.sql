-- Changes to the records figures are counted from (PostgreSQL). Keep in step with
-- migrations/sqlite/0008_figure_changes.sql.
--
-- The roll-up of figures (src/indicators/rollup/) is held in memory and kept
-- current from this log: every insert, update or delete of a counted record
-- appends (table, id), and before each read the roll-up re-reads the rows
-- logged since it last looked. Re-reading a row is idempotent, so a row logged
-- twice (a trigger's own update, say) costs a little and changes nothing.
-- The roll-up deletes the entries it has applied.
--
-- A reader that has seen seq N must never later be handed a smaller one, or
-- it would skip that change for good. Identity values are taken in one order
-- and committed in another, so every writer of the log first takes one
-- transaction-scoped advisory lock: log entries are then committed in the
-- order of their seq. Db::begin takes the same lock at the start of every
-- write transaction, before any row lock, so the two cannot deadlock.

CREATE TABLE figure_changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tbl     TEXT NOT NULL,
    row_id  BIGINT NOT NULL
);

CREATE FUNCTION figure_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2025070108);
    IF TG_OP = 'DELETE' THEN
        INSERT INTO figure_changes (tbl, row_id) VALUES (TG_TABLE_NAME, OLD.id);
    ELSE
        INSERT INTO figure_changes (tbl, row_id) VALUES (TG_TABLE_NAME, NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION figure_change_of_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2025070108);
    IF TG_OP = 'DELETE' THEN
        INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', OLD.activity_id);
    ELSE
        INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', NEW.activity_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER activities_figures AFTER INSERT OR UPDATE OR DELETE ON activities FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER festival_days_figures AFTER INSERT OR UPDATE OR DELETE ON festival_days FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER awards_figures AFTER INSERT OR UPDATE OR DELETE ON awards FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER tips_figures AFTER INSERT OR UPDATE OR DELETE ON tips FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER villages_figures AFTER INSERT OR UPDATE OR DELETE ON villages FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER registrations_figures AFTER INSERT OR UPDATE OR DELETE ON registrations FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER assessments_figures AFTER INSERT OR UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER model_points_figures AFTER INSERT OR UPDATE OR DELETE ON model_points FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER teams_figures AFTER INSERT OR UPDATE OR DELETE ON teams FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER members_figures AFTER INSERT OR UPDATE OR DELETE ON members FOR EACH ROW EXECUTE FUNCTION figure_change();
CREATE TRIGGER activity_units_figures AFTER INSERT OR UPDATE OR DELETE ON activity_units FOR EACH ROW EXECUTE FUNCTION figure_change_of_campaign();
