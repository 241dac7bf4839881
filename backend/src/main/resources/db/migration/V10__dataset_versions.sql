-- Datasets get versions (issue 13, item 2). A dataset version is an artifact (type 'dataset', its id
-- the hash of its manifest) plus this row: its name and number within the team, and what the format
-- check found. The name alone no longer identifies a dataset, so V1's unique index on it goes.
DROP INDEX artifact_dataset_name_idx;

CREATE TABLE dataset_version (
    artifact_id TEXT PRIMARY KEY REFERENCES artifact(id),
    team        TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INT  NOT NULL CHECK (version >= 1),
    -- text | jsonl-text | chat | preference | mixed | unchecked (registered before V10)
    format      TEXT NOT NULL,
    records     BIGINT NOT NULL CHECK (records >= 0),
    -- Per file: {"path": {"format": ..., "records": N}}
    file_formats JSONB NOT NULL DEFAULT '{}'::jsonb,
    source      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  TEXT NOT NULL,
    UNIQUE (team, name, version)
);
CREATE INDEX dataset_version_name_idx ON dataset_version (name, version DESC);

-- Datasets registered before versions existed: each name was unique, so each is version 1. Their
-- files were never copied into the store nor checked, which their format says.
INSERT INTO dataset_version (artifact_id, team, name, version, format, records, source, created_at, created_by)
SELECT id, team, name, 1, 'unchecked', 0, uri, created_at, created_by
FROM artifact WHERE type = 'dataset' AND name IS NOT NULL;
