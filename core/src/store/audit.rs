//! The append-only audit log: who viewed, changed or exported which record, when, from
//! which device.

use super::{ReadTx, Store, WriteTx};
use crate::documents::{ClinicianRef, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, PatientId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::SqliteConnection;

crate::documents::schema::vocabulary! {
    /// Written into the sealed log by these names; they never change.
    pub enum AuditAction {
        Create => "create",
        View => "view",
        Edit => "edit",
        Sign => "sign",
        Export => "export",
        Import => "import",
        Reindex => "reindex",
        /// Opening a record outside the team's caseload, with a stated reason.
        BreakGlass => "break-glass",
        /// A sync with the relay or a peer.
        Sync => "sync",
        /// Team membership: created, invited, enrolled, revoked.
        Team => "team",
        /// Something this device's clinician role may not do, refused.
        Refused => "refused",
        /// A referral to or from another team: made, received, read, accepted, declined.
        Referral => "referral",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AuditEntry {
    pub at: Timestamp,
    pub clinician: ClinicianRef,
    pub device: DeviceId,
    pub action: AuditAction,
    pub patient: Option<PatientId>,
    pub detail: String,
    /// Marked for review by the team's information governance lead (break-glass).
    #[serde(default)]
    pub flagged: bool,
}

/// How entries were sealed before the log was a chain.
fn legacy_aad(entry_id: &[u8]) -> Vec<u8> {
    [b"hedgerow/audit/".as_slice(), entry_id].concat()
}

/// Each entry is sealed with its number and its chain value, so that none can be moved,
/// renumbered or replaced without the seal failing.
fn aad(entry_id: &[u8], seq: i64, chain: &[u8; 32]) -> Vec<u8> {
    [b"hedgerow/audit/v2/".as_slice(), entry_id, &seq.to_be_bytes(), chain].concat()
}

/// The chain value of entry `seq` (its JSON) after the entry whose value is `previous`
/// (all zeros before the first). Computed over the entry as written, so the team's other
/// devices can check a device's chain from the entries it syncs.
pub fn chain_next(previous: &[u8; 32], seq: u64, json: &[u8]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"hedgerow/audit-chain/v1\0");
    ctx.update(previous);
    ctx.update(&seq.to_be_bytes());
    ctx.update(json);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The setting that records where the log ends, so that entries cut from its end are missed.
const AUDIT_END: &str = "audit-end";

fn chain_of(row: &sqlx::sqlite::SqliteRow) -> Result<Option<[u8; 32]>> {
    let chain: Option<Vec<u8>> = row.try_get("chain")?;
    chain
        .map(|c| {
            c.try_into()
                .map_err(|_| Error::Corrupt("an audit entry's chain value has the wrong length".into()))
        })
        .transpose()
}

/// What checking this device's audit log found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    pub entries: u64,
    /// Each break found, in words; empty when the log is whole.
    pub breaks: Vec<String>,
}

impl AuditCheck {
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// One entry as it syncs to the team (the protocol's type: a bundle carries a run of them).
pub use hedgerow_protocol::ChainedEntry;

impl WriteTx<'_> {
    pub async fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        let json = serde_json::to_vec(entry).map_err(|e| Error::Internal(e.to_string()))?;
        let last = sqlx::query("SELECT seq, chain FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        let (previous_seq, previous) = match &last {
            None => (0, [0u8; 32]),
            Some(row) => (
                row.try_get::<i64, _>("seq")?,
                chain_of(row)?.ok_or_else(|| Error::Corrupt("the last audit entry is not chained".into()))?,
            ),
        };
        let seq = previous_seq + 1;
        let chain = chain_next(&previous, seq as u64, &json);
        let entry_id = crate::crypto::random_bytes::<16>()?;
        let sealed = self.store.sealer().seal(&aad(&entry_id, seq, &chain), &json)?;
        sqlx::query("INSERT INTO audit_log (seq, entry_id, at, entry, chain) VALUES (?, ?, ?, ?, ?)")
            .bind(seq)
            .bind(entry_id.as_slice())
            .bind(entry.at.0)
            .bind(&sealed)
            .bind(chain.as_slice())
            .execute(&mut *self.tx)
            .await?;
        self.put_setting(AUDIT_END, &[seq.to_be_bytes().as_slice(), &chain].concat()).await
    }

    /// Chains entries written before the log was a chain, in their order, once.
    pub(super) async fn chain_legacy_audit(&mut self) -> Result<()> {
        let rows = sqlx::query("SELECT seq, entry_id, entry, chain FROM audit_log ORDER BY seq")
            .fetch_all(&mut *self.tx)
            .await?;
        if rows.last().is_none_or(|r| r.try_get::<Option<Vec<u8>>, _>("chain").ok().flatten().is_some()) {
            return Ok(());
        }
        let mut previous = [0u8; 32];
        let mut last = 0;
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            let entry_id: Vec<u8> = row.try_get("entry_id")?;
            let sealed: Vec<u8> = row.try_get("entry")?;
            let chain = match chain_of(&row)? {
                Some(c) => c,
                None => {
                    let json = self.store.sealer().open(&legacy_aad(&entry_id), &sealed)?;
                    let chain = chain_next(&previous, seq as u64, &json);
                    let resealed = self.store.sealer().seal(&aad(&entry_id, seq, &chain), &json)?;
                    sqlx::query("UPDATE audit_log SET entry = ?, chain = ? WHERE seq = ?")
                        .bind(&resealed)
                        .bind(chain.as_slice())
                        .bind(seq)
                        .execute(&mut *self.tx)
                        .await?;
                    chain
                }
            };
            previous = chain;
            last = seq;
        }
        self.put_setting(AUDIT_END, &[last.to_be_bytes().as_slice(), &previous].concat()).await
    }
}

