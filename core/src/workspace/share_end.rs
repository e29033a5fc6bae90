//! Ending a share (discharge, or consent withdrawn): the named team gets nothing more of
//! the record from the moment the ending device writes it, and, where it shares the
//! record with no one else, keeps what it had as a read-only copy for the retention period
//! its own policy sets, then deletes it from every device's store.

use super::Context;
use super::referral::{LetterClinician, LetterContent, partner_card};
use crate::clinical::Action;
use crate::documents::team::{DEFAULT_ENDED_SHARE_RETENTION_DAYS, EndedCopy, ShareEnded};
use crate::documents::{DocumentKind, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, WriteTx};
use serde::{Deserialize, Serialize};

/// The share of a record with the receiving team has ended.
#[derive(Serialize, Deserialize)]
pub(super) struct EndLetter {
    pub patient: [u8; 16],
    pub by: LetterClinician,
    pub at: Timestamp,
    pub reason: String,
    /// The patient withdrew consent: the receiving team ends its own shares of the record
    /// too, so that only the team that recorded the withdrawal keeps it.
    pub consent_withdrawn: bool,
}

/// A team a record is shared with, as a clinician reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SharedWith {
    pub team: String,
    pub since: Timestamp,
    /// Who ended it, when and why, if it ended.
    pub ended: Option<String>,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How a refused edit of a read-only copy begins; the copy's label is what follows.
const READ_ONLY: &str = "this is a read-only copy: ";

impl Context {
    /// Refuses a change to a record whose share with this team ended: the copy is read-only.
    pub(super) async fn check_not_ended(&self, tx: &mut WriteTx<'_>, patient: &[u8; 16]) -> Result<()> {
        let Some(keep_until) = tx.ended_copy(patient).await? else { return Ok(()) };
        let until = Timestamp(keep_until).to_datetime().format("%-d %b %Y");
        let why = match tx.read_document::<Team>(&self.me.team_id.0, DocumentKind::Team).await? {
            Some(t) => t
                .ended_copies
                .get(&hex::encode(patient))
                .map(|c| format!(" by {} of {} ({})", c.ended.by.name, c.ended.by_team, c.ended.reason)),
            None => None,
        };
        Err(Error::Input(format!(
            "{READ_ONLY}the share of this record was ended{}; it is kept until {until}, then deleted",
            why.unwrap_or_default()
        )))
    }
}

pub(super) async fn end_share(cx: &Context, patient: PatientId, team: &str, reason: &str) -> Result<()> {
    cx.permit(Action::Refer, Some(patient)).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input(
            "say why the share ends (discharged, consent withdrawn): the other team is told".into(),
        ));
    }
    let (team_id, partner) = super::sharing::partner(cx, team).await?;
    let mut tx = cx.store.begin_write().await?;
    if !end_share_in(cx, &mut tx, patient, &team_id, reason, false).await? {
        return Err(Error::Input(format!("this record is not shared with {}", partner.name)));
    }
    tx.commit().await
}

/// After the patient withdrew consent (`team`: for that team only; `None`: for every
/// team): the shares it covers end, and the teams told end theirs in turn, so that
/// only this team keeps the record.
pub(super) async fn end_shares_for_withdrawn_consent(
    cx: &Context,
    patient: PatientId,
    team: Option<&str>,
) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    // A device in no shared team shares nothing.
    let Some(mut team_doc) = tx.read_document::<Team>(&cx.me.team_id.0, DocumentKind::Team).await? else {
        return Ok(());
    };
    let shares = team_doc.shares.remove(&patient.to_hex()).unwrap_or_default();
    for (id, share) in shares {
        if share.ended.is_none() && team.is_none_or(|t| t == id) {
            let reason = "the patient withdrew consent to share the record";
            end_share_in(cx, &mut tx, patient, &id, reason, true).await?;
        }
    }
    tx.commit().await
}

/// Ends the share with team `team_id` (hex) if it is active, telling that team; false
/// if there was none.
async fn end_share_in(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patient: PatientId,
    team_id: &str,
    reason: &str,
    consent_withdrawn: bool,
) -> Result<bool> {
    let mut doc = super::team::draft_team(cx, tx).await?;
    let my_team = doc.value.name.clone();
    let Some(share) = doc
        .value
        .shares
        .get_mut(&patient.to_hex())
        .and_then(|s| s.get_mut(team_id))
        .filter(|s| s.ended.is_none())
    else {
        return Ok(false);
    };
    let (by, at) = (cx.me.clinician_ref(), Timestamp::now());
    share.ended = Some(ShareEnded { at, by: by.clone(), by_team: my_team, reason: reason.to_owned() });
    let name = share.team.clone();
    cx.save(tx, &mut doc, "end a share with another team").await?;
    let t: [u8; 16] = hex::decode(team_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Corrupt("a shared team's id is not a team id".into()))?;
    tx.unshare_record(&t, &patient.0).await?;
    // A team no longer trusted cannot be told; nothing more goes to it either way.
    if let Some(partner) = doc.value.partners.get(team_id) {
        let card = partner_card(&partner.card)?;
        let registry = super::team::replayed_registry(cx, tx).await?;
        let letter =
            EndLetter { patient: patient.0, by: by.into(), at, reason: reason.to_owned(), consent_withdrawn };
        super::referral::post_letter(cx, tx, &registry, &card, &LetterContent::ShareEnded(letter)).await?;
    }
    let what = format!("ended the share of the record with {name}: {reason}");
    cx.audit(tx, AuditAction::Referral, Some(patient), what).await?;
    Ok(true)
}

