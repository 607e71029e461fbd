-- Changes to the records figures are counted from (SQLite). Keep in step with
-- migrations/postgres/0008_figure_changes.sql.
--
-- The roll-up of figures (src/indicators/rollup/) is held in memory and kept
-- current from this log: every insert, update or delete of a counted record
-- appends (table, id), and before each read the roll-up re-reads the rows
-- logged since it last looked. Re-reading a row is idempotent, so a row logged
-- twice (a trigger's own update, say) costs a little and changes nothing.
-- The roll-up deletes the entries it has applied.

CREATE TABLE figure_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl     TEXT NOT NULL,
    row_id  INTEGER NOT NULL
);

CREATE TRIGGER activities_figures_insert AFTER INSERT ON activities BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', NEW.id); END;
CREATE TRIGGER activities_figures_update AFTER UPDATE ON activities BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', NEW.id); END;
CREATE TRIGGER activities_figures_delete AFTER DELETE ON activities BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', OLD.id); END;

CREATE TRIGGER festival_days_figures_insert AFTER INSERT ON festival_days BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('festival_days', NEW.id); END;
CREATE TRIGGER festival_days_figures_update AFTER UPDATE ON festival_days BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('festival_days', NEW.id); END;
CREATE TRIGGER festival_days_figures_delete AFTER DELETE ON festival_days BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('festival_days', OLD.id); END;

CREATE TRIGGER awards_figures_insert AFTER INSERT ON awards BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('awards', NEW.id); END;
CREATE TRIGGER awards_figures_update AFTER UPDATE ON awards BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('awards', NEW.id); END;
CREATE TRIGGER awards_figures_delete AFTER DELETE ON awards BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('awards', OLD.id); END;

CREATE TRIGGER tips_figures_insert AFTER INSERT ON tips BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('tips', NEW.id); END;
CREATE TRIGGER tips_figures_update AFTER UPDATE ON tips BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('tips', NEW.id); END;
CREATE TRIGGER tips_figures_delete AFTER DELETE ON tips BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('tips', OLD.id); END;

CREATE TRIGGER villages_figures_insert AFTER INSERT ON villages BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('villages', NEW.id); END;
CREATE TRIGGER villages_figures_update AFTER UPDATE ON villages BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('villages', NEW.id); END;
CREATE TRIGGER villages_figures_delete AFTER DELETE ON villages BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('villages', OLD.id); END;

CREATE TRIGGER registrations_figures_insert AFTER INSERT ON registrations BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('registrations', NEW.id); END;
CREATE TRIGGER registrations_figures_update AFTER UPDATE ON registrations BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('registrations', NEW.id); END;
CREATE TRIGGER registrations_figures_delete AFTER DELETE ON registrations BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('registrations', OLD.id); END;

CREATE TRIGGER assessments_figures_insert AFTER INSERT ON assessments BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('assessments', NEW.id); END;
CREATE TRIGGER assessments_figures_update AFTER UPDATE ON assessments BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('assessments', NEW.id); END;
CREATE TRIGGER assessments_figures_delete AFTER DELETE ON assessments BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('assessments', OLD.id); END;

CREATE TRIGGER model_points_figures_insert AFTER INSERT ON model_points BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('model_points', NEW.id); END;
CREATE TRIGGER model_points_figures_update AFTER UPDATE ON model_points BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('model_points', NEW.id); END;
CREATE TRIGGER model_points_figures_delete AFTER DELETE ON model_points BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('model_points', OLD.id); END;

CREATE TRIGGER teams_figures_insert AFTER INSERT ON teams BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('teams', NEW.id); END;
CREATE TRIGGER teams_figures_update AFTER UPDATE ON teams BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('teams', NEW.id); END;
CREATE TRIGGER teams_figures_delete AFTER DELETE ON teams BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('teams', OLD.id); END;

CREATE TRIGGER members_figures_insert AFTER INSERT ON members BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('members', NEW.id); END;
CREATE TRIGGER members_figures_update AFTER UPDATE ON members BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('members', NEW.id); END;
CREATE TRIGGER members_figures_delete AFTER DELETE ON members BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('members', OLD.id); END;

-- The units a campaign covered count it too: a change to them is a change
-- of the campaign.
CREATE TRIGGER activity_units_figures_insert AFTER INSERT ON activity_units BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', NEW.activity_id); END;
CREATE TRIGGER activity_units_figures_delete AFTER DELETE ON activity_units BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', OLD.activity_id); END;
