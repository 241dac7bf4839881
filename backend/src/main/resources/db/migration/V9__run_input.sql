-- The stored artifacts each step of a run reads (a checkpoint or dataset parameter bound to one of
-- its inputs), written with the run when it is launched. Retention asks this table which artifacts
-- an unfinished run will read, instead of searching the run's plan and params as text (where any
-- string parameter that merely mentioned an id protected that artifact). Outputs of earlier steps
-- are not here: step_output records them.
CREATE TABLE run_input (
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    name        TEXT NOT NULL,               -- the binding's name, e.g. params.base
    role        TEXT NOT NULL,               -- the lineage role, e.g. input:model
    artifact_id TEXT NOT NULL REFERENCES artifact(id),
    PRIMARY KEY (run_id, step_id, name),
    FOREIGN KEY (run_id, step_id) REFERENCES step(run_id, step_id)
);
-- Retention and the artifact pages look up the runs that read an artifact.
CREATE INDEX run_input_artifact_idx ON run_input (artifact_id);

-- Existing runs: their plans (the compiled ExecutionPlan as JSON) name every bound artifact, so the
-- table is filled from them. A binding whose artifact row is missing (never the case for a launch,
-- which resolves each parameter to a stored artifact) is skipped rather than failing the migration.
INSERT INTO run_input (run_id, step_id, name, role, artifact_id)
SELECT r.id, s.value ->> 'id', i.value ->> 'name', COALESCE(i.value ->> 'role', 'input'),
       i.value ->> 'artifactId'
FROM run r
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(r.plan -> 'steps') = 'array' THEN r.plan -> 'steps' ELSE '[]' END) AS s(value)
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.value -> 'inputs') = 'array' THEN s.value -> 'inputs' ELSE '[]' END) AS i(value)
WHERE i.value ->> 'artifactId' IS NOT NULL
  AND i.value ->> 'name' IS NOT NULL
  AND EXISTS (SELECT 1 FROM artifact a WHERE a.id = i.value ->> 'artifactId')
  AND EXISTS (SELECT 1 FROM step st WHERE st.run_id = r.id AND st.step_id = s.value ->> 'id')
ON CONFLICT DO NOTHING;
