-- A campaign may name the pre-2025 units it covered (PostgreSQL). Keep in
-- step with migrations/sqlite/0016_campaign_old_units.sql.
--
-- 0014 placed each covered unit of today at its home on the old map: a
-- commune formed from several old ones counted a campaign of 2013–2024 at
-- their common district, never at an old commune it may not have covered.
-- A campaign before 1 July 2025 now names the old units it covered as
-- well: such a row keeps the old unit's code in legacy_code, its path in
-- legacy_path, and in unit_code/scope_path the unit of today it lies in
-- (activities/places.rs, `old_covered`). Two old communes merged into one
-- commune of today are two rows, so legacy_code joins the key ('' for a
-- unit of today).
ALTER TABLE activity_units ADD COLUMN legacy_code TEXT NOT NULL DEFAULT '';
ALTER TABLE activity_units DROP CONSTRAINT activity_units_pkey;
ALTER TABLE activity_units ADD PRIMARY KEY (activity_id, unit_code, legacy_code);
CREATE OR REPLACE FUNCTION activity_units_legacy_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.legacy_path IS NULL OR (TG_OP = 'UPDATE' AND (NEW.unit_code IS DISTINCT FROM OLD.unit_code
                                                          OR NEW.legacy_code IS DISTINCT FROM OLD.legacy_code)) THEN
        NEW.legacy_path := COALESCE(
            (SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code),
            (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code));
    END IF;
    RETURN NEW;
END
$$;