/// Another team ended its share of a record with this team.
pub(super) async fn take_share_ended(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    from: [u8; 16],
    partner: &str,
    letter: EndLetter,
) -> Result<Option<String>> {
    let patient = PatientId(letter.patient);
    let mut doc = super::team::draft_team(cx, tx).await?;
    let key = hex::encode(from);
    let Some(share) = doc.value.shares.get_mut(&patient.to_hex()).and_then(|s| s.get_mut(&key)) else {
        return Ok(Some(format!("{partner} ended a share of a record it does not share with this team")));
    };
    if share.ended.is_some() {
        return Ok(None); // another device of the team took it in first
    }
    let ended = ShareEnded {
        at: letter.at,
        by: letter.by.clone().into(),
        by_team: partner.to_owned(),
        reason: letter.reason.clone(),
    };
    share.ended = Some(ended.clone());
    tx.unshare_record(&from, &patient.0).await?;
    // Consent withdrawn: this team ends its other shares too, and keeps only a copy.
    let still_shared =
        !letter.consent_withdrawn && doc.value.shares[&patient.to_hex()].values().any(|s| s.ended.is_none());
    let mut what =
        format!("{} of {partner} ended the share of the record: {}", letter.by.name, letter.reason);
    if !still_shared {
        let days = doc.value.ended_share_retention_days.unwrap_or(DEFAULT_ENDED_SHARE_RETENTION_DAYS);
        let keep_until = Timestamp(letter.at.0.saturating_add((days as i64).saturating_mul(DAY_MS)));
        doc.value.ended_copies.insert(patient.to_hex(), EndedCopy { ended, keep_until, deleted_at: None });
        doc.value.caseload.remove(&patient.to_hex());
        tx.keep_ended_copy(&patient.0, keep_until.0).await?;
        what.push_str(&format!(
            "; this team's copy is read-only, kept until {} and then deleted",
            keep_until.to_datetime().format("%-d %b %Y")
        ));
    }
    let others: Vec<String> = match letter.consent_withdrawn {
        true => doc.value.shares[&patient.to_hex()]
            .iter()
            .filter(|(_, s)| s.ended.is_none())
            .map(|(id, _)| id.clone())
            .collect(),
        false => Vec::new(),
    };
    cx.save(tx, &mut doc, "a share with another team ended").await?;
    tx.set_caseload(&super::merge::caseload_of(&doc.value)).await?;
    cx.audit(tx, AuditAction::Referral, Some(patient), what).await?;
    for id in others {
        let reason = format!("the patient withdrew consent to share the record (told by {partner})");
        Box::pin(end_share_in(cx, tx, patient, &id, &reason, true)).await?;
    }
    Ok(None)
}

pub(super) async fn set_ended_share_retention(cx: &Context, days: u64) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    super::team::require_admin(cx, &mut tx, "set how long ended shares are kept").await?;
    let mut doc = super::team::draft_team(cx, &mut tx).await?;
    doc.value.ended_share_retention_days = Some(days);
    cx.save(&mut tx, &mut doc, "set the retention of ended shares").await?;
    let what = format!("read-only copies of records whose share ended are kept for {days} day(s)");
    cx.audit(&mut tx, AuditAction::Team, None, what).await?;
    tx.commit().await
}

/// Deletes every read-only copy whose retention has passed by `now`: its documents,
/// chunks and index rows, audited. Returns how many records went.
pub(crate) async fn delete_expired_copies(cx: &Context, now: Timestamp) -> Result<usize> {
    let mut tx = cx.store.begin_write().await?;
    let expired = tx.expired_copies(now.0).await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let mut doc = super::team::draft_team(cx, &mut tx).await?;
    for p in &expired {
        let documents = tx.delete_patient(p).await?;
        if let Some(copy) = doc.value.ended_copies.get_mut(&hex::encode(p)) {
            copy.deleted_at = Some(now);
        }
        let what = format!(
            "deleted the read-only copy of a record whose share ended ({documents} document(s)): its retention had passed"
        );
        cx.audit(&mut tx, AuditAction::Referral, Some(PatientId(*p)), what).await?;
    }
    cx.save(&mut tx, &mut doc, "delete ended copies").await?;
    tx.commit().await?;
    Ok(expired.len())
}

pub(super) async fn shared_with(cx: &Context, patient: PatientId) -> Result<Vec<SharedWith>> {
    let mut rx = cx.store.begin_read().await?;
    let Some(team) = rx.read_document::<Team>(&cx.me.team_id.0, DocumentKind::Team).await? else {
        return Ok(Vec::new());
    };
    let Some(shares) = team.shares.get(&patient.to_hex()) else { return Ok(Vec::new()) };
    let mut out: Vec<SharedWith> = shares
        .values()
        .map(|s| SharedWith {
            team: s.team.clone(),
            since: s.since,
            ended: s.ended.as_ref().map(|e| {
                format!(
                    "ended {} by {} of {}: {}",
                    e.at.to_datetime().format("%-d %b %Y"),
                    e.by.name,
                    e.by_team,
                    e.reason
                )
            }),
        })
        .collect();
    out.sort_by_key(|s| (s.ended.is_some(), s.since));
    Ok(out)
}

pub(super) async fn read_only_copy(cx: &Context, patient: PatientId) -> Result<Option<String>> {
    let mut tx = cx.store.begin_write().await?;
    let out = read_only_reason(cx, &mut tx, patient).await?;
    tx.commit().await?;
    Ok(out)
}

pub(super) async fn read_only_reason(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patient: PatientId,
) -> Result<Option<String>> {
    match cx.check_not_ended(tx, &patient.0).await {
        Ok(()) => Ok(None),
        Err(Error::Input(why)) => Ok(Some(why.trim_start_matches(READ_ONLY).to_owned())),
        Err(e) => Err(e),
    }
}
