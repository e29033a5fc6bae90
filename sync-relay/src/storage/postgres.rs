//! Relay storage on PostgreSQL, for several relay processes behind one address serving the
//! same teams at once (docs/relay-operations.md). Every process keeps only its registry
//! cache; everything else is here.
//!
//! Log positions are given per team by a counter row updated in the appending transaction
//! (`team_log.high_water`). The row stays locked until that transaction commits, so the next
//! append to the team waits and takes the next number only after the earlier one is
//! visible: a device can never see position 101 while 100 is still to commit, move its
//! cursor past 100 and miss it. Teams do not wait for each other.

use super::{
    BatchFill, PulledBatch, RelayStorage, StorageError, decode_entry, decode_statement, encode_entry,
};
use hedgerow_protocol::registry::{PositionedStatement, SignedStatement};
use hedgerow_protocol::wire::{EntryKind, LogEntry};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PostgresRelayStorage {
    pool: PgPool,
    log_id: [u8; 16],
}

impl PostgresRelayStorage {
    /// Connects to `url` (`postgres://USER@HOST:PORT/DB`), brings the schema up to date and
    /// makes the log's id if this is the first relay on the database.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url)?;
        // One connection first, so that "connection refused" or a refused login is said as
        // such, not as a pool that timed out.
        options.connect().await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        // Every process proposes an id; the first one kept is the log's for good.
        let proposed = hedgerow_protocol::crypto::random_bytes::<16>()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO log_meta (id, log_id) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(proposed.as_slice())
            .execute(&pool)
            .await?;
        let id: Vec<u8> =
            sqlx::query("SELECT log_id FROM log_meta WHERE id = 1").fetch_one(&pool).await?.try_get(0)?;
        let log_id =
            id.try_into().map_err(|_| StorageError::Corrupt("the log id has the wrong length".into()))?;
        Ok(Self { pool, log_id })
    }
}

