-- The runs list filters by who launched (equality, newest first) and searches by prefix of the run
-- id, template name or launcher, ignoring case. text_pattern_ops lets LIKE 'prefix%' use a btree
-- whatever the database's collation; status, template, team and date range have indexes from V1/V2.
CREATE INDEX run_launched_by_idx ON run (launched_by, created_at DESC, id DESC);
CREATE INDEX run_id_prefix_idx ON run (id text_pattern_ops);
CREATE INDEX run_template_prefix_idx ON run (lower(template_name) text_pattern_ops);
CREATE INDEX run_launcher_prefix_idx ON run (lower(launched_by) text_pattern_ops);
