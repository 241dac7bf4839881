-- Retention: per-template policies, and tombstones for checkpoints whose files retention deleted.
-- The artifact row, its file hashes and its lineage edges stay, so lineage still shows what existed.

CREATE TABLE retention_policy (
    template_name          TEXT PRIMARY KEY REFERENCES template(name),
    keep_last_intermediate INT  NOT NULL CHECK (keep_last_intermediate >= 0),
    keep_last_finals       INT  CHECK (keep_last_finals >= 0),   -- NULL: keep every final checkpoint
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by             TEXT NOT NULL
);

ALTER TABLE artifact ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE artifact ADD COLUMN deleted_by TEXT;
ALTER TABLE artifact ADD COLUMN deletion_reason TEXT;
