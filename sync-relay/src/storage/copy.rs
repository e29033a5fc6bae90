//! Moving a relay from SQLite to PostgreSQL: every table copied in one PostgreSQL
//! transaction, under the same log id and the same positions, so that devices go on from
//! their cursors as if nothing had changed (`hedgerow-relay copy-to`).

use super::StorageError;
use super::postgres::PostgresRelayStorage;
use super::sqlite::SqliteRelayStorage;
use crate::storage::RelayStorage;
use sqlx::Row;

/// What was copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub teams: u64,
    pub statements: u64,
    pub entries: u64,
    pub offers: u64,
}

/// Copies the SQLite relay store `from` (the relay stopped) into the empty PostgreSQL
/// database at `to`. Refused if `to` already holds a registry or a log.
pub async fn sqlite_to_postgres(from: &SqliteRelayStorage, to: &str) -> Result<CopyReport, StorageError> {
    let target = PostgresRelayStorage::open(to).await?;
    let (src, dst) = (from.pool(), target.pool());
    let held: i64 = sqlx::query("SELECT (SELECT COUNT(*) FROM registry) + (SELECT COUNT(*) FROM log)")
        .fetch_one(dst)
        .await?
        .try_get(0)?;
    if held > 0 {
        return Err(StorageError::Corrupt(
            "the PostgreSQL database already holds a relay log: copy into an empty database".into(),
        ));
    }
    let mut report = CopyReport::default();
    let mut tx = dst.begin().await?;
    let log_id = from.log_id().await?;
    sqlx::query("UPDATE log_meta SET log_id = $1 WHERE id = 1")
        .bind(log_id.as_slice())
        .execute(&mut *tx)
        .await?;

    for r in sqlx::query("SELECT team, idx, position, statement FROM registry").fetch_all(src).await? {
        sqlx::query("INSERT INTO registry (team, idx, position, statement) VALUES ($1, $2, $3, $4)")
            .bind(r.try_get::<Vec<u8>, _>("team")?)
            .bind(r.try_get::<i64, _>("idx")?)
            .bind(r.try_get::<i64, _>("position")?)
            .bind(r.try_get::<Vec<u8>, _>("statement")?)
            .execute(&mut *tx)
            .await?;
        report.statements += 1;
    }
    let mut last_seq = 0;
    loop {
        let rows = sqlx::query(
            "SELECT seq, team, author, doc_tag, kind, entry FROM log WHERE seq > ? ORDER BY seq LIMIT 1024",
        )
        .bind(last_seq)
        .fetch_all(src)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            last_seq = r.try_get::<i64, _>("seq")?;
            sqlx::query(
                "INSERT INTO log (team, seq, author, doc_tag, kind, entry) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.try_get::<Vec<u8>, _>("team")?)
            .bind(last_seq)
            .bind(r.try_get::<Vec<u8>, _>("author")?)
            .bind(r.try_get::<Vec<u8>, _>("doc_tag")?)
            .bind(r.try_get::<String, _>("kind")?)
            .bind(r.try_get::<Vec<u8>, _>("entry")?)
            .execute(&mut *tx)
            .await?;
            report.entries += 1;
        }
    }
    for r in sqlx::query("SELECT team, bytes FROM team_usage").fetch_all(src).await? {
        sqlx::query("INSERT INTO team_usage (team, bytes) VALUES ($1, $2)")
            .bind(r.try_get::<Vec<u8>, _>("team")?)
            .bind(r.try_get::<i64, _>("bytes")?)
            .execute(&mut *tx)
            .await?;
    }
    for r in sqlx::query("SELECT team, invite, offer FROM offers").fetch_all(src).await? {
        sqlx::query("INSERT INTO offers (team, invite, offer) VALUES ($1, $2, $3)")
            .bind(r.try_get::<Vec<u8>, _>("team")?)
            .bind(r.try_get::<Vec<u8>, _>("invite")?)
            .bind(r.try_get::<Vec<u8>, _>("offer")?)
            .execute(&mut *tx)
            .await?;
        report.offers += 1;
    }
    // SQLite numbers one log for all teams: each team goes on above the highest position
    // given to any, so no device ever sees its log go back.
    let high_water = from.high_water([0; 16]).await? as i64;
    let teams = sqlx::query("SELECT DISTINCT team FROM registry UNION SELECT DISTINCT team FROM log")
        .fetch_all(src)
        .await?;
    for r in teams {
        sqlx::query("INSERT INTO team_log (team, high_water) VALUES ($1, $2)")
            .bind(r.try_get::<Vec<u8>, _>("team")?)
            .bind(high_water)
            .execute(&mut *tx)
            .await?;
        report.teams += 1;
    }
    tx.commit().await?;
    target.close().await;
    Ok(report)
}
