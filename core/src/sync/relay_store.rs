//! Where the relay keeps each team's registry, log and offers: one trait, and SQLite
//! behind it (WAL, `synchronous=FULL`: an acknowledged push survives a crash).

use super::registry::{Registry, SignedStatement};
use super::wire::{EntryKind, LogEntry};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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
}

/// A batch of log entries for one pull, and how far the scan got.
pub struct PulledBatch {
    pub entries: Vec<(u64, LogEntry)>,
    /// The highest log position scanned (including entries left out as the puller's own).
    pub scanned_to: u64,
}

pub trait RelayStorage: Send + Sync + 'static {
    /// The team's registry statements from position `from` on.
    fn registry(
        &self,
        team: [u8; 16],
        from: u32,
    ) -> impl Future<Output = Result<Vec<SignedStatement>, StorageError>> + Send;
    /// Stores `statement` at `position`; fails with `RegistryRace` if that place is taken.
    fn append_statement(
        &self,
        team: [u8; 16],
        position: u32,
        statement: &SignedStatement,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Appends entries in order (one transaction); returns the first and last positions.
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
    fn put_offer(
        &self,
        team: [u8; 16],
        tag: [u8; 32],
        offer: &[u8],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Returns and deletes the offer: an invite is used once.
    fn take_offer(
        &self,
        team: [u8; 16],
        tag: [u8; 32],
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./relay-migrations");
pub const RELAY_DB_FILE: &str = "relay.db";

/// Appends waiting for the writer, with where to send each one's positions.
type AppendRequest = ([u8; 16], Vec<LogEntry>, tokio::sync::oneshot::Sender<Result<(u64, u64), String>>);

#[derive(Clone)]
pub struct SqliteRelayStorage {
    pool: SqlitePool,
    appends: tokio::sync::mpsc::UnboundedSender<AppendRequest>,
}

impl SqliteRelayStorage {
    pub async fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Corrupt(format!("{}: {e}", dir.display())))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join(RELAY_DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        let (appends, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(group_commit(pool.clone(), queue));
        Ok(Self { pool, appends })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn encode(entry: &LogEntry) -> Vec<u8> {
    postcard::to_stdvec(entry).expect("encoding to a Vec cannot fail")
}

impl RelayStorage for SqliteRelayStorage {
    async fn registry(&self, team: [u8; 16], from: u32) -> Result<Vec<SignedStatement>, StorageError> {
        let rows =
            sqlx::query("SELECT statement FROM registry WHERE team = ? AND position >= ? ORDER BY position")
                .bind(team.as_slice())
                .bind(from as i64)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|r| {
                let b: Vec<u8> = r.try_get("statement")?;
                postcard::from_bytes(&b).map_err(|e| StorageError::Corrupt(e.to_string()))
            })
            .collect()
    }

    async fn append_statement(
        &self,
        team: [u8; 16],
        position: u32,
        statement: &SignedStatement,
    ) -> Result<(), StorageError> {
        let bytes = postcard::to_stdvec(statement).expect("encoding to a Vec cannot fail");
        let r = sqlx::query("INSERT INTO registry (team, position, statement) VALUES (?, ?, ?)")
            .bind(team.as_slice())
            .bind(position as i64)
            .bind(bytes)
            .execute(&self.pool)
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StorageError::RegistryRace),
            Err(e) => Err(e.into()),
        }
    }

    async fn append_entries(&self, team: [u8; 16], entries: &[LogEntry]) -> Result<(u64, u64), StorageError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.appends
            .send((team, entries.to_vec(), tx))
            .map_err(|_| StorageError::Corrupt("the relay's writer has stopped".into()))?;
        rx.await
            .map_err(|_| StorageError::Corrupt("the relay's writer has stopped".into()))?
            .map_err(StorageError::Corrupt)
    }

    async fn entries_after(
        &self,
        team: [u8; 16],
        after: u64,
        skip_author: [u8; 32],
        max_bytes: usize,
    ) -> Result<PulledBatch, StorageError> {
        let mut entries = Vec::new();
        let mut scanned_to = after;
        let mut bytes = 0usize;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT seq, author, entry FROM log WHERE team = ? AND seq > ? ORDER BY seq LIMIT 512",
            )
            .bind(team.as_slice())
            .bind(scanned_to as i64)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let seq = r.try_get::<i64, _>("seq")? as u64;
                let author: Vec<u8> = r.try_get("author")?;
                if author.as_slice() != skip_author.as_slice() {
                    let raw: Vec<u8> = r.try_get("entry")?;
                    if bytes > 0 && bytes + raw.len() > max_bytes {
                        break 'pages;
                    }
                    bytes += raw.len();
                    let entry =
                        postcard::from_bytes(&raw).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    entries.push((seq, entry));
                }
                scanned_to = seq;
            }
        }
        Ok(PulledBatch { entries, scanned_to })
    }

    async fn put_offer(&self, team: [u8; 16], tag: [u8; 32], offer: &[u8]) -> Result<(), StorageError> {
        sqlx::query("INSERT OR REPLACE INTO offers (team, tag, offer) VALUES (?, ?, ?)")
            .bind(team.as_slice())
            .bind(tag.as_slice())
            .bind(offer)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn take_offer(&self, team: [u8; 16], tag: [u8; 32]) -> Result<Option<Vec<u8>>, StorageError> {
        let row = sqlx::query("DELETE FROM offers WHERE team = ? AND tag = ? RETURNING offer")
            .bind(team.as_slice())
            .bind(tag.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("offer")).transpose()?)
    }
}

