-- The model registry's index, version 1: one row per registered model, with its card (lineage,
-- owner, metrics) so that listing and deciding need no file. The weights stay in the model's
-- directory on the models volume, which path names.
CREATE TABLE trainer_model (
  id VARCHAR(200) PRIMARY KEY,
  created_s BIGINT NOT NULL,
  created_ns INTEGER NOT NULL,
  path VARCHAR(4000) NOT NULL,
  onnx BOOLEAN NOT NULL,
  card VARCHAR(1000000) NOT NULL
);
