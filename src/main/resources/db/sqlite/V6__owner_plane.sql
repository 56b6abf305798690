-- Owner-plane accounts (owner.OwnerAccounts). password_hash is a self-describing Argon2id
-- string (PHC format: parameters, salt, hash); never the password.

CREATE TABLE owner_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, password_changed_at INTEGER NOT NULL) WITHOUT ROWID;
-- One row per login; ended_at set when it ends (logout, refresh reuse, expiry, password change,
-- removal), after which none of its tokens is accepted.
CREATE TABLE owner_sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, started_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, reauth_at INTEGER NOT NULL, csrf_token TEXT NOT NULL, ended_at INTEGER, end_reason TEXT) WITHOUT ROWID;
CREATE INDEX owner_sessions_user ON owner_sessions (user, ended_at);
-- Tokens by the SHA-256 of their text only; the session is the refresh family.
CREATE TABLE owner_tokens (token_sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, session TEXT NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, spent_at INTEGER) WITHOUT ROWID;
CREATE INDEX owner_tokens_session ON owner_tokens (session);
CREATE INDEX owner_tokens_expires ON owner_tokens (expires_at);
-- Each user's TOTP replay and lockout state (otp.AttemptState); no row: nothing yet.
CREATE TABLE owner_totp_attempts (user TEXT PRIMARY KEY, last_step INTEGER, failures INTEGER NOT NULL, locked_until INTEGER) WITHOUT ROWID;
