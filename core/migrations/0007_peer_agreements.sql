-- Direct sync: what this device and another agreed their summaries were when they last
-- synced, so the next meeting summarises only what changed since. Sealed (postcard of
-- `sync::peer::Agreement`); lost or unreadable, the next meeting sends whole summaries.
CREATE TABLE peer_agreements (
    peer      BLOB PRIMARY KEY,
    agreement BLOB NOT NULL
);
