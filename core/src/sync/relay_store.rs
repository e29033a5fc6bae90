//! Where the relay keeps each team's registry, log and offers: one trait, and SQLite
//! behind it (WAL, `synchronous=FULL`: an acknowledged push survives a crash).

use super::registry::{PositionedStatement, Registry, SignedStatement};
use super::wire::{EntryKind, LogEntry, Refusal};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
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
    /// The highest position in the log (0 when empty).
    fn high_water(&self) -> impl Future<Output = Result<u64, StorageError>> + Send;
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
    /// Deletes every offer of the team but those of `open` invites.
    fn retain_offers(
        &self,
        team: [u8; 16],
        open: &[[u8; 32]],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./relay-migrations");
pub const RELAY_DB_FILE: &str = "relay.db";

/// Appends waiting for the writer, with where to send each one's positions.
type AppendRequest = ([u8; 16], Vec<LogEntry>, tokio::sync::oneshot::Sender<Result<(u64, u64), String>>);

#[derive(Clone)]
pub struct SqliteRelayStorage {
    pool: SqlitePool,
    appends: tokio::sync::mpsc::UnboundedSender<AppendRequest>,
    log_id: [u8; 16],
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
        let id: Vec<u8> =
            sqlx::query("SELECT log_id FROM log_meta WHERE id = 1").fetch_one(&pool).await?.try_get(0)?;
        let log_id =
            id.try_into().map_err(|_| StorageError::Corrupt("the log id has the wrong length".into()))?;
        let (appends, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(group_commit(pool.clone(), queue));
        Ok(Self { pool, appends, log_id })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A consistent copy of the whole store at `to` (which must not exist), taken while
    /// the relay serves.
    pub async fn backup(&self, to: &Path) -> Result<(), StorageError> {
        let to = to.to_str().ok_or_else(|| StorageError::Corrupt("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?").bind(to).execute(&self.pool).await?;
        Ok(())
    }

    /// Puts the backup at `from` in place as the store in `dir` (the relay stopped), under a
    /// new log id: every device then pulls the log from the start and pushes again what it
    /// holds, so nothing written after the backup is lost or skipped.
    pub async fn restore(dir: &Path, from: &Path) -> Result<(), StorageError> {
        let io = |e: std::io::Error| StorageError::Corrupt(format!("restoring {}: {e}", from.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let db = dir.join(RELAY_DB_FILE);
        let staged = dir.join(format!("{RELAY_DB_FILE}.restoring"));
        std::fs::copy(from, &staged).map_err(io)?;
        for side in ["-wal", "-shm"] {
            match std::fs::remove_file(dir.join(format!("{RELAY_DB_FILE}{side}"))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        std::fs::rename(&staged, &db).map_err(io)?;
        let storage = Self::open(dir).await?;
        sqlx::query("UPDATE log_meta SET log_id = randomblob(16) WHERE id = 1")
            .execute(&storage.pool)
            .await?;
        storage.close().await;
        Ok(())
    }
}

fn encode(entry: &LogEntry) -> Vec<u8> {
    postcard::to_stdvec(entry).expect("encoding to a Vec cannot fail")
}

impl RelayStorage for SqliteRelayStorage {
    async fn registry(&self, team: [u8; 16], from: u32) -> Result<Vec<PositionedStatement>, StorageError> {
        let rows =
            sqlx::query("SELECT position, statement FROM registry WHERE team = ? AND idx >= ? ORDER BY idx")
                .bind(team.as_slice())
                .bind(from as i64)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|r| {
                let b: Vec<u8> = r.try_get("statement")?;
                let position = r.try_get::<i64, _>("position")? as u64;
                let statement = postcard::from_bytes(&b).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                Ok(PositionedStatement { statement, position })
            })
            .collect()
    }

    async fn append_statement(
        &self,
        team: [u8; 16],
        index: u32,
        position: u64,
        statement: &SignedStatement,
    ) -> Result<(), StorageError> {
        let bytes = postcard::to_stdvec(statement).expect("encoding to a Vec cannot fail");
        let r = sqlx::query("INSERT INTO registry (team, idx, position, statement) VALUES (?, ?, ?, ?)")
            .bind(team.as_slice())
            .bind(index as i64)
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

    async fn high_water(&self) -> Result<u64, StorageError> {
        // The highest position ever given, pruned or not.
        let row = sqlx::query("SELECT seq FROM sqlite_sequence WHERE name = 'log'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0) as u64)
    }

    async fn log_id(&self) -> Result<[u8; 16], StorageError> {
        Ok(self.log_id)
    }

    async fn team_usage(&self, team: [u8; 16]) -> Result<u64, StorageError> {
        let row = sqlx::query("SELECT bytes FROM team_usage WHERE team = ?")
            .bind(team.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0).max(0) as u64)
    }

    async fn team_count(&self) -> Result<u64, StorageError> {
        let n: i64 = sqlx::query("SELECT COUNT(DISTINCT team) FROM registry")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    async fn put_offer(&self, team: [u8; 16], invite: [u8; 32], offer: &[u8]) -> Result<(), StorageError> {
        sqlx::query("INSERT OR REPLACE INTO offers (team, invite, offer) VALUES (?, ?, ?)")
            .bind(team.as_slice())
            .bind(invite.as_slice())
            .bind(offer)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn has_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<bool, StorageError> {
        let row = sqlx::query("SELECT 1 FROM offers WHERE team = ? AND invite = ?")
            .bind(team.as_slice())
            .bind(invite.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn take_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<Option<Vec<u8>>, StorageError> {
        let row = sqlx::query("DELETE FROM offers WHERE team = ? AND invite = ? RETURNING offer")
            .bind(team.as_slice())
            .bind(invite.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("offer")).transpose()?)
    }

    async fn retain_offers(&self, team: [u8; 16], open: &[[u8; 32]]) -> Result<(), StorageError> {
        let rows = sqlx::query("SELECT invite FROM offers WHERE team = ?")
            .bind(team.as_slice())
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            let invite: Vec<u8> = r.try_get(0)?;
            if !open.iter().any(|o| o.as_slice() == invite.as_slice()) {
                sqlx::query("DELETE FROM offers WHERE team = ? AND invite = ?")
                    .bind(team.as_slice())
                    .bind(&invite)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}

/// What one relay allows, so that no one can exhaust it without logging in.
#[derive(Clone, Debug)]
pub struct RelayLimits {
    /// Connections served at once; more are refused as busy.
    pub max_connections: usize,
    /// Teams this relay will found; a charter beyond it is refused.
    pub max_teams: u64,
    /// Bytes of sealed entries one team may keep here.
    pub team_quota_bytes: u64,
    /// Teams whose checked registry is kept in memory.
    pub registry_cache: usize,
}

impl Default for RelayLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_teams: 10_000,
            team_quota_bytes: 20 * 1024 * 1024 * 1024,
            registry_cache: 10_000,
        }
    }
}

/// Each team's checked registry, at most `cap` of them, the oldest cached forgotten first.
#[derive(Default)]
struct RegistryCache {
    map: HashMap<[u8; 16], Arc<Registry>>,
    order: VecDeque<[u8; 16]>,
}

/// The relay's shared state: its storage, its limits, and each team's registry as last
/// checked, so that a connection verifies only the statements added since.
pub struct RelayState<S> {
    storage: S,
    limits: RelayLimits,
    registries: Mutex<RegistryCache>,
    refusals: Mutex<BTreeMap<String, u64>>,
}

impl<S: RelayStorage> RelayState<S> {
    pub fn new(storage: S) -> Self {
        Self::with_limits(storage, RelayLimits::default())
    }

    pub fn with_limits(storage: S, limits: RelayLimits) -> Self {
        Self { storage, limits, registries: Default::default(), refusals: Default::default() }
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn limits(&self) -> &RelayLimits {
        &self.limits
    }

    /// The team's registry, brought up to date with storage (other relay processes may
    /// have added to it). A team with no statements is not cached: anyone can say hello
    /// with a made-up team id.
    pub async fn registry(&self, team: [u8; 16]) -> Result<Arc<Registry>, StorageError> {
        let cached = self.cached(team);
        let known = cached.as_ref().map_or(0, |r| r.statements().len());
        let newer = self.storage.registry(team, known as u32).await?;
        if newer.is_empty() {
            return Ok(cached.unwrap_or_else(|| Arc::new(Registry::new(team))));
        }
        let mut registry = cached.unwrap_or_else(|| Arc::new(Registry::new(team)));
        let r = Arc::make_mut(&mut registry);
        for s in newer {
            r.apply(s.statement, s.position)
                .map_err(|e| StorageError::Corrupt(format!("stored registry statement: {e}")))?;
        }
        self.remember(registry.clone());
        Ok(registry)
    }

    fn cached(&self, team: [u8; 16]) -> Option<Arc<Registry>> {
        self.registries.lock().unwrap_or_else(|p| p.into_inner()).map.get(&team).cloned()
    }

    /// Keeps the longer of the cached and the given registry.
    pub fn remember(&self, registry: Arc<Registry>) {
        if !registry.has_charter() {
            return;
        }
        let mut cache = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        let team = registry.team();
        match cache.map.get(&team) {
            Some(c) if c.statements().len() >= registry.statements().len() => return,
            Some(_) => {}
            None => {
                cache.order.push_back(team);
                while cache.order.len() > self.limits.registry_cache.max(1) {
                    if let Some(old) = cache.order.pop_front() {
                        cache.map.remove(&old);
                    }
                }
            }
        }
        cache.map.insert(team, registry);
    }

    /// How many registries are cached (for tests of the bound).
    pub fn cached_registries(&self) -> usize {
        self.registries.lock().unwrap_or_else(|p| p.into_inner()).map.len()
    }

    pub(crate) async fn may_found_team(&self, _team: [u8; 16]) -> Result<(), RefuseReason> {
        if self.storage.team_count().await? >= self.limits.max_teams {
            return Err(RefuseReason(Refusal::Quota, "this relay serves as many teams as it may".into()));
        }
        Ok(())
    }

    pub(crate) async fn within_quota(&self, team: [u8; 16], adding: u64) -> Result<(), RefuseReason> {
        let used = self.storage.team_usage(team).await?;
        if used.saturating_add(adding) > self.limits.team_quota_bytes {
            return Err(RefuseReason(
                Refusal::Quota,
                format!(
                    "the team keeps {used} bytes here and may keep {}: ask the relay's operator",
                    self.limits.team_quota_bytes
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn count_refusal(&self, code: Refusal) {
        *self.refusals.lock().unwrap_or_else(|p| p.into_inner()).entry(format!("{code:?}")).or_default() += 1;
    }

    /// Refusals so far, by code.
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        self.refusals.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A refusal decided by the relay's state (a limit), for the session to send.
pub(crate) struct RefuseReason(pub Refusal, pub String);

impl From<StorageError> for RefuseReason {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "relay storage failed");
        RefuseReason(Refusal::Unavailable, "the relay could not reach its storage; try again".into())
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
        let mut grew: i64 = 0;
        for e in entries {
            let raw = encode(e);
            grew += raw.len() as i64;
            let seq =
                sqlx::query("INSERT INTO log (team, author, doc_tag, kind, entry) VALUES (?, ?, ?, ?, ?)")
                    .bind(team.as_slice())
                    .bind(e.author.as_slice())
                    .bind(e.doc_tag.as_slice())
                    .bind(e.kind.code())
                    .bind(raw)
                    .execute(&mut *tx)
                    .await?
                    .last_insert_rowid() as u64;
            if first == 0 {
                first = seq;
            }
            last = seq;
            if let EntryKind::Snapshot { earlier_tags } = &e.kind {
                // The snapshot holds all its author has of the document: it replaces that
                // author's own earlier changes and snapshots of it, and nothing else.
                for tag in std::iter::once(&e.doc_tag).chain(earlier_tags) {
                    let freed: Vec<i64> = sqlx::query(
                        "DELETE FROM log WHERE team = ? AND author = ? AND doc_tag = ? AND kind IN ('changes', 'snapshot') AND seq < ? RETURNING length(entry)",
                    )
                    .bind(team.as_slice())
                    .bind(e.author.as_slice())
                    .bind(tag.as_slice())
                    .bind(seq as i64)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|r| r.try_get::<i64, _>(0))
                    .collect::<Result<_, _>>()?;
                    grew -= freed.iter().sum::<i64>();
                }
            }
        }
        sqlx::query(
            "INSERT INTO team_usage (team, bytes) VALUES (?1, ?2) ON CONFLICT (team) DO UPDATE SET bytes = MAX(0, bytes + ?2)",
        )
        .bind(team.as_slice())
        .bind(grew)
        .execute(&mut *tx)
        .await?;
        positions.push((first, last));
    }
    tx.commit().await?;
    Ok(positions)
}
