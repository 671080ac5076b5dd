-- The role Pulse's jobs log in as on a PostgreSQL of your own (settings postgres.user; the Kubernetes
-- settings name "pulse"), with no more rights than they use. Run it as an admin, after postgres.sql, in
-- the database that holds the tables:
--   psql -d pulse -v role=pulse -v password=... -v database=pulse -f infra/ddl/postgres-role.sql
-- The local stack and compose log in as postgres and need none of it. IngestJobITCase runs the ingest
-- job as a role made by this file.
CREATE ROLE :"role" LOGIN REPLICATION PASSWORD :'password';
-- The ingest job: REPLICATION to create and read its replication slot; it creates its publication for
-- engagement_events, which takes CREATE on the database and ownership of the table.
GRANT CONNECT, CREATE ON DATABASE :"database" TO :"role";
ALTER TABLE engagement_events OWNER TO :"role";
-- The process job reads content (lookup join) and upserts its outputs; the producer writes content.
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT, INSERT, UPDATE ON content TO :"role";
GRANT SELECT, INSERT, UPDATE ON session_kpis, page_view_counts, active_users, user_sessions, aggregated_counts TO :"role";