/// The log in the order it was written, optionally for one patient.
async fn audit_log(
    conn: &mut SqliteConnection,
    store: &Store,
    patient: Option<&PatientId>,
) -> Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    for (_, json) in audit_entries_after(conn, store, 0).await? {
        let entry: AuditEntry = serde_json::from_slice(&json.json)
            .map_err(|e| Error::Corrupt(format!("an audit entry does not parse: {e}")))?;
        if patient.is_none_or(|p| entry.patient.as_ref() == Some(p)) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Entries after number `after`, opened, with their chain values (to sync them).
async fn audit_entries_after(
    conn: &mut SqliteConnection,
    store: &Store,
    after: u64,
) -> Result<Vec<(i64, ChainedEntry)>> {
    let rows = sqlx::query("SELECT seq, entry_id, entry, chain FROM audit_log WHERE seq > ? ORDER BY seq")
        .bind(after as i64)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.try_get("seq")?;
        let entry_id: Vec<u8> = row.try_get("entry_id")?;
        let sealed: Vec<u8> = row.try_get("entry")?;
        let chain =
            chain_of(&row)?.ok_or_else(|| Error::Corrupt(format!("audit entry {seq} is not chained")))?;
        let json = store.sealer().open(&aad(&entry_id, seq, &chain), &sealed)?;
        out.push((seq, ChainedEntry { seq: seq as u64, json: json.to_vec(), chain }));
    }
    Ok(out)
}

/// Walks the whole log: every entry must open under its number and chain value, follow
/// the one before, and the log must end where it last ended.
async fn check_audit_chain(conn: &mut SqliteConnection, store: &Store) -> Result<AuditCheck> {
    let rows = sqlx::query("SELECT seq, entry_id, entry, chain FROM audit_log ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?;
    let mut check = AuditCheck::default();
    let (mut previous_seq, mut previous) = (0i64, [0u8; 32]);
    for row in rows {
        check.entries += 1;
        let seq: i64 = row.try_get("seq")?;
        let entry_id: Vec<u8> = row.try_get("entry_id")?;
        let sealed: Vec<u8> = row.try_get("entry")?;
        let gap = seq != previous_seq + 1;
        if gap {
            check.breaks.push(match seq - previous_seq - 1 {
                1 => format!("entry {} is missing", previous_seq + 1),
                n => format!("entries {} to {} ({n}) are missing", previous_seq + 1, seq - 1),
            });
        }
        match chain_of(&row)? {
            None => check.breaks.push(format!("entry {seq} is not chained")),
            Some(chain) => match store.sealer().open(&aad(&entry_id, seq, &chain), &sealed) {
                Err(_) => check.breaks.push(format!("entry {seq} was altered or moved")),
                Ok(json) => {
                    if !gap && chain_next(&previous, seq as u64, &json) != chain {
                        check.breaks.push(format!("entry {seq} does not follow the entry before it"));
                    }
                    previous = chain;
                }
            },
        }
        previous_seq = seq;
    }
    match super::settings::read(conn, store, AUDIT_END).await? {
        Some(end) if end.len() == 40 => {
            let end_seq = i64::from_be_bytes(end[..8].try_into().expect("8 bytes"));
            if end_seq > previous_seq {
                check.breaks.push(format!(
                    "the last {} entries are missing (the log ended at entry {end_seq})",
                    end_seq - previous_seq
                ));
            } else if end_seq < previous_seq || end[8..] != previous {
                check.breaks.push("the log does not end where this device last wrote to it".into());
            }
        }
        Some(_) => check.breaks.push("the record of where the log ends is damaged".into()),
        None if check.entries > 0 => check.breaks.push("the record of where the log ends is missing".into()),
        None => {}
    }
    Ok(check)
}

/// The reads of the log both kinds of transaction offer.
macro_rules! audit_reads {
    ($t:ident) => {
        // Written for both transactions; not every read is used on both.
        #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
        impl $t<'_> {
            /// The log in the order it was written, optionally for one patient.
            pub async fn audit_log(&mut self, patient: Option<&PatientId>) -> Result<Vec<AuditEntry>> {
                audit_log(&mut self.tx, self.store, patient).await
            }
            /// Entries after number `after`, opened, with their chain values (to sync them).
            pub async fn audit_entries_after(&mut self, after: u64) -> Result<Vec<(i64, ChainedEntry)>> {
                audit_entries_after(&mut self.tx, self.store, after).await
            }
            /// Walks the whole log: every entry must open under its number and chain value,
            /// follow the one before, and the log must end where it last ended.
            pub async fn check_audit_chain(&mut self) -> Result<AuditCheck> {
                check_audit_chain(&mut self.tx, self.store).await
            }
        }
    };
}
audit_reads!(ReadTx);
audit_reads!(WriteTx);

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn actions_keep_the_names_already_written_in_logs() {
        let names: Vec<String> = AuditAction::ALL
            .iter()
            .map(|a| serde_json::to_value(a).unwrap().as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "create",
                "view",
                "edit",
                "sign",
                "export",
                "import",
                "reindex",
                "break-glass",
                "sync",
                "team",
                "refused",
                "referral"
            ]
        );
        for a in AuditAction::ALL {
            assert_eq!(a.as_str(), serde_json::to_value(a).unwrap());
            assert_eq!(serde_json::from_value::<AuditAction>(a.as_str().into()).unwrap(), *a);
        }
    }
}
