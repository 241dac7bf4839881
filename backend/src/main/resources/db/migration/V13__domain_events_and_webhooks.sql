-- Issue 17, item 3. domain_event is an outbox: a row is written in the same transaction as the change
-- it reports (a run ended, an alias moved...), so a rolled-back change has no event and a committed one
-- always has one. A background dispatcher fans each event out into webhook deliveries, claiming rows
-- with FOR UPDATE SKIP LOCKED so that several backend replicas never hand one event out twice.
CREATE TABLE domain_event (
    id           TEXT PRIMARY KEY,              -- evt_<32 hex>: the webhook-id of every delivery of it
    seq          BIGSERIAL NOT NULL UNIQUE,     -- the dispatcher's order
    type         TEXT NOT NULL,                 -- run.started, run.ended, step.ended, alias.moved, dataset.version.registered
    team         TEXT NOT NULL,                 -- who may see it (subscriptions of this team only)
    -- A retried ledger write (Temporal retries activities) finds its event already there.
    dedupe_key   TEXT NOT NULL UNIQUE,
    data         JSONB NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    dispatched_at TIMESTAMPTZ                   -- when its deliveries were created
);
CREATE INDEX domain_event_undispatched_idx ON domain_event (seq) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_subscription (
    id          TEXT PRIMARY KEY,               -- wh_<24 hex>
    team        TEXT NOT NULL,
    url         TEXT NOT NULL,
    event_types JSONB NOT NULL,                 -- ["run.ended", "dataset.*"] or ["*"]
    -- The HMAC key, whsec_<base64>: needed in clear to sign. Shown once at creation, never listed or logged.
    secret      TEXT NOT NULL,
    description TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  TEXT NOT NULL
);
CREATE INDEX webhook_subscription_team_idx ON webhook_subscription (team);

-- One event to one subscription. Manual redelivery adds another row for the same event.
CREATE TABLE webhook_delivery (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscription(id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES domain_event(id),
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    attempts        INT  NOT NULL DEFAULT 0,
    -- Due time of the next attempt; while an attempt is in flight, the end of its claim.
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    redelivery_of   BIGINT REFERENCES webhook_delivery(id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_delivery_subscription_idx ON webhook_delivery (subscription_id, id DESC);

-- The delivery log: every attempt with what the receiver answered.
CREATE TABLE webhook_attempt (
    delivery_id     BIGINT NOT NULL REFERENCES webhook_delivery(id) ON DELETE CASCADE,
    attempt         INT NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    duration_ms     BIGINT NOT NULL,
    response_status INT,                        -- null: no answer (refused, timed out)
    response_body   TEXT,                       -- the first KiB
    error           TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
