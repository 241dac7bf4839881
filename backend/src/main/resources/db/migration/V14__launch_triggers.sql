-- Issue 17, item 2. A launch trigger belongs to a template (the one it launches) and says which event
-- launches it and with which parameters, bound from the event (expressions such as event.dataset.ref). Each
-- (trigger, event) pair fires at most once: the outbox relay inserts the firing, a background
-- launcher makes the run with an Idempotency-Key derived from the event id and the trigger, so an
-- event handed out twice still launches one run.
CREATE TABLE launch_trigger (
    id               TEXT PRIMARY KEY,          -- trg_<24 hex>
    template_name    TEXT NOT NULL REFERENCES template(name),
    template_version INT,                       -- null: the latest version at each launch
    team             TEXT NOT NULL,             -- the template's: only this team's events fire it
    event_type       TEXT NOT NULL CHECK (event_type IN ('dataset.version.registered', 'alias.moved', 'run.ended')),
    -- Which events of that type: {"dataset": "corpus"}, {"alias": "production"},
    -- {"template": "pretrain", "status": "SUCCEEDED"}; absent keys match any.
    match            JSONB NOT NULL,
    params           JSONB NOT NULL,            -- values, or expressions bound from the event (docs/webhooks.md)
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by       TEXT NOT NULL
);
CREATE INDEX launch_trigger_event_idx ON launch_trigger (team, event_type);

CREATE TABLE trigger_firing (
    trigger_id      TEXT NOT NULL REFERENCES launch_trigger(id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES domain_event(id),
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'LAUNCHED', 'FAILED')),
    attempts        INT  NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    run_id          TEXT,
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (trigger_id, event_id)
);
CREATE INDEX trigger_firing_due_idx ON trigger_firing (next_attempt_at) WHERE status = 'PENDING';

-- What launched a run, when a trigger did: {"trigger", "event", "eventType", "sourceRun",
-- "sourceArtifact", "depth"}. Null for runs launched by a person or a client.
ALTER TABLE run ADD COLUMN triggered_by JSONB;
