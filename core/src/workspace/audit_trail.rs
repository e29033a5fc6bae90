//! The audit log as the team's information governance lead sees it: this device's chain
//! checked at every open (a break reported, recorded and flagged), every device's entries
//! synced to the team sealed like any bundle, and the whole team's log on an admin's device
//! with which device each entry came from and any break in a device's chain.

use super::Context;
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, AuditCheck, AuditEntry, ChainedEntry, WriteTx};
use serde::Serialize;
use std::collections::BTreeSet;

/// Breaks already found and recorded on this device, so each is flagged once and shown
/// for good.
const BREAKS_FOUND: &str = "audit-breaks-found";
/// The last of this device's entries the relay acknowledged.
pub(crate) const AUDIT_PUSHED: &str = "audit-pushed-through";
/// At most this many entries go in one audit bundle.
const AUDIT_BATCH: usize = 2_000;
/// Entries go to the team once this many wait, or one of them is flagged for review, or
/// the oldest has waited a day: the governance lead hears of a break-glass at the next
/// sync, and the relay does not keep one small bundle for every sync of every device.
pub const AUDIT_PUSH_AFTER: usize = 100;
const AUDIT_PUSH_WITHIN: i64 = 24 * 3600 * 1000;

/// One entry in the team's log.
#[derive(Clone, Debug, Serialize)]
pub struct TeamAuditEntry {
    /// The device it was written on, hex, and its label in the team document.
    pub device: String,
    pub device_label: String,
    pub seq: u64,
    pub entry: AuditEntry,
    /// Where that device's chain did not follow on at this entry.
    pub problem: Option<String>,
}

/// The team's log as an admin's device holds it.
#[derive(Clone, Debug, Serialize)]
pub struct TeamAudit {
    pub entries: Vec<TeamAuditEntry>,
    /// This device's own chain, as checked when it opened.
    pub this_device: AuditCheck,
}

pub(super) fn audit_check(cx: &Context) -> &AuditCheck {
    &cx.audit_check
}

/// Walks the chain; a break not seen before is recorded as a flagged entry, which
/// reaches the team at the next sync.
pub(super) async fn check_audit_log(cx: &Context) -> Result<AuditCheck> {
    let mut tx = cx.store.begin_write().await?;
    let mut check = tx.check_audit_chain().await?;
    let mut found: BTreeSet<String> = match tx.setting(BREAKS_FOUND).await? {
        Some(b) => {
            serde_json::from_slice(&b).map_err(|e| Error::Corrupt(format!("the audit breaks found: {e}")))?
        }
        None => BTreeSet::new(),
    };
    let new: Vec<String> = check.breaks.iter().filter(|b| !found.contains(*b)).cloned().collect();
    if !new.is_empty() {
        let detail = format!("this device's audit log was found broken: {}", new.join("; "));
        tracing::error!(%detail, "audit log broken");
        found.extend(new);
        let json = serde_json::to_vec(&found).map_err(|e| Error::Internal(e.to_string()))?;
        tx.put_setting(BREAKS_FOUND, &json).await?;
        // The whole log goes to the team again, so its copy shows where it was cut.
        tx.delete_setting(AUDIT_PUSHED).await?;
        cx.audit_flagged(&mut tx, AuditAction::Refused, None, detail, true).await?;
    }
    tx.commit().await?;
    check.breaks = found.into_iter().collect();
    Ok(check)
}

pub(super) async fn team_audit(cx: &Context, flagged_only: bool) -> Result<TeamAudit> {
    let mut tx = cx.store.begin_read().await?;
    super::team::require_admin(cx, &mut tx, "see the team's audit log").await?;
    drop(tx);
    let devices = super::team::devices(cx).await?;
    let label = |key: &str| {
        devices
            .iter()
            .find(|d| d.public_key == key)
            .map(|d| format!("{} ({})", d.clinician, d.label))
            .unwrap_or_else(|| "a device no longer in the team document".into())
    };
    let mut rx = cx.store.begin_read().await?;
    let me = hex::encode(cx.device_key.public_key());
    let mut entries: Vec<TeamAuditEntry> = rx
        .audit_log(None)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, entry)| TeamAuditEntry {
            device: me.clone(),
            device_label: label(&me),
            seq: i as u64 + 1,
            entry,
            problem: None,
        })
        .collect();
    for row in rx.team_audit().await? {
        entries.push(TeamAuditEntry {
            device_label: label(&row.device),
            device: row.device,
            seq: row.seq,
            entry: row.entry,
            problem: row.problem,
        });
    }
    entries.retain(|e| !flagged_only || e.entry.flagged || e.problem.is_some());
    entries.sort_by_key(|e| std::cmp::Reverse(e.entry.at.0));
    Ok(TeamAudit { entries, this_device: cx.audit_check.clone() })
}

/// This device's entries the relay has not acknowledged, as one audit bundle.
pub(super) async fn audit_to_push(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    keyring: &crate::sync::keys::Keyring,
) -> Result<Option<(crate::sync::wire::LogEntry, u64)>> {
    let after = match tx.setting(AUDIT_PUSHED).await? {
        Some(b) if b.len() == 8 => u64::from_be_bytes(b[..].try_into().expect("8 bytes")),
        _ => 0,
    };
    let entries: Vec<ChainedEntry> =
        tx.audit_entries_after(after).await?.into_iter().take(AUDIT_BATCH).map(|(_, e)| e).collect();
    let Some(last) = entries.last().map(|e| e.seq) else { return Ok(None) };
    let parsed: Vec<AuditEntry> =
        entries.iter().filter_map(|e| serde_json::from_slice(&e.json).ok()).collect();
    let oldest = parsed.iter().map(|e| e.at.0).min().unwrap_or(i64::MAX);
    let due = entries.len() >= AUDIT_PUSH_AFTER
        || parsed.iter().any(|e| e.flagged)
        || crate::documents::Timestamp::now().0 - oldest >= AUDIT_PUSH_WITHIN;
    if !due {
        return Ok(None);
    }
    let entry = crate::sync::bundle::seal_audit(&cx.device_key, &cx.me.team_id.0, keyring, &entries)
        .map_err(|e| Error::Internal(format!("could not seal the audit entries: {e}")))?;
    Ok(Some((entry, last)))
}

/// Keeps another device's entries as they came.
pub(super) async fn take_team_audit(
    cx: &Context,
    author: &[u8; 32],
    entries: &[ChainedEntry],
) -> Result<Vec<String>> {
    if *author == cx.device_key.public_key() {
        return Ok(Vec::new());
    }
    let mut tx = cx.store.begin_write().await?;
    let problems = tx.take_team_audit(author, entries).await?;
    tx.commit().await?;
    Ok(problems)
}

pub(super) async fn audit_log(cx: &Context, patient: Option<PatientId>) -> Result<Vec<AuditEntry>> {
    cx.store.begin_read().await?.audit_log(patient.as_ref()).await
}
