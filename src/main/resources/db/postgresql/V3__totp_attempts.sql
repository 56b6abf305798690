-- TOTP replay and lockout state of the home's own key, one row per key ('home'), shared by
-- every replica. Same columns as owner_totp_attempts (each owner-plane user's): last_step is
-- the highest accepted time step (NULL when none), locked_until epoch milliseconds (NULL when
-- not locked). Each read-check-write holds the row's lock (SELECT ... FOR UPDATE), not the
-- global state lock: see PgAttemptStore and docs/storage.md, "TOTP across replicas".
CREATE TABLE totp_attempts (subject TEXT PRIMARY KEY, last_step BIGINT, failures INTEGER NOT NULL,
    locked_until BIGINT);
