package dev.gatehouse.store;

import java.util.List;

/**
 * state.db's migrations as released before Flyway, verbatim: each applied in one transaction
 * with {@code PRAGMA user_version} raised to its number. Only for tests that make the homes
 * those releases left behind; never edited.
 */
final class LegacyStateSchema {
  private LegacyStateSchema() {}

  /** Migration i brings the schema from version i to i + 1. */
  static final List<String[]> MIGRATIONS = List.<String[]>of(
      new String[] {
          "CREATE TABLE nonces (keyid TEXT NOT NULL, nonce TEXT NOT NULL, seen_at INTEGER NOT NULL,"
              + " PRIMARY KEY (keyid, nonce)) WITHOUT ROWID",
          "CREATE INDEX nonces_seen_at ON nonces (seen_at)",
          "CREATE TABLE agent_usage (name TEXT PRIMARY KEY, last_used INTEGER NOT NULL)"},
      new String[] {
          "CREATE TABLE approvals (id TEXT PRIMARY KEY, argv TEXT NOT NULL, argv_sha256 TEXT NOT NULL,"
              + " requester TEXT NOT NULL, requested_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
              + " approved_at INTEGER, approved_by TEXT, used_at INTEGER)"},
      new String[] {
          // Nonces become an append-only log (rows in time order, an index that only grows at
          // its end): the daemon checks them in memory and only appends here, where random
          // inserts into a key-ordered table cost a page write and often a page read per call.
          "CREATE TABLE nonce_log (seen_at INTEGER NOT NULL, keyid TEXT NOT NULL, nonce TEXT NOT NULL)",
          "CREATE INDEX nonce_log_seen_at ON nonce_log (seen_at)",
          "INSERT INTO nonce_log (seen_at, keyid, nonce) SELECT seen_at, keyid, nonce FROM nonces ORDER BY seen_at",
          "DROP TABLE nonces"},
      new String[] {
          // Chat pairing (chat.PairingStore). At most one pending code per (channel, sender): the
          // unique key makes a second one impossible even if two writers raced past the check.
          "CREATE TABLE pairing_pending (code TEXT PRIMARY KEY, channel TEXT NOT NULL, sender TEXT NOT NULL,"
              + " sender_name TEXT, ref TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
              + " UNIQUE (channel, sender))",
          "CREATE INDEX pairing_pending_channel ON pairing_pending (channel, expires_at)",
          "CREATE INDEX pairing_pending_expires ON pairing_pending (expires_at)",
          "CREATE TABLE pairing_allowed (channel TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT,"
              + " approved_at INTEGER NOT NULL, approved_by TEXT NOT NULL, PRIMARY KEY (channel, sender)) WITHOUT ROWID",
          // When codes were issued, for the per-sender rate limit; rows older than its window are deleted.
          "CREATE TABLE pairing_issued (channel TEXT NOT NULL, sender TEXT NOT NULL, issued_at INTEGER NOT NULL)",
          "CREATE INDEX pairing_issued_sender ON pairing_issued (channel, sender, issued_at)",
          "CREATE INDEX pairing_issued_at ON pairing_issued (issued_at)"},
      new String[] {
          // Trust levels (trust.TrustStore): the level of each domain, and every change with who
          // and why. No row for a domain means trust was never set up in this home (see TrustStore).
          "CREATE TABLE trust_levels (domain TEXT PRIMARY KEY, level INTEGER NOT NULL, changed_at INTEGER NOT NULL)"
              + " WITHOUT ROWID",
          "CREATE TABLE trust_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, domain TEXT NOT NULL,"
              + " from_level INTEGER NOT NULL, to_level INTEGER NOT NULL, who TEXT NOT NULL, reason TEXT NOT NULL,"
              + " rollback_of INTEGER)",
          // Evidence against agents (policy refusals, owner denials), for demotion; rows older than
          // the demotion window may be deleted.
          "CREATE TABLE trust_evidence (at INTEGER NOT NULL, domain TEXT NOT NULL, agent TEXT NOT NULL,"
              + " kind TEXT NOT NULL)",
          "CREATE INDEX trust_evidence_domain ON trust_evidence (domain, at)",
          // Approvals of single broker requests (trust.ActionApprovalsStore): status is pending,
          // approved, denied or used; expiry is read from expires_at, never stored as a status.
          "CREATE TABLE action_approvals (id TEXT PRIMARY KEY, agent TEXT NOT NULL, action TEXT NOT NULL,"
              + " domain TEXT NOT NULL, request_sha256 TEXT NOT NULL, summary TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL,"
              + " decided_at INTEGER, decided_by TEXT, reason TEXT, used_at INTEGER) WITHOUT ROWID",
          "CREATE INDEX action_approvals_request ON action_approvals (agent, request_sha256, status)",
          "CREATE INDEX action_approvals_status ON action_approvals (status, expires_at)"},
      new String[] {
          // Owner-plane accounts (owner.OwnerAccounts). password_hash is a self-describing Argon2id
          // string (PHC format: parameters, salt, hash); never the password.
          "CREATE TABLE owner_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL, password_changed_at INTEGER NOT NULL) WITHOUT ROWID",
          // One row per login; ended_at set when it ends (logout, refresh reuse, expiry, password
          // change, removal), after which none of its tokens is accepted.
          "CREATE TABLE owner_sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, started_at INTEGER NOT NULL,"
              + " last_seen_at INTEGER NOT NULL, reauth_at INTEGER NOT NULL, csrf_token TEXT NOT NULL,"
              + " ended_at INTEGER, end_reason TEXT) WITHOUT ROWID",
          "CREATE INDEX owner_sessions_user ON owner_sessions (user, ended_at)",
          // Tokens by the SHA-256 of their text only; the session is the refresh family.
          "CREATE TABLE owner_tokens (token_sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, session TEXT NOT NULL,"
              + " issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, spent_at INTEGER) WITHOUT ROWID",
          "CREATE INDEX owner_tokens_session ON owner_tokens (session)",
          "CREATE INDEX owner_tokens_expires ON owner_tokens (expires_at)",
          // Each user's TOTP replay and lockout state (otp.AttemptState); no row: nothing yet.
          "CREATE TABLE owner_totp_attempts (user TEXT PRIMARY KEY, last_step INTEGER, failures INTEGER NOT NULL,"
              + " locked_until INTEGER) WITHOUT ROWID"});
}
