-- The relay's schema on PostgreSQL (docs/relay-operations.md). Plain tables, B-tree
-- indexes, BYTEA, BIGINT, INSERT ... ON CONFLICT and DELETE ... RETURNING: nothing that
-- CockroachDB or YugabyteDB lacks.

-- One row: the log's random id, made by the first relay process to open the database.
CREATE TABLE log_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    log_id BYTEA NOT NULL
);

-- Each team's signed registry statements, in order; (team, idx) taken twice is a race
-- between connections, and the loser applies its statement again on top.
CREATE TABLE registry (
    team BYTEA NOT NULL,
    idx BIGINT NOT NULL,
    position BIGINT NOT NULL,
    statement BYTEA NOT NULL,
    PRIMARY KEY (team, idx)
);

-- The highest position given in each team's log. The appending transaction updates this
-- row and holds it until commit, so positions become visible in order.
CREATE TABLE team_log (
    team BYTEA PRIMARY KEY,
    high_water BIGINT NOT NULL
);

-- Sealed entries: all the relay sees of each is its author, a keyed tag of its document,
-- its kind and the sealed bytes.
CREATE TABLE log (
    team BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    author BYTEA NOT NULL,
    doc_tag BYTEA NOT NULL,
    kind TEXT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (team, seq)
);
-- A snapshot prunes its author's earlier entries of the document.
CREATE INDEX log_by_author_document ON log (team, author, doc_tag);

CREATE TABLE team_usage (
    team BYTEA PRIMARY KEY,
    bytes BIGINT NOT NULL
);

-- Enrolment offers waiting for the invited device: taken once.
CREATE TABLE offers (
    team BYTEA NOT NULL,
    invite BYTEA NOT NULL,
    offer BYTEA NOT NULL,
    PRIMARY KEY (team, invite)
);
