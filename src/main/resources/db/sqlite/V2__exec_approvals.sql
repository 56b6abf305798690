-- Owner approvals of exec-gate commands.

CREATE TABLE approvals (id TEXT PRIMARY KEY, argv TEXT NOT NULL, argv_sha256 TEXT NOT NULL, requester TEXT NOT NULL, requested_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, approved_at INTEGER, approved_by TEXT, used_at INTEGER);
