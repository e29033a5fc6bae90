//! Where the relay keeps each team's registry, log and offers: one trait, with SQLite
//! behind it by default ([`sqlite`]: WAL, `synchronous=FULL`, an acknowledged push
//! survives a crash) and memory for deterministic tests ([`memory`]).

use hedgerow_protocol::registry::{PositionedStatement, SignedStatement};
use hedgerow_protocol::wire::LogEntry;
use std::future::Future;

#[cfg(feature = "postgres")]
pub mod copy;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sole_writer;
pub mod sqlite;

pub use memory::MemoryRelayStorage;
#[cfg(feature = "postgres")]
pub use postgres::PostgresRelayStorage;
pub use sqlite::SqliteRelayStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("relay storage: {0}")]
    Database(#[from] sqlx::Error),
    #[error("relay storage migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("relay storage holds a record that does not decode: {0}")]
    Corrupt(String),
    #[error("another connection changed the registry at the same time")]
    RegistryRace,
    #[error(
        "another relay process is serving the store in {0}: stop it first (several processes share a PostgreSQL database, never a SQLite file)"
    )]
    InUse(String),
}

/// A batch of log entries for one pull, and how far the scan got.
#[derive(Debug, Default)]
pub struct PulledBatch {
    pub entries: Vec<(u64, LogEntry)>,
    /// The highest log position scanned (including entries left out as the puller's own).
    pub scanned_to: u64,
    /// The log's high water as of the same read, where the storage learnt it at no cost
    /// (PostgreSQL reads it in the scan's own statement); otherwise the session asks.
    pub high_water: Option<u64>,
}

pub trait RelayStorage: Send + Sync + 'static {
    /// The team's registry statements from index `from` on, with their positions.
    fn registry(
        &self,
        team: [u8; 16],
        from: u32,
    ) -> impl Future<Output = Result<Vec<PositionedStatement>, StorageError>> + Send;
    /// Stores `statement` as the team's `index`-th, accepted at log `position`; fails with
    /// `RegistryRace` if that index is taken.
    fn append_statement(
        &self,
        team: [u8; 16],
        index: u32,
        position: u64,
        statement: &SignedStatement,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Appends entries in order (one transaction); returns the first and last positions.
    /// A snapshot drops its author's own earlier changes and snapshots of the document.
    fn append_entries(
        &self,
        team: [u8; 16],
        entries: &[LogEntry],
    ) -> impl Future<Output = Result<(u64, u64), StorageError>> + Send;
    /// Entries after `after` up to about `max_bytes`, leaving out those by `skip_author`.
    fn entries_after(
        &self,
        team: [u8; 16],
        after: u64,
        skip_author: [u8; 32],
        max_bytes: usize,
    ) -> impl Future<Output = Result<PulledBatch, StorageError>> + Send;
    /// The highest position ever given in the team's log (0 when empty). A storage may
    /// number one log for all teams (SQLite) or each team's apart (PostgreSQL); positions
    /// only ever grow within a team.
    fn high_water(&self, team: [u8; 16]) -> impl Future<Output = Result<u64, StorageError>> + Send;
    /// The log's random id, made with it.
    fn log_id(&self) -> impl Future<Output = Result<[u8; 16], StorageError>> + Send;
    /// Bytes the team's entries take.
    fn team_usage(&self, team: [u8; 16]) -> impl Future<Output = Result<u64, StorageError>> + Send;
    /// How many teams have a registry here.
    fn team_count(&self) -> impl Future<Output = Result<u64, StorageError>> + Send;
    fn put_offer(
        &self,
        team: [u8; 16],
        invite: [u8; 32],
        offer: &[u8],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn has_offer(
        &self,
        team: [u8; 16],
        invite: [u8; 32],
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Returns and deletes the offer: an invite is used once.
    fn take_offer(
        &self,
        team: [u8; 16],
        invite: [u8; 32],
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;
    /// Lets go of the storage's connections (the process is stopping).
    fn close(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// Deletes every offer of the team but those of `open` invites.
    fn retain_offers(
        &self,
        team: [u8; 16],
        open: &[[u8; 32]],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// An entry as every storage keeps it: its postcard bytes, which quotas and pull budgets count.
pub(crate) fn encode_entry(entry: &LogEntry) -> Vec<u8> {
    postcard::to_stdvec(entry).expect("encoding to a Vec cannot fail")
}

pub(crate) fn decode_entry(raw: &[u8]) -> Result<LogEntry, StorageError> {
    postcard::from_bytes(raw).map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub(crate) fn decode_statement(raw: &[u8], position: i64) -> Result<PositionedStatement, StorageError> {
    let statement = postcard::from_bytes(raw).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    Ok(PositionedStatement { statement, position: position as u64 })
}

/// A pull batch filled in log order, the one rule every storage keeps: the puller's own
/// entries are scanned past but not sent, and the batch stops before the entry that would
/// take it over its budget (it always holds at least one).
pub(crate) struct BatchFill {
    batch: PulledBatch,
    bytes: usize,
    max_bytes: usize,
    skip_author: [u8; 32],
}

impl BatchFill {
    pub(crate) fn new(after: u64, skip_author: [u8; 32], max_bytes: usize) -> Self {
        Self {
            batch: PulledBatch { entries: Vec::new(), scanned_to: after, high_water: None },
            bytes: 0,
            max_bytes,
            skip_author,
        }
    }

    /// Where the scan has got to.
    pub(crate) fn scanned_to(&self) -> u64 {
        self.batch.scanned_to
    }

    /// Offers the entry at `seq` of `size` bytes; `false` once the batch is full (the entry
    /// is not taken and the scan should stop there).
    pub(crate) fn take(
        &mut self,
        seq: u64,
        author: &[u8],
        size: usize,
        entry: impl FnOnce() -> Result<LogEntry, StorageError>,
    ) -> Result<bool, StorageError> {
        if author != self.skip_author.as_slice() {
            if self.bytes > 0 && self.bytes + size > self.max_bytes {
                return Ok(false);
            }
            self.bytes += size;
            self.batch.entries.push((seq, entry()?));
        }
        self.batch.scanned_to = seq;
        Ok(true)
    }

    /// The high water read with the scan.
    pub(crate) fn saw_high_water(&mut self, high_water: u64) {
        self.batch.high_water = Some(high_water);
    }

    pub(crate) fn finish(self) -> PulledBatch {
        self.batch
    }
}
