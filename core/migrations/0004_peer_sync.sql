-- Direct sync between devices. Each document's current Automerge heads (change hashes),
-- so that a summary of every document needs no document to be loaded; NULL until the
-- document is next written or summarised.
ALTER TABLE documents ADD COLUMN heads BLOB;

-- Automerge sync state per other device and document: what both are known to have.
CREATE TABLE peer_sync_states (
    peer        BLOB NOT NULL,
    document_id BLOB NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    state       BLOB NOT NULL,
    PRIMARY KEY (peer, document_id)
);
