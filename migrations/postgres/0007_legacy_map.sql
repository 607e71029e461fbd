-- The pre-2025 map (PostgreSQL). Keep in step with migrations/sqlite/0007_legacy_map.sql.
--
-- Every record is written at today's unit (scope_path); legacy_path says where
-- it lies on the map before the 2025 reform (63 provinces, their districts and
-- 10.035 communes), so that a period ending before 1 July 2025 is counted on
-- the units of its time. It is derived when a row is written, by the triggers
-- below, from the most precise fact the row has: the pre-2025 unit named on it
-- (legacy_code), else its village's, else its organisation's, else the home of
-- its current unit. A current unit formed from several old ones has as its
-- home their deepest common ancestor (a district or a province), so such a
-- record counts in that district's or province's total but in no old commune:
-- it is never put in a commune it may not have been in.
--
-- Writing a row with legacy_path NULL (an insert, or `UPDATE … SET
-- legacy_path = NULL` for a backfill) derives it again, as does a change of
-- the facts it is derived from.

-- One row per current unit: the legacy path of its home, filled with the
-- reference units (src/db/reference.rs).
CREATE TABLE legacy_home (
    code        TEXT PRIMARY KEY,
    legacy_path TEXT NOT NULL
);

-- The pre-2025 commune a village belonged to, when its commune was formed
-- from several (otherwise the only one is its home).
ALTER TABLE villages ADD COLUMN legacy_code TEXT;

ALTER TABLE villages ADD COLUMN legacy_path TEXT;
CREATE INDEX villages_legacy ON villages (legacy_path text_pattern_ops);
CREATE FUNCTION villages_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.legacy_code IS DISTINCT FROM OLD.legacy_code)) THEN
        NEW.legacy_path := COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER villages_legacy BEFORE INSERT OR UPDATE ON villages FOR EACH ROW EXECUTE FUNCTION villages_legacy_path();

ALTER TABLE organisations ADD COLUMN legacy_path TEXT;
CREATE INDEX organisations_legacy ON organisations (legacy_path text_pattern_ops);
CREATE FUNCTION organisations_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.unit_code IS DISTINCT FROM OLD.unit_code)) THEN
        NEW.legacy_path := (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER organisations_legacy BEFORE INSERT OR UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION organisations_legacy_path();

ALTER TABLE activities ADD COLUMN legacy_path TEXT;
CREATE INDEX activities_legacy ON activities (legacy_path text_pattern_ops);
CREATE FUNCTION activities_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.legacy_code IS DISTINCT FROM OLD.legacy_code OR NEW.village_id IS DISTINCT FROM OLD.village_id)) THEN
        NEW.legacy_path := COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER activities_legacy BEFORE INSERT OR UPDATE ON activities FOR EACH ROW EXECUTE FUNCTION activities_legacy_path();

ALTER TABLE festival_days ADD COLUMN legacy_path TEXT;
CREATE INDEX festival_days_legacy ON festival_days (legacy_path text_pattern_ops);
CREATE FUNCTION festival_days_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.legacy_code IS DISTINCT FROM OLD.legacy_code OR NEW.village_id IS DISTINCT FROM OLD.village_id)) THEN
        NEW.legacy_path := COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER festival_days_legacy BEFORE INSERT OR UPDATE ON festival_days FOR EACH ROW EXECUTE FUNCTION festival_days_legacy_path();

ALTER TABLE registrations ADD COLUMN legacy_path TEXT;
CREATE INDEX registrations_legacy ON registrations (legacy_path text_pattern_ops);
CREATE FUNCTION registrations_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.subject_id IS DISTINCT FROM OLD.subject_id)) THEN
        NEW.legacy_path := COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS BIGINT)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS BIGINT)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER registrations_legacy BEFORE INSERT OR UPDATE ON registrations FOR EACH ROW EXECUTE FUNCTION registrations_legacy_path();

ALTER TABLE assessments ADD COLUMN legacy_path TEXT;
CREATE INDEX assessments_legacy ON assessments (legacy_path text_pattern_ops);
CREATE FUNCTION assessments_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.subject_id IS DISTINCT FROM OLD.subject_id)) THEN
        NEW.legacy_path := COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS BIGINT)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS BIGINT)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assessments_legacy BEFORE INSERT OR UPDATE ON assessments FOR EACH ROW EXECUTE FUNCTION assessments_legacy_path();

ALTER TABLE model_points ADD COLUMN legacy_path TEXT;
CREATE INDEX model_points_legacy ON model_points (legacy_path text_pattern_ops);
CREATE FUNCTION model_points_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.village_id IS DISTINCT FROM OLD.village_id)) THEN
        NEW.legacy_path := COALESCE((SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER model_points_legacy BEFORE INSERT OR UPDATE ON model_points FOR EACH ROW EXECUTE FUNCTION model_points_legacy_path();

ALTER TABLE teams ADD COLUMN legacy_path TEXT;
CREATE INDEX teams_legacy ON teams (legacy_path text_pattern_ops);
CREATE FUNCTION teams_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.commune_code IS DISTINCT FROM OLD.commune_code)) THEN
        NEW.legacy_path := (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER teams_legacy BEFORE INSERT OR UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION teams_legacy_path();

ALTER TABLE awards ADD COLUMN legacy_path TEXT;
CREATE INDEX awards_legacy ON awards (legacy_path text_pattern_ops);
CREATE FUNCTION awards_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.recipient_legacy_code IS DISTINCT FROM OLD.recipient_legacy_code)) THEN
        NEW.legacy_path := COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.recipient_legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER awards_legacy BEFORE INSERT OR UPDATE ON awards FOR EACH ROW EXECUTE FUNCTION awards_legacy_path();

ALTER TABLE tips ADD COLUMN legacy_path TEXT;
CREATE INDEX tips_legacy ON tips (legacy_path text_pattern_ops);
CREATE FUNCTION tips_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.unit_code IS DISTINCT FROM OLD.unit_code)) THEN
        NEW.legacy_path := (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tips_legacy BEFORE INSERT OR UPDATE ON tips FOR EACH ROW EXECUTE FUNCTION tips_legacy_path();
