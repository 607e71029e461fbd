-- The dashboard's 21 indicators for every province of today for one year,
-- as GROUP BY queries over the base tables: what bench/national.sh times
-- on PostgreSQL and on DuckDB against antq's roll-up. The definitions are
-- those of src/indicators (values_from_records). {Y} is the year; queries
-- are separated by blank lines. Written in the SQL both engines accept.
-- A province is the third part of a path: '/VN/01/00004/' -> '01'.

SELECT split_part(scope_path, '/', 3) AS p,
  SUM(CASE WHEN kind = 'session' THEN 1 ELSE 0 END) AS sessions,
  SUM(CASE WHEN kind = 'session' THEN attendance ELSE 0 END) AS attendance,
  SUM(CASE WHEN kind = 'conference' THEN 1 ELSE 0 END) AS conferences,
  SUM(CASE WHEN kind = 'mediation' AND subtype = 'thanh' THEN 1 ELSE 0 END) AS mediated
FROM activities WHERE held_on >= '{Y}-01-01' AND held_on <= '{Y}-12-31' AND cancelled_at IS NULL AND kind <> 'campaign'
GROUP BY 1;

SELECT split_part(scope_path, '/', 3) AS p, COUNT(*) AS drug_free
FROM activities WHERE kind = 'drug_free' AND cancelled_at IS NULL AND year = {Y} GROUP BY 1;

SELECT p, COUNT(DISTINCT id) AS campaigns FROM (
  SELECT a.id, split_part(a.scope_path, '/', 3) AS p FROM activities a
  WHERE a.kind = 'campaign' AND a.cancelled_at IS NULL AND a.held_on >= '{Y}-01-01' AND a.held_on <= '{Y}-12-31'
  UNION ALL
  SELECT a.id, split_part(u.scope_path, '/', 3) AS p FROM activities a JOIN activity_units u ON u.activity_id = a.id
  WHERE a.kind = 'campaign' AND a.cancelled_at IS NULL AND a.held_on >= '{Y}-01-01' AND a.held_on <= '{Y}-12-31'
) c GROUP BY p;

SELECT split_part(scope_path, '/', 3) AS p, COUNT(*) AS festival_days
FROM festival_days WHERE held_on >= '{Y}-01-01' AND held_on <= '{Y}-12-31' GROUP BY 1;

SELECT split_part(scope_path, '/', 3) AS p,
  SUM(CASE WHEN recipient_kind = 'person' THEN 0 ELSE 1 END) AS collectives,
  SUM(CASE WHEN recipient_kind = 'person' THEN 1 ELSE 0 END) AS individuals
FROM awards WHERE decided_on >= '{Y}-01-01' AND decided_on <= '{Y}-12-31' AND cancelled_at IS NULL GROUP BY 1;

SELECT split_part(scope_path, '/', 3) AS p, COUNT(*) AS received,
  SUM(CASE WHEN closed_on IS NOT NULL AND closed_on <= deadline THEN 1 ELSE 0 END) AS in_time
FROM tips WHERE received_on >= '{Y}-01-01' AND received_on <= '{Y}-12-31' GROUP BY 1;

SELECT split_part(scope_path, '/', 3) AS p, COUNT(*) AS villages FROM villages WHERE active = 1 GROUP BY 1;

SELECT split_part(scope_path, '/', 3) AS p,
  SUM(CASE WHEN subject_kind = 'village' THEN 1 ELSE 0 END) AS villages_registered,
  SUM(CASE WHEN subject_kind = 'organisation' THEN 1 ELSE 0 END) AS organisations_registered,
  SUM(households_registered) AS households,
  COUNT(DISTINCT CASE WHEN subject_kind = 'village' THEN unit_code END) AS communes_with_villages
FROM registrations WHERE year = {Y} GROUP BY 1;

SELECT split_part(a.scope_path, '/', 3) AS p, a.subject_kind, COUNT(DISTINCT a.subject_id) AS recognised
FROM assessments a LEFT JOIN villages v ON a.subject_kind = 'village' AND CAST(v.id AS TEXT) = a.subject_id
WHERE a.programme = 'an_toan' AND a.year = {Y} AND a.replaced = 0 AND a.status IN ('approved', 'recognised')
  AND a.result = 'dat' AND (a.subject_kind = 'commune' OR v.active = 1)
GROUP BY 1, 2;

SELECT split_part(scope_path, '/', 3) AS p, COUNT(*) AS points FROM model_points
WHERE started_on <= '{Y}-12-31' AND (ended_on IS NULL OR ended_on >= '{Y}-01-01') GROUP BY 1;

SELECT split_part(t.scope_path, '/', 3) AS p, COUNT(DISTINCT t.id) AS teams, COUNT(m.id) AS members
FROM teams t LEFT JOIN members m ON m.team_id = t.id AND m.joined_on <= '{Y}-12-31'
  AND (m.left_on IS NULL OR m.left_on >= '{Y}-01-01')
WHERE t.established_on <= '{Y}-12-31' AND (t.dissolved_on IS NULL OR t.dissolved_on >= '{Y}-01-01')
GROUP BY 1;
