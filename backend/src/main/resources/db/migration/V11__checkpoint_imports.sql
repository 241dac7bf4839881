-- Imported checkpoints (issue 14, item 3): an existing Hugging Face folder registered as a checkpoint
-- artifact (type 'checkpoint', its id the hash of its manifest) plus this row: what the import read
-- from its config.json, safetensors headers and tokenizer files, and where it came from and who
-- brought it (lineage shows "imported from <source> by <created_by>").
CREATE TABLE checkpoint_import (
    artifact_id   TEXT PRIMARY KEY REFERENCES artifact(id),
    team          TEXT NOT NULL,
    -- config.json model_type: one of dev.trainyard.pipeline.kind.ModelFamilies.SUPPORTED
    family        TEXT NOT NULL,
    -- elements of every tensor (sum of shape products over the safetensors headers)
    parameters    BIGINT NOT NULL CHECK (parameters >= 0),
    -- the tensors' dtype (bfloat16, float32, ...), or 'mixed'
    dtype         TEXT NOT NULL,
    tokenizer     TEXT NOT NULL CHECK (tokenizer IN ('byte', 'hf', 'none')),
    chat_template BOOLEAN NOT NULL,
    description   TEXT,
    -- the file:// URI imported, or upload:<name>.tar
    source        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT NOT NULL
);
CREATE INDEX checkpoint_import_team_idx ON checkpoint_import (team, created_at DESC);
