//! The relay's default storage: one SQLite file under `--data`, in WAL mode with
//! `synchronous=FULL`, and one writer that commits every waiting append together.

use super::sole_writer::SoleWriter;
use super::{
    BatchFill, PulledBatch, RelayStorage, StorageError, decode_entry, decode_statement, encode_entry,
};
use hedgerow_protocol::registry::{PositionedStatement, SignedStatement};
use hedgerow_protocol::wire::{EntryKind, LogEntry};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub const RELAY_DB_FILE: &str = "relay.db";

/// Appends waiting for the writer, with where to send each one's positions.
type AppendRequest = ([u8; 16], Vec<LogEntry>, tokio::sync::oneshot::Sender<Result<(u64, u64), String>>);

#[derive(Clone)]
pub struct SqliteRelayStorage {
    pool: SqlitePool,
    appends: tokio::sync::mpsc::UnboundedSender<AppendRequest>,
    log_id: [u8; 16],
    /// This process's claim on the file and what it knows by it; `None` when opened
    /// shared (beside a serving relay), which asks the file every time.
    sole: Option<Arc<SoleWriter>>,
}

impl SqliteRelayStorage {
    /// Opens the store in `dir` for this process alone: a second process on the same
    /// directory gets `StorageError::InUse`.
    pub async fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Corrupt(format!("{}: {e}", dir.display())))?;
        let sole = Arc::new(SoleWriter::claim(dir)?);
        Self::open_with(dir, Some(sole)).await
    }

    /// Opens the store in `dir` beside the process serving it (to back it up, or to look
    /// at it in a test); every read asks the file.
    pub async fn open_shared(dir: &Path) -> Result<Self, StorageError> {
        Self::open_with(dir, None).await
    }

    async fn open_with(dir: &Path, sole: Option<Arc<SoleWriter>>) -> Result<Self, StorageError> {
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
        tokio::spawn(group_commit(pool.clone(), queue, sole.clone()));
        Ok(Self { pool, appends, log_id, sole })
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

impl SqliteRelayStorage {
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl RelayStorage for SqliteRelayStorage {
    async fn close(&self) {
        self.pool.close().await;
        if let Some(sole) = &self.sole {
            sole.release();
        }
    }

    async fn registry(&self, team: [u8; 16], from: u32) -> Result<Vec<PositionedStatement>, StorageError> {
        if let Some(sole) = &self.sole
            && sole.statements(team).is_some_and(|n| from >= n)
        {
            return Ok(Vec::new());
        }
        let rows =
            sqlx::query("SELECT position, statement FROM registry WHERE team = ? AND idx >= ? ORDER BY idx")
                .bind(team.as_slice())
                .bind(from as i64)
                .fetch_all(&self.pool)
                .await?;
        let statements: Vec<PositionedStatement> = rows
            .into_iter()
            .map(|r| decode_statement(&r.try_get::<Vec<u8>, _>("statement")?, r.try_get("position")?))
            .collect::<Result<_, StorageError>>()?;
        if let Some(sole) = &self.sole {
            // Callers ask from what they hold, never past the end.
            sole.set_statements(team, from + statements.len() as u32);
        }
        Ok(statements)
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
            Ok(_) => {
                if let Some(sole) = &self.sole {
                    sole.set_statements(team, index + 1);
                }
                Ok(())
            }
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
        if let Some(sole) = &self.sole
            && sole.team_last(team).is_some_and(|last| after >= last)
        {
            return Ok(PulledBatch { entries: Vec::new(), scanned_to: after, high_water: None });
        }
        let mut fill = BatchFill::new(after, skip_author, max_bytes);
        let mut reached_end = false;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT seq, author, entry FROM log WHERE team = ? AND seq > ? ORDER BY seq LIMIT 512",
            )
            .bind(team.as_slice())
            .bind(fill.scanned_to() as i64)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                reached_end = true;
                break;
            }
            for r in rows {
                let seq = r.try_get::<i64, _>("seq")? as u64;
                let author: Vec<u8> = r.try_get("author")?;
                let raw: Vec<u8> = r.try_get("entry")?;
                if !fill.take(seq, &author, raw.len(), || decode_entry(&raw))? {
                    break 'pages;
                }
            }
        }
        if let Some(sole) = &self.sole
            && reached_end
        {
            // Nothing of the team's above this now; the writer raises it with each commit.
            sole.saw_team_last(team, fill.scanned_to());
        }
        Ok(fill.finish())
    }

    async fn high_water(&self, _team: [u8; 16]) -> Result<u64, StorageError> {
        if let Some(known) = self.sole.as_ref().and_then(|s| s.high_water()) {
            return Ok(known);
        }
        // The highest position ever given to any team, pruned or not.
        let row = sqlx::query("SELECT seq FROM sqlite_sequence WHERE name = 'log'")
            .fetch_optional(&self.pool)
            .await?;
        let high_water = row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0) as u64;
        if let Some(sole) = &self.sole {
            sole.saw_high_water(high_water);
        }
        Ok(high_water)
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

/// The one writer: takes every append waiting, writes them in one transaction and one
/// fsync, then answers each. Under many devices at once this turns a thousand commits
/// into a handful, and nothing is acknowledged before it is on disk.
async fn group_commit(
    pool: SqlitePool,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<AppendRequest>,
    sole: Option<Arc<SoleWriter>>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = queue.try_recv() {
            batch.push(more);
        }
        let result = write_batch(&pool, &batch).await;
        match result {
            Ok(positions) => {
                // Known before anyone hears of these positions (see sole_writer.rs).
                if let Some(sole) = &sole {
                    for ((team, _, _), (_, last)) in batch.iter().zip(&positions) {
                        if *last > 0 {
                            sole.saw_team_last(*team, *last);
                            sole.saw_high_water(*last);
                        }
                    }
                }
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
            let raw = encode_entry(e);
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
