-- OpenLineage RunEvents (issue 17, item 4): every event emitted for a step attempt, as the JSON text
-- that was sent, so GET /api/v1/runs/{id}/openlineage answers them in order whatever the transport.
-- One row per (attempt, event type): a retried ledger call stores and sends nothing twice. No foreign
-- key to the run: a run deleted before its workflow started never had events, and an event must never
-- make a ledger write fail.
CREATE TABLE openlineage_event (
    seq         BIGSERIAL PRIMARY KEY,
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    attempt     INT  NOT NULL,
    event_type  TEXT NOT NULL CHECK (event_type IN ('START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT')),
    event_time  TIMESTAMPTZ NOT NULL,
    -- json, not jsonb: the text is kept exactly as sent
    event       JSON NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (run_id, step_id, attempt, event_type)
);
CREATE INDEX openlineage_event_run_idx ON openlineage_event (run_id, seq);
