-- The application connects as its own role (placeholder app_role = quarkus.datasource.username),
-- with ordinary grants only: it owns nothing, so it cannot ALTER, disable the append-only trigger or
-- setval, and on audit_event it may only INSERT and SELECT. These migrations run as the owner
-- (quarkus.flyway.username). Where both are one role (trainyard.database.allow-privileged-role) or
-- the app role does not exist, there is nothing to grant.
DO $$
DECLARE
    app TEXT := '${app_role}';
BEGIN
    IF app = '' OR app = current_user OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        RAISE NOTICE 'no separate application role (%): no grants', app;
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM %I', app);
    IF to_regclass('flyway_schema_history') IS NOT NULL THEN
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON flyway_schema_history FROM %I', app);
    END IF;
    -- Tables and sequences of later migrations get the same grants.
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
END $$;

-- Each new audit row carries an HMAC-SHA256 of its id and chain hash under a key the database never
-- sees; rows from before this migration have none (verified by the unkeyed hash chain only).
ALTER TABLE audit_event ADD COLUMN mac TEXT;
