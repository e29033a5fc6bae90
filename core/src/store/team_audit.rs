//! The team's other devices' audit entries, kept as they arrive from the relay, each
//! device's chain checked as it grows: a device whose log was cut, rewritten or has gaps
//! shows as such to the team's information governance lead.

use super::audit::{AuditEntry, ChainedEntry, chain_next};
use super::{ReadTx, WriteTx};
use crate::error::{Error, Result};
use sqlx::Row;

fn aad(device: &[u8; 32], seq: i64, chain: &[u8]) -> Vec<u8> {
    [b"hedgerow/team-audit/".as_slice(), device, &seq.to_be_bytes(), chain].concat()
}

/// One entry of another device's log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TeamAuditRow {
    /// The device's public key, hex.
    pub device: String,
    pub seq: u64,
    pub entry: AuditEntry,
    /// Where the device's chain did not follow on at this entry.
    pub problem: Option<String>,
}

impl WriteTx<'_> {
    /// Keeps a run of `device`'s entries, checking each follows the one before. Entries
    /// already held are passed over; an entry under a number already held with another
    /// entry means the device's log was rewritten: both are kept, the new one marked.
    pub async fn take_team_audit(
        &mut self,
        device: &[u8; 32],
        entries: &[ChainedEntry],
    ) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut previous_in_run: Option<[u8; 32]> = None;
        for e in entries {
            let seq =
                i64::try_from(e.seq).map_err(|_| Error::from_relay("an audit entry number is too large"))?;
            let held = self.team_audit_chains(device, seq).await?;
            if held.contains(&e.chain) {
                previous_in_run = Some(e.chain);
                continue;
            }
            let before = match previous_in_run {
                Some(p) => vec![p],
                None if seq == 1 => vec![[0; 32]],
                None => self.team_audit_chains(device, seq - 1).await?,
            };
            let problem = if !held.is_empty() {
                Some(format!("the device's log was rewritten from entry {seq}"))
            } else if before.is_empty() {
                Some(format!("entries before {seq} never arrived"))
            } else if !before.iter().any(|p| chain_next(p, e.seq, &e.json) == e.chain) {
                Some(format!("entry {seq} does not follow the entry before it"))
            } else {
                None
            };
            let entry: AuditEntry = serde_json::from_slice(&e.json)
                .map_err(|err| Error::from_relay(format!("a synced audit entry does not parse: {err}")))?;
            let sealed = self.store.sealer().seal(&aad(device, seq, &e.chain), &e.json)?;
            sqlx::query(
                "INSERT INTO team_audit (device, seq, at, entry, chain, problem) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(device.as_slice())
            .bind(seq)
            .bind(entry.at.0)
            .bind(&sealed)
            .bind(e.chain.as_slice())
            .bind(&problem)
            .execute(&mut *self.tx)
            .await?;
            problems.extend(problem);
            previous_in_run = Some(e.chain);
        }
        Ok(problems)
    }

    async fn team_audit_chains(&mut self, device: &[u8; 32], seq: i64) -> Result<Vec<[u8; 32]>> {
        let rows = sqlx::query("SELECT chain FROM team_audit WHERE device = ? AND seq = ?")
            .bind(device.as_slice())
            .bind(seq)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.into_iter()
            .map(|r| {
                r.try_get::<Vec<u8>, _>("chain")?
                    .try_into()
                    .map_err(|_| Error::Corrupt("a team audit chain value has the wrong length".into()))
            })
            .collect()
    }
}

impl ReadTx<'_> {
    /// Every other device's entries held here, oldest first.
    pub async fn team_audit(&mut self) -> Result<Vec<TeamAuditRow>> {
        let rows =
            sqlx::query("SELECT device, seq, entry, chain, problem FROM team_audit ORDER BY at, device, seq")
                .fetch_all(&mut *self.tx)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let device: Vec<u8> = row.try_get("device")?;
            let device: [u8; 32] = device
                .try_into()
                .map_err(|_| Error::Corrupt("a team audit row's device has the wrong length".into()))?;
            let seq: i64 = row.try_get("seq")?;
            let sealed: Vec<u8> = row.try_get("entry")?;
            let chain: Vec<u8> = row.try_get("chain")?;
            let json = self.store.sealer().open(&aad(&device, seq, &chain), &sealed)?;
            let entry: AuditEntry = serde_json::from_slice(&json)
                .map_err(|e| Error::Corrupt(format!("a team audit entry does not parse: {e}")))?;
            out.push(TeamAuditRow {
                device: hex::encode(device),
                seq: seq as u64,
                entry,
                problem: row.try_get("problem")?,
            });
        }
        Ok(out)
    }
}
