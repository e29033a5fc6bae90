-- Who wrote each document's changes: for every document and Automerge actor, the newest
-- change that actor's device signed (hashes, numbers and signatures only).
CREATE TABLE actor_heads (
    document_id BLOB    NOT NULL,
    actor       BLOB    NOT NULL,
    seq         INTEGER NOT NULL,
    change_hash BLOB    NOT NULL,
    signature   BLOB    NOT NULL,
    PRIMARY KEY (document_id, actor)
);

-- Documents merged from a file no device of the team signed: kept on this device for a
-- clinician to review, never passed on by sync. The reason given is sealed.
CREATE TABLE held_documents (
    document_id BLOB PRIMARY KEY,
    reason      BLOB NOT NULL
);
