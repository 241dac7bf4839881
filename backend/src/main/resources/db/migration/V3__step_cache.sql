-- The step cache: each attempt of a cacheable step records its key; a later attempt with the same
-- key reuses the outputs of a succeeded one and records which attempt it came from.
ALTER TABLE step_attempt ADD COLUMN cache_key TEXT;
ALTER TABLE step_attempt ADD COLUMN cache_source TEXT;
CREATE INDEX step_attempt_cache_idx ON step_attempt (cache_key, finished_at DESC) WHERE status = 'SUCCEEDED';