/// The relay's shared state: its storage, and each team's registry as last checked, so
/// that a connection verifies only the statements added since.
pub struct RelayState<S> {
    storage: S,
    registries: std::sync::Mutex<std::collections::HashMap<[u8; 16], Arc<Registry>>>,
}

impl<S: RelayStorage> RelayState<S> {
    pub fn new(storage: S) -> Self {
        Self { storage, registries: Default::default() }
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The team's registry, brought up to date with storage (other relay processes may
    /// have added to it).
    pub async fn registry(&self, team: [u8; 16]) -> Result<Arc<Registry>, StorageError> {
        let cached = self.cached(team);
        let known = cached.as_ref().map_or(0, |r| r.statements().len());
        let newer = self.storage.registry(team, known as u32).await?;
        if newer.is_empty()
            && let Some(r) = cached
        {
            return Ok(r);
        }
        let mut registry = cached.unwrap_or_else(|| Arc::new(Registry::new(team)));
        let r = Arc::make_mut(&mut registry);
        for s in newer {
            r.apply(s).map_err(|e| StorageError::Corrupt(format!("stored registry statement: {e}")))?;
        }
        self.remember(registry.clone());
        Ok(registry)
    }

    fn cached(&self, team: [u8; 16]) -> Option<Arc<Registry>> {
        self.registries.lock().unwrap_or_else(|p| p.into_inner()).get(&team).cloned()
    }

    /// Keeps the longer of the cached and the given registry.
    pub fn remember(&self, registry: Arc<Registry>) {
        let mut map = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        let longer =
            map.get(&registry.team()).is_none_or(|c| c.statements().len() < registry.statements().len());
        if longer {
            map.insert(registry.team(), registry);
        }
    }
}

/// The one writer: takes every append waiting, writes them in one transaction and one
/// fsync, then answers each. Under many devices at once this turns a thousand commits
/// into a handful, and nothing is acknowledged before it is on disk.
async fn group_commit(pool: SqlitePool, mut queue: tokio::sync::mpsc::UnboundedReceiver<AppendRequest>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = queue.try_recv() {
            batch.push(more);
        }
        let result = write_batch(&pool, &batch).await;
        match result {
            Ok(positions) => {
                for ((_, _, reply), p) in batch.into_iter().zip(positions) {
                    let _ = reply.send(Ok(p));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "relay could not store a batch of bundles");
                for (_, _, reply) in batch {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

async fn write_batch(pool: &SqlitePool, batch: &[AppendRequest]) -> Result<Vec<(u64, u64)>, StorageError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut positions = Vec::with_capacity(batch.len());
    for (team, entries, _) in batch {
        let (mut first, mut last) = (0u64, 0u64);
        for e in entries {
            let seq = sqlx::query("INSERT INTO log (team, author, doc_tag, entry) VALUES (?, ?, ?, ?)")
                .bind(team.as_slice())
                .bind(e.author.as_slice())
                .bind(e.doc_tag.as_slice())
                .bind(encode(e))
                .execute(&mut *tx)
                .await?
                .last_insert_rowid() as u64;
            if first == 0 {
                first = seq;
            }
            last = seq;
            if let EntryKind::Snapshot { through } = e.kind {
                // The snapshot holds every change of this document up to `through`.
                sqlx::query("DELETE FROM log WHERE team = ? AND doc_tag = ? AND seq <= ?")
                    .bind(team.as_slice())
                    .bind(e.doc_tag.as_slice())
                    .bind(through.min(seq - 1) as i64)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        positions.push((first, last));
    }
    tx.commit().await?;
    Ok(positions)
}
