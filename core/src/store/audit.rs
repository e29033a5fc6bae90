//! The append-only audit log: who viewed, changed or exported which record, when, from
//! which device.

use super::{ReadTx, WriteTx};
use crate::documents::{ClinicianRef, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, PatientId};
use serde::{Deserialize, Serialize};
use sqlx::Row;

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
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

fn aad(entry_id: &[u8]) -> Vec<u8> {
    [b"hedgerow/audit/".as_slice(), entry_id].concat()
}

impl WriteTx<'_> {
    pub async fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        let entry_id = crate::crypto::random_bytes::<16>()?;
        let json = serde_json::to_vec(entry).map_err(|e| Error::Invalid(e.to_string()))?;
        let sealed = self.store.sealer().seal(&aad(&entry_id), &json)?;
        sqlx::query("INSERT INTO audit_log (entry_id, at, entry) VALUES (?, ?, ?)")
            .bind(entry_id.as_slice())
            .bind(entry.at.0)
            .bind(&sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl ReadTx<'_> {
    /// The log in the order it was written, optionally for one patient.
    pub async fn audit_log(&mut self, patient: Option<&PatientId>) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT entry_id, entry FROM audit_log ORDER BY seq")
            .fetch_all(&mut *self.tx)
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let entry_id: Vec<u8> = row.try_get("entry_id")?;
            let sealed: Vec<u8> = row.try_get("entry")?;
            let json = self.store.sealer().open(&aad(&entry_id), &sealed)?;
            let entry: AuditEntry = serde_json::from_slice(&json)
                .map_err(|e| Error::Corrupt(format!("an audit entry does not parse: {e}")))?;
            if patient.is_none_or(|p| entry.patient.as_ref() == Some(p)) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

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
                "refused"
            ]
        );
        for a in AuditAction::ALL {
            assert_eq!(a.as_str(), serde_json::to_value(a).unwrap());
            assert_eq!(serde_json::from_value::<AuditAction>(a.as_str().into()).unwrap(), *a);
        }
    }
}
