-- Trust levels (trust.TrustStore): the level of each domain, and every change with who and
-- why. No row for a domain means trust was never set up in this home (see TrustStore).

CREATE TABLE trust_levels (domain TEXT PRIMARY KEY, level INTEGER NOT NULL, changed_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE trust_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, domain TEXT NOT NULL, from_level INTEGER NOT NULL, to_level INTEGER NOT NULL, who TEXT NOT NULL, reason TEXT NOT NULL, rollback_of INTEGER);
-- Evidence against agents (policy refusals, owner denials), for demotion; rows older than the
-- demotion window may be deleted.
CREATE TABLE trust_evidence (at INTEGER NOT NULL, domain TEXT NOT NULL, agent TEXT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX trust_evidence_domain ON trust_evidence (domain, at);
-- Approvals of single broker requests (trust.ActionApprovalsStore): status is pending,
-- approved, denied or used; expiry is read from expires_at, never stored as a status.
CREATE TABLE action_approvals (id TEXT PRIMARY KEY, agent TEXT NOT NULL, action TEXT NOT NULL, domain TEXT NOT NULL, request_sha256 TEXT NOT NULL, summary TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL, decided_at INTEGER, decided_by TEXT, reason TEXT, used_at INTEGER) WITHOUT ROWID;
CREATE INDEX action_approvals_request ON action_approvals (agent, request_sha256, status);
CREATE INDEX action_approvals_status ON action_approvals (status, expires_at);
