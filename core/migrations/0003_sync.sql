-- Sync with the relay. `version` rises with every stored change to a document, so the
-- documents with something new to push are found without loading any of them.
ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- What the relay already has of each document: the version and Automerge heads last
-- pushed (or received). Change hashes and counters only.
CREATE TABLE sync_documents (
    document_id            BLOB PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    pushed_version         INTEGER NOT NULL,
    pushed_heads           BLOB    NOT NULL,
    bundles_since_snapshot INTEGER NOT NULL DEFAULT 0
);

-- Signed registry statements and sealed enrolment offers waiting for the next sync.
CREATE TABLE sync_outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    payload BLOB NOT NULL
);
