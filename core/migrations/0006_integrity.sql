-- Rows that cannot be deleted, put back or reordered unnoticed.

-- Each document's sealed manifest: the generation its snapshot was sealed under and the
-- chunk numbers that must follow it. A deleted, replayed or extra chunk is found on load.
ALTER TABLE documents ADD COLUMN manifest BLOB;

-- Each setting's version, bound into its seal and recorded in the store manifest, so that
-- an older sealed value put back is refused.
ALTER TABLE settings ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- The audit log as a chain: each entry's chain value is a hash over the one before and the
-- entry itself, and is bound into the entry's seal.
ALTER TABLE audit_log ADD COLUMN chain BLOB;

-- Sealed store-wide record of the settings' versions.
CREATE TABLE store_manifest (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BLOB NOT NULL
);

-- The team's other devices' audit entries, as they synced them (sealed), with their chain
-- values and, where a device's chain did not follow on, what was wrong.
CREATE TABLE team_audit (
    device  BLOB    NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    entry   BLOB    NOT NULL,
    chain   BLOB    NOT NULL,
    problem TEXT,
    -- A device whose log was rewritten sends other entries under numbers already held:
    -- both are kept.
    PRIMARY KEY (device, seq, chain)
);

-- Bundles from the relay whose changes build on changes not received yet (a colleague's
-- earlier changes, which come later in their snapshot): kept sealed, and applied as soon
-- as what they build on has arrived, never dropped.
CREATE TABLE deferred_bundles (
    seq    INTEGER PRIMARY KEY,
    author BLOB NOT NULL,
    body   BLOB NOT NULL
);
