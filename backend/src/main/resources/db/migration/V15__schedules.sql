-- Cron schedules on templates, the ticks they decided, and the lease that lets one backend replica
-- fire them. A tick is decided once (its primary key is the schedule and the tick's instant) and
-- launched with the idempotency key schedule:<id>:<instant>, so a holder that dies between the
-- launch and recording it never causes a second run: the next holder launches the same key again
-- and gets the first run back.

CREATE TABLE schedule (
    id                     TEXT PRIMARY KEY,
    template_name          TEXT NOT NULL REFERENCES template(name),
    template_version       INT,            -- null: the latest version at each tick
    cron                   TEXT NOT NULL,
    time_zone              TEXT NOT NULL,
    params                 JSONB NOT NULL,
    overlap_policy         TEXT NOT NULL CONSTRAINT schedule_overlap_check
                               CHECK (overlap_policy IN ('SKIP', 'BUFFER_ONE', 'ALLOW')),
    catchup_window_seconds BIGINT NOT NULL CHECK (catchup_window_seconds >= 0),
    paused                 BOOLEAN NOT NULL DEFAULT false,
    -- The first tick not yet decided: every earlier one has a schedule_tick row (or came before the
    -- schedule was created or resumed).
    next_tick_at           TIMESTAMPTZ,
    team                   TEXT NOT NULL,
    created_by             TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX schedule_template_idx ON schedule (template_name);
CREATE INDEX schedule_due_idx ON schedule (next_tick_at) WHERE NOT paused;

CREATE TABLE schedule_tick (
    schedule_id      TEXT NOT NULL REFERENCES schedule(id) ON DELETE CASCADE,
    tick_at          TIMESTAMPTZ NOT NULL,
    -- PENDING: decided to launch, launch not yet recorded; BUFFERED: waits for the live run to end;
    -- FIRED: launched (run_id); SKIPPED: not launched (reason).
    status           TEXT NOT NULL CONSTRAINT schedule_tick_status_check
                         CHECK (status IN ('PENDING', 'BUFFERED', 'FIRED', 'SKIPPED')),
    reason           TEXT,
    run_id           TEXT REFERENCES run(id) ON DELETE SET NULL,
    -- What the tick launches, fixed when it is decided, so a relaunch after a crash sends the same
    -- request as the first (an idempotency key reused with another body is refused).
    template_version INT,
    params           JSONB NOT NULL,
    decided_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    fired_at         TIMESTAMPTZ,
    PRIMARY KEY (schedule_id, tick_at)
);
CREATE INDEX schedule_tick_open_idx ON schedule_tick (schedule_id) WHERE status IN ('PENDING', 'BUFFERED');

-- One row per lease; only its owner fires ticks, until expires_at (the database's clock decides).
CREATE TABLE scheduler_lease (
    name       TEXT PRIMARY KEY,
    owner      TEXT,
    expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);
INSERT INTO scheduler_lease (name) VALUES ('schedules');
