-- Records shared with other teams (docs/sync-protocol.md, "Shared records"): which
-- patients' records this team shares with which partner team, and, per document, what
-- that team already has of it, so that only what changed since goes in the next letter.
CREATE TABLE record_shares (
    team_id    BLOB NOT NULL,
    patient_id BLOB NOT NULL,
    PRIMARY KEY (team_id, patient_id)
);
CREATE INDEX record_shares_by_patient ON record_shares (patient_id);

-- `version` is the document's version when a letter to the team last covered it;
-- `their_heads` the Automerge heads the team is known to hold (sent, or received from it).
CREATE TABLE share_sent (
    team_id     BLOB    NOT NULL,
    document_id BLOB    NOT NULL,
    version     INTEGER NOT NULL,
    their_heads BLOB    NOT NULL,
    PRIMARY KEY (team_id, document_id)
);

-- Records this team's copy of which is read-only: another team ended the share. Deleted
-- from the store (documents, chunks, index rows) once `keep_until` has passed.
CREATE TABLE ended_copies (
    patient_id BLOB    PRIMARY KEY,
    keep_until INTEGER NOT NULL
);
