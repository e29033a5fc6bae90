-- The relay's store: per team, the signed device registry, the append-only log of sealed
-- bundles, and sealed enrolment offers. Nothing here can be read without a team key or
-- an invite secret, and the relay holds neither.

CREATE TABLE registry (
    team      BLOB    NOT NULL,
    position  INTEGER NOT NULL,
    statement BLOB    NOT NULL,
    PRIMARY KEY (team, position)
);

-- seq is the cursor devices pull after; AUTOINCREMENT never reuses a pruned number.
CREATE TABLE log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    team    BLOB NOT NULL,
    author  BLOB NOT NULL,
    doc_tag BLOB NOT NULL,
    entry   BLOB NOT NULL
);
CREATE INDEX log_by_team ON log (team, seq);
CREATE INDEX log_by_document ON log (team, doc_tag, seq);

CREATE TABLE offers (
    team  BLOB NOT NULL,
    tag   BLOB NOT NULL,
    offer BLOB NOT NULL,
    PRIMARY KEY (team, tag)
);
