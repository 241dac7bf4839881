-- Dashboard benchmark data, inserted straight into the catalog (seconds, not hours of launching):
-- 100,000 runs over the last 365 days (8 templates, 5 teams, 41 launchers, a status mix), each with
-- 3 steps and their attempts; 10,000 checkpoints with their step outputs and lineage edges from one of
-- 20 datasets; and one lineage tree of exactly 500 nodes under the dataset 'bench-lineage-root'
-- (250 artifacts, 250 steps). Used by DashboardBenchmark (JDBC) and frontend/bench/run.sh (psql).

INSERT INTO template (name, description, team, created_by)
SELECT 'bench-' || k, 'benchmark template', 'default', 'bench'
FROM unnest(ARRAY['pretrain', 'cpt', 'sft', 'dpo', 'merge', 'prune', 'eval', 'distill']) k;
INSERT INTO template_version (template_name, version, spec, spec_sha256, created_by, approved_by, approved_at)
SELECT name, 1, 'apiVersion: trainyard/v1', md5(name), 'bench', 'bench', now() FROM template WHERE name LIKE 'bench-%';

-- Run g was created at now() - 365 days + g * 315 s: the newest is the highest g.
CREATE TEMP TABLE bench_run AS
SELECT g, t AS created_at,
       'run-' || to_char(t AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS') || '-' || lpad(to_hex(g), 8, '0') AS id,
       'bench-' || (ARRAY['pretrain', 'cpt', 'sft', 'dpo', 'merge', 'prune', 'eval', 'distill'])[1 + g % 8] AS template_name,
       'team-' || (g % 5) AS team,
       CASE WHEN g % 7 = 0 THEN 'ci-bot' ELSE 'user' || (g % 40) END AS launched_by,
       CASE WHEN g > 99980 THEN 'RUNNING' WHEN g % 17 = 0 THEN 'FAILED' WHEN g % 23 = 0 THEN 'CANCELLED'
            ELSE 'SUCCEEDED' END AS status
FROM (SELECT g, now() - interval '365 days' + g * interval '315 seconds' AS t FROM generate_series(1, 100000) g) s;

INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by, team, created_at,
                 started_at, finished_at, error)
SELECT id, template_name, 1, status, jsonb_build_object('lr', 1e-4, 'max_steps', 1000 + g % 5000), '{}',
       launched_by, team, created_at, created_at + interval '4 seconds',
       CASE WHEN status = 'RUNNING' THEN NULL ELSE created_at + (60 + g % 7200) * interval '1 second' END,
       CASE WHEN status = 'FAILED' THEN 'step train: exit code 1 (CUDA out of memory)' END
FROM bench_run;

-- Steps prepare -> train -> eval; a failed run failed at train, a cancelled or running one is at train.
INSERT INTO step (run_id, step_id, position, kind, status, needs)
SELECT r.id, s.step_id, s.position, s.kind,
       CASE WHEN r.status = 'SUCCEEDED' OR s.position = 0 THEN 'SUCCEEDED'
            WHEN s.position = 1 THEN r.status ELSE 'PENDING' END,
       s.needs::jsonb
FROM bench_run r,
     (VALUES ('prepare', 0, 'command', '[]'), ('train', 1, 'sft', '["prepare"]'), ('eval', 2, 'evaluate', '["train"]'))
       AS s(step_id, position, kind, needs);

INSERT INTO step_attempt (run_id, step_id, attempt, status, worker, gpu_ids, started_at, finished_at, error, metrics)
SELECT st.run_id, st.step_id, 1, st.status, 'gpu-node-' || (r.g % 16), (r.g % 8)::text,
       r.created_at + st.position * interval '20 seconds',
       CASE WHEN st.status IN ('RUNNING') THEN NULL ELSE r.created_at + (st.position + 1) * interval '20 seconds' END,
       CASE WHEN st.status = 'FAILED' THEN 'exit code 1' END,
       CASE WHEN st.step_id = 'train' THEN jsonb_build_object('loss', 1.5 + (r.g % 100) / 100.0) END
FROM step st JOIN bench_run r ON r.id = st.run_id
WHERE st.status <> 'PENDING';

-- 20 datasets, plus the root of the lineage tree.
INSERT INTO artifact (id, type, name, uri, size_bytes, created_at, created_by, team)
SELECT encode(sha256(convert_to('bench-data-' || k, 'UTF8')), 'hex'), 'dataset', 'bench-data-' || k,
       'file:///bench/datasets/' || k, 1000000000 + k, now() - interval '400 days', 'bench', 'default'
FROM generate_series(0, 19) k;
INSERT INTO artifact (id, type, name, uri, size_bytes, created_at, created_by, team)
VALUES (encode(sha256(convert_to('bench-lineage-root', 'UTF8')), 'hex'), 'dataset', 'bench-lineage-root',
        'file:///bench/datasets/lineage-root', 123456789, now() - interval '400 days', 'bench', 'default');

-- Checkpoint k (1..10,000) is the output of step train of run g = 10k.
CREATE TEMP TABLE bench_ckpt AS
SELECT k, r.*, encode(sha256(convert_to('bench-ckpt-' || k, 'UTF8')), 'hex') AS ckpt
FROM generate_series(1, 10000) k JOIN bench_run r ON r.g = 10 * k;

INSERT INTO artifact (id, type, name, uri, size_bytes, run_id, step_id, attempt, output_name, created_at, created_by, team)
SELECT ckpt, 'checkpoint', NULL, 'file:///bench/artifacts/' || ckpt, 1000000000 + k * 1000, id, 'train', 1, 'model',
       created_at + interval '40 seconds', launched_by, team
FROM bench_ckpt;
INSERT INTO step_output (run_id, step_id, attempt, name, artifact_id)
SELECT id, 'train', 1, 'model', ckpt FROM bench_ckpt;
INSERT INTO lineage_edge (from_node, to_node, role, created_at)
SELECT 'step:' || id || '/train/1', 'artifact:' || ckpt, 'output:model', created_at + interval '40 seconds' FROM bench_ckpt;

-- Inputs. Checkpoints 1..249 form a binary tree under bench-lineage-root (k's parent is (k-1)/2, 0 being
-- the root), and the eval step of run 2,500 reads checkpoint 249: 250 artifacts + 250 steps = 500 nodes.
-- Every other checkpoint was trained on one of the 20 datasets.
INSERT INTO lineage_edge (from_node, to_node, role, created_at)
SELECT 'artifact:' || CASE WHEN k > 249 THEN encode(sha256(convert_to('bench-data-' || (k % 20), 'UTF8')), 'hex')
                           WHEN k < 3 THEN encode(sha256(convert_to('bench-lineage-root', 'UTF8')), 'hex')
                           ELSE encode(sha256(convert_to('bench-ckpt-' || ((k - 1) / 2), 'UTF8')), 'hex') END,
       'step:' || id || '/train/1', CASE WHEN k > 249 OR k < 3 THEN 'input:data' ELSE 'input:base' END, created_at
FROM bench_ckpt;
INSERT INTO lineage_edge (from_node, to_node, role, created_at)
SELECT 'artifact:' || encode(sha256(convert_to('bench-ckpt-249', 'UTF8')), 'hex'), 'step:' || id || '/eval/1', 'input:model',
       created_at + interval '60 seconds'
FROM bench_run WHERE g = 2500;

DROP TABLE bench_ckpt;
DROP TABLE bench_run;
ANALYZE;
