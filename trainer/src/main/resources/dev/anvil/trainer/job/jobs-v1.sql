-- Jobs, version 1: one row per job (its record, its current state, its cancellation request and
-- the claim of the worker running it) and its history, one row per event. The job's files
-- (uploaded data, synthetic corpus, checkpoints) stay in its folder on the job volume.
-- Plain SQL that H2 (in PostgreSQL mode) and PostgreSQL both run.
CREATE TABLE trainer_job (
  id VARCHAR(200) PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  owner VARCHAR(65535) NOT NULL,
  submitted_s BIGINT NOT NULL,
  submitted_ns INTEGER NOT NULL,
  spec VARCHAR(1000000) NOT NULL,
  spec_dir VARCHAR(4000) NOT NULL,
  state_label VARCHAR(16) NOT NULL,
  state VARCHAR(1000000) NOT NULL,
  cancel_requested VARCHAR(40),
  claimed_by VARCHAR(300),
  lease_until BIGINT,
  claims INTEGER NOT NULL
);
CREATE INDEX trainer_job_by_state ON trainer_job (state_label);
CREATE TABLE trainer_job_event (
  job_id VARCHAR(200) NOT NULL REFERENCES trainer_job (id),
  seq BIGINT NOT NULL,
  event VARCHAR(1000000) NOT NULL,
  PRIMARY KEY (job_id, seq)
);
