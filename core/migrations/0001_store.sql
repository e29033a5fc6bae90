-- Hedgerow's local store. Every column that could identify a patient is sealed
-- (AES-256-GCM under the store's data key); only random ids, dates used for ordering
-- and sizes are in the clear.

-- The means to unlock the store: Argon2id salt and costs, and the wrapped data key.
CREATE TABLE vault (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    salt        BLOB    NOT NULL,
    memory_kib  INTEGER NOT NULL,
    iterations  INTEGER NOT NULL,
    lanes       INTEGER NOT NULL,
    wrapped_key BLOB    NOT NULL
);

-- Sealed settings: this device's identity and private key.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Automerge documents: a compacted snapshot plus incremental chunks since it.
CREATE TABLE documents (
    id           BLOB PRIMARY KEY,
    kind         TEXT    NOT NULL,
    snapshot     BLOB    NOT NULL,
    snapshot_len INTEGER NOT NULL,
    chunks_len   INTEGER NOT NULL DEFAULT 0,
    next_chunk   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX documents_by_kind ON documents (kind);

CREATE TABLE document_chunks (
    document_id BLOB    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    chunk       BLOB    NOT NULL,
    PRIMARY KEY (document_id, seq)
);

-- Query tables: derived from the documents, rebuilt by `hedgerow reindex`.
CREATE TABLE patient_index (
    patient_id BLOB PRIMARY KEY,
    nhs_blind  BLOB NOT NULL UNIQUE,
    summary    BLOB NOT NULL
);

CREATE TABLE visit_index (
    visit_id   BLOB PRIMARY KEY,
    patient_id BLOB    NOT NULL,
    started_at INTEGER NOT NULL,
    summary    BLOB    NOT NULL
);
CREATE INDEX visit_index_by_patient ON visit_index (patient_id, started_at DESC);

CREATE TABLE task_index (
    patient_id BLOB NOT NULL,
    task_id    TEXT NOT NULL,
    due_date   TEXT,
    summary    BLOB NOT NULL,
    PRIMARY KEY (patient_id, task_id)
);
CREATE INDEX task_index_by_due ON task_index (due_date);

-- Append-only audit log of views, edits and exports.
CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id BLOB    NOT NULL,
    at       INTEGER NOT NULL,
    entry    BLOB    NOT NULL
);
