-- The catalog: templates, runs and their steps and attempts, artifacts with their files,
-- lineage edges and aliases. Temporal owns execution state; these tables own what happened.

CREATE TABLE template (
    name         TEXT PRIMARY KEY,
    description  TEXT,
    team         TEXT NOT NULL DEFAULT 'default',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by   TEXT NOT NULL
);

CREATE TABLE template_version (
    template_name TEXT NOT NULL REFERENCES template(name),
    version       INT  NOT NULL,
    spec          TEXT NOT NULL,
    spec_sha256   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT NOT NULL,
    PRIMARY KEY (template_name, version)
);

CREATE TABLE run (
    id               TEXT PRIMARY KEY,
    template_name    TEXT NOT NULL,
    template_version INT  NOT NULL,
    status           TEXT NOT NULL,
    params           JSONB NOT NULL,
    plan             JSONB NOT NULL,
    idempotency_key  TEXT UNIQUE,
    launched_by      TEXT NOT NULL,
    team             TEXT NOT NULL DEFAULT 'default',
    executions       INT  NOT NULL DEFAULT 1,
    error            TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    FOREIGN KEY (template_name, template_version) REFERENCES template_version(template_name, version)
);
-- Keyset pagination walks (created_at, id) downwards.
CREATE INDEX run_created_idx ON run (created_at DESC, id DESC);
CREATE INDEX run_status_idx ON run (status, created_at DESC);
CREATE INDEX run_template_idx ON run (template_name, created_at DESC);

CREATE TABLE step (
    run_id    TEXT NOT NULL REFERENCES run(id),
    step_id   TEXT NOT NULL,
    position  INT  NOT NULL,
    kind      TEXT NOT NULL,
    status    TEXT NOT NULL,
    needs     JSONB NOT NULL,
    PRIMARY KEY (run_id, step_id)
);

CREATE TABLE step_attempt (
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    attempt     INT  NOT NULL,
    status      TEXT NOT NULL,
    worker      TEXT,
    gpu_ids     TEXT,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    error       TEXT,
    log_tail    TEXT,
    metrics     JSONB,
    PRIMARY KEY (run_id, step_id, attempt),
    FOREIGN KEY (run_id, step_id) REFERENCES step(run_id, step_id)
);

CREATE TABLE artifact (
    id          TEXT PRIMARY KEY,           -- sha256 of the manifest (datasets: of the content)
    type        TEXT NOT NULL,              -- checkpoint | dataset | eval-report | files
    name        TEXT,
    uri         TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    run_id      TEXT,
    step_id     TEXT,
    attempt     INT,
    output_name TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  TEXT NOT NULL
);
CREATE INDEX artifact_type_idx ON artifact (type, created_at DESC);
CREATE INDEX artifact_producer_idx ON artifact (run_id, step_id);
CREATE UNIQUE INDEX artifact_dataset_name_idx ON artifact (name) WHERE type = 'dataset';

CREATE TABLE artifact_file (
    artifact_id TEXT NOT NULL REFERENCES artifact(id),
    path        TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (artifact_id, path)
);

-- Outputs of one attempt (an artifact may be produced by several attempts or runs: content-addressed).
CREATE TABLE step_output (
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    attempt     INT  NOT NULL,
    name        TEXT NOT NULL,
    artifact_id TEXT NOT NULL REFERENCES artifact(id),
    PRIMARY KEY (run_id, step_id, attempt, name)
);

-- Lineage: nodes are 'artifact:<id>' and 'step:<run>/<step>/<attempt>'.
CREATE TABLE lineage_edge (
    from_node TEXT NOT NULL,
    to_node   TEXT NOT NULL,
    role      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (from_node, to_node, role)
);
CREATE INDEX lineage_edge_to_idx ON lineage_edge (to_node);

CREATE TABLE alias (
    name        TEXT PRIMARY KEY,
    artifact_id TEXT NOT NULL REFERENCES artifact(id),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by  TEXT NOT NULL
);

CREATE TABLE alias_history (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    artifact_id TEXT,
    previous_artifact_id TEXT,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    changed_by  TEXT NOT NULL
);
