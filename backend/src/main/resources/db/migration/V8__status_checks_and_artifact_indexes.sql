-- Statuses are the enums of the workflows module (RunStatus for run, StepStatus for step and
-- step_attempt); the database refuses any other value, whoever writes it. A new enum value needs a
-- migration that widens these lists (StatusConstraintsTest tries every value of each enum).
ALTER TABLE run ADD CONSTRAINT run_status_check
    CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED'));
ALTER TABLE step ADD CONSTRAINT step_status_check
    CHECK (status IN ('PENDING', 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED',
                      'SKIPPED', 'REUSED'));
ALTER TABLE step_attempt ADD CONSTRAINT step_attempt_status_check
    CHECK (status IN ('PENDING', 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED',
                      'SKIPPED', 'REUSED'));

-- Who produced or names an artifact: retention, lineage and the artifact pages look these up by
-- artifact id (the primary keys start with run_id and name).
CREATE INDEX step_output_artifact_idx ON step_output (artifact_id);
CREATE INDEX alias_artifact_idx ON alias (artifact_id);
