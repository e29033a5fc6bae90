-- Protocol version 2. Its entries, statements and offers are not version 1's (team keys
-- named by epoch and minting admin, statements with log positions, invites by key), so
-- the version 1 log is not carried over: a new log begins, with a new log id, and devices
-- seeing the new id pull from the start and push everything again.
DROP TABLE log;
DROP TABLE registry;
DROP TABLE offers;

-- Each statement with the log position at which it was accepted: entries above that
-- position came after it (so a revocation's position says which entries came too late).
CREATE TABLE registry (
    team      BLOB    NOT NULL,
    idx       INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    statement BLOB    NOT NULL,
    PRIMARY KEY (team, idx)
);

-- seq is the cursor devices pull after; AUTOINCREMENT never reuses a pruned number.
-- kind (changes, snapshot, team-key, audit) is in the clear so that a snapshot prunes only
-- its author's own changes and snapshots, never team keys or audit entries.
CREATE TABLE log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    team    BLOB NOT NULL,
    author  BLOB NOT NULL,
    doc_tag BLOB NOT NULL,
    kind    TEXT NOT NULL,
    entry   BLOB NOT NULL
);
CREATE INDEX log_by_team ON log (team, seq);
CREATE INDEX log_by_author_document ON log (team, author, doc_tag, seq);

-- Sealed enrolment offers, by the invite's public key.
CREATE TABLE offers (
    team   BLOB NOT NULL,
    invite BLOB NOT NULL,
    offer  BLOB NOT NULL,
    PRIMARY KEY (team, invite)
);

-- Bytes each team's entries take, kept with every append and prune, for its allowance.
CREATE TABLE team_usage (
    team  BLOB PRIMARY KEY,
    bytes INTEGER NOT NULL
);

-- The log's id: random, made with the log.
CREATE TABLE log_meta (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    log_id BLOB NOT NULL
);
INSERT INTO log_meta (id, log_id) VALUES (1, randomblob(16));
