-- When a village began and ceased to exist (PostgreSQL). Keep in step with
-- migrations/sqlite/0015_village_dates.sql.
--
-- "Số thôn, tổ dân phố" counted the villages active today in every period,
-- so a village merged in 2024 was missing from 2013–2023 and one founded in
-- 2025 was counted in 2016. A village now counts in each year it existed on
-- any day of, as a team or a model point does (registry/summary.rs):
-- founded_on NULL means before the records begin; closed_on is the day it
-- ceased (dissolved or merged), set when it is marked inactive. A village
-- made inactive before this migration ceased, as far as is known, on the day
-- that was written (updated_at). The change log's triggers (0008) take both
-- fields to the roll-up like any other change of the row.
ALTER TABLE villages ADD COLUMN founded_on TEXT;
ALTER TABLE villages ADD COLUMN closed_on TEXT;
UPDATE villages SET closed_on = substr(updated_at, 1, 10) WHERE active = 0;
