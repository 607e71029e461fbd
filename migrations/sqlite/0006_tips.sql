-- Tip-offs from citizens (SQLite). Keep in step with
-- migrations/postgres/0006_tips.sql. Nothing here identifies the sender's
-- device: no IP address, user agent, referrer or cookie is ever stored. The
-- name and phone a citizen chooses to give are encrypted (identity_sealed).
CREATE TABLE tips (
    id               INTEGER PRIMARY KEY,
    -- 12 digits, read aloud in groups of four; the secret is stored hashed
    tracking_code    TEXT NOT NULL UNIQUE,
    secret_hash      TEXT NOT NULL,
    category         TEXT NOT NULL,
    description      TEXT NOT NULL,
    -- 'commune': the unit is a commune; 'unknown': "không nhớ địa điểm", the unit is the province
    place_kind       TEXT NOT NULL CHECK (place_kind IN ('commune', 'unknown')),
    place_detail     TEXT NOT NULL DEFAULT '',
    unit_code        TEXT NOT NULL,
    province_code    TEXT NOT NULL,
    scope_path       TEXT NOT NULL,
    happened_on      TEXT,
    happened_text    TEXT NOT NULL DEFAULT '',
    anonymous        INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    -- base64(nonce || XChaCha20-Poly1305 ciphertext) of {"name", "phone"}
    identity_sealed  TEXT,
    status           TEXT NOT NULL CHECK (status IN ('received', 'verifying', 'transferred', 'resolved', 'unfounded', 'duplicate')),
    transferred_to   TEXT NOT NULL DEFAULT '',
    duplicate_of     INTEGER REFERENCES tips (id),
    assigned_to      INTEGER REFERENCES users (id),
    received_on      TEXT NOT NULL,
    -- Bộ luật Tố tụng hình sự 2015 Điều 147: 20 days, extended for complex cases
    -- to at most 2 months, then once more by at most 2 months
    deadline         TEXT NOT NULL,
    extension1_until TEXT,
    extension1_by    TEXT NOT NULL DEFAULT '',
    extension2_until TEXT,
    extension2_by    TEXT NOT NULL DEFAULT '',
    closed_on        TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX tips_scope ON tips (scope_path, status, deadline);

-- Photos, decoded and encoded again so that no metadata (EXIF, GPS, maker
-- notes) survives.
CREATE TABLE tip_photos (
    id           INTEGER PRIMARY KEY,
    tip_id       INTEGER NOT NULL REFERENCES tips (id),
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX tip_photos_tip ON tip_photos (tip_id);

-- The conversation: the citizen's additions and the officers' replies are
-- shown to the citizen; internal notes never are.
CREATE TABLE tip_messages (
    id         INTEGER PRIMARY KEY,
    tip_id     INTEGER NOT NULL REFERENCES tips (id),
    kind       TEXT NOT NULL CHECK (kind IN ('citizen', 'reply', 'note')),
    body       TEXT NOT NULL,
    user_id    INTEGER REFERENCES users (id),
    user_name  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX tip_messages_tip ON tip_messages (tip_id);
