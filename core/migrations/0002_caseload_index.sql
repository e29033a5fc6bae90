-- Which patients are on this device's team caseload: derived from the team document
-- (the truth) so that opening a record need not load the whole team. Random ids only.
CREATE TABLE caseload_index (
    patient_id BLOB PRIMARY KEY
);
