-- An attempt that failed but stored its output first (an evaluate step whose gate failed keeps its
-- report): the artifact is recorded, marked failed, so its scores are not only a log line.
ALTER TABLE artifact ADD COLUMN failed boolean NOT NULL DEFAULT false;