impl PostgresRelayStorage {
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl RelayStorage for PostgresRelayStorage {
    async fn close(&self) {
        self.pool.close().await;
    }

    async fn registry(&self, team: [u8; 16], from: u32) -> Result<Vec<PositionedStatement>, StorageError> {
        let rows = sqlx::query(
            "SELECT position, statement FROM registry WHERE team = $1 AND idx >= $2 ORDER BY idx",
        )
        .bind(team.as_slice())
        .bind(from as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| decode_statement(&r.try_get::<Vec<u8>, _>("statement")?, r.try_get("position")?))
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
        let r = sqlx::query("INSERT INTO registry (team, idx, position, statement) VALUES ($1, $2, $3, $4)")
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
        let mut tx = self.pool.begin().await?;
        // Takes the team's positions and holds its counter row until commit (see the header).
        let last: i64 = sqlx::query(
            "INSERT INTO team_log (team, high_water) VALUES ($1, $2)
             ON CONFLICT (team) DO UPDATE SET high_water = team_log.high_water + EXCLUDED.high_water
             RETURNING high_water",
        )
        .bind(team.as_slice())
        .bind(entries.len() as i64)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let first = last - entries.len() as i64 + 1;
        let mut grew: i64 = 0;
        for (seq, e) in (first..).zip(entries) {
            let raw = encode_entry(e);
            grew += raw.len() as i64;
            if let EntryKind::Snapshot { earlier_tags } = &e.kind {
                // The snapshot holds all its author has of the document: it replaces that
                // author's own earlier changes and snapshots of it, and nothing else.
                let tags: Vec<Vec<u8>> =
                    std::iter::once(&e.doc_tag).chain(earlier_tags).map(|t| t.to_vec()).collect();
                let freed: Option<i64> = sqlx::query(
                    "WITH gone AS (
                         DELETE FROM log WHERE team = $1 AND author = $2 AND doc_tag = ANY($3)
                           AND kind IN ('changes', 'snapshot') AND seq < $4
                         RETURNING octet_length(entry) AS bytes)
                     SELECT SUM(bytes)::BIGINT FROM gone",
                )
                .bind(team.as_slice())
                .bind(e.author.as_slice())
                .bind(&tags)
                .bind(seq)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                grew -= freed.unwrap_or(0);
            }
            sqlx::query(
                "INSERT INTO log (team, seq, author, doc_tag, kind, entry) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(team.as_slice())
            .bind(seq)
            .bind(e.author.as_slice())
            .bind(e.doc_tag.as_slice())
            .bind(e.kind.code())
            .bind(raw)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO team_usage (team, bytes) VALUES ($1, GREATEST(0, $2))
             ON CONFLICT (team) DO UPDATE SET bytes = GREATEST(0, team_usage.bytes + $2)",
        )
        .bind(team.as_slice())
        .bind(grew)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((first as u64, last as u64))
    }

    async fn entries_after(
        &self,
        team: [u8; 16],
        after: u64,
        skip_author: [u8; 32],
        max_bytes: usize,
    ) -> Result<PulledBatch, StorageError> {
        let mut fill = BatchFill::new(after, skip_author, max_bytes);
        'pages: loop {
            // The team's high water in the same statement (one snapshot): a pull that finds
            // nothing new is answered in one round trip. The one row with no entry carries
            // only the high water.
            let rows = sqlx::query(
                "SELECT t.high_water, l.seq, l.author, l.entry
                 FROM (SELECT 1) AS one
                 LEFT JOIN team_log t ON t.team = $1
                 LEFT JOIN LATERAL (
                     SELECT seq, author, entry FROM log WHERE team = $1 AND seq > $2 ORDER BY seq LIMIT 512
                 ) l ON true
                 ORDER BY l.seq",
            )
            .bind(team.as_slice())
            .bind(fill.scanned_to() as i64)
            .fetch_all(&self.pool)
            .await?;
            let mut any = false;
            for r in rows {
                let Some(seq) = r.try_get::<Option<i64>, _>("seq")? else {
                    let high_water = r.try_get::<Option<i64>, _>("high_water")?.unwrap_or(0);
                    fill.saw_high_water(high_water as u64);
                    continue;
                };
                any = true;
                let author: Vec<u8> = r.try_get("author")?;
                let raw: Vec<u8> = r.try_get("entry")?;
                if !fill.take(seq as u64, &author, raw.len(), || decode_entry(&raw))? {
                    break 'pages;
                }
            }
            if !any {
                break;
            }
        }
        Ok(fill.finish())
    }

    async fn high_water(&self, team: [u8; 16]) -> Result<u64, StorageError> {
        let row = sqlx::query("SELECT high_water FROM team_log WHERE team = $1")
            .bind(team.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0) as u64)
    }

    async fn log_id(&self) -> Result<[u8; 16], StorageError> {
        Ok(self.log_id)
    }

    async fn team_usage(&self, team: [u8; 16]) -> Result<u64, StorageError> {
        let row = sqlx::query("SELECT bytes FROM team_usage WHERE team = $1")
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
        sqlx::query(
            "INSERT INTO offers (team, invite, offer) VALUES ($1, $2, $3)
             ON CONFLICT (team, invite) DO UPDATE SET offer = EXCLUDED.offer",
        )
        .bind(team.as_slice())
        .bind(invite.as_slice())
        .bind(offer)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn has_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<bool, StorageError> {
        let row = sqlx::query("SELECT 1 FROM offers WHERE team = $1 AND invite = $2")
            .bind(team.as_slice())
            .bind(invite.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn take_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<Option<Vec<u8>>, StorageError> {
        let row = sqlx::query("DELETE FROM offers WHERE team = $1 AND invite = $2 RETURNING offer")
            .bind(team.as_slice())
            .bind(invite.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("offer")).transpose()?)
    }

    async fn retain_offers(&self, team: [u8; 16], open: &[[u8; 32]]) -> Result<(), StorageError> {
        let open: Vec<Vec<u8>> = open.iter().map(|o| o.to_vec()).collect();
        sqlx::query("DELETE FROM offers WHERE team = $1 AND NOT (invite = ANY($2))")
            .bind(team.as_slice())
            .bind(&open)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
