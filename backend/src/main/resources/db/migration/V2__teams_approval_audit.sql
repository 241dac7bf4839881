-- Teams own artifacts too; template versions that run arbitrary code need an admin's approval;
-- every mutation through the API lands in a hash-chained, append-only audit log.

ALTER TABLE artifact ADD COLUMN team TEXT NOT NULL DEFAULT 'default';
CREATE INDEX artifact_team_idx ON artifact (team, created_at DESC);
CREATE INDEX run_team_idx ON run (team, created_at DESC);

ALTER TABLE template_version ADD COLUMN approved_by TEXT;
ALTER TABLE template_version ADD COLUMN approved_at TIMESTAMPTZ;
-- Versions created before approvals existed were created by whoever could create them then.
UPDATE template_version SET approved_by = created_by, approved_at = created_at;

CREATE TABLE audit_event (
    id             BIGSERIAL PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor          TEXT NOT NULL,
    roles          TEXT NOT NULL,
    teams          TEXT NOT NULL,
    action         TEXT NOT NULL,      -- e.g. "POST /api/v1/runs/{id}/cancel"
    target         TEXT NOT NULL,      -- the request path
    status         INT  NOT NULL,      -- the HTTP status answered
    client_address TEXT,
    request_id     TEXT NOT NULL,
    request_digest TEXT NOT NULL,      -- sha256 of the request body
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_event_actor_idx ON audit_event (actor, id);

-- Append-only: the application never updates or deletes audit rows; a trigger refuses it too, so
-- tampering needs a superuser who disables it, and then verification pinpoints the rows.
CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
