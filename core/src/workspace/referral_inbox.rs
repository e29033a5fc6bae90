//! The receiving team's side of a referral: its inbox, the summary it may read before it
//! takes the patient on (audited), and accepting or declining, which tells the referrer.

use super::referral::{AnswerLetter, LetterContent, RECEIVED, ReadLetter, ReceivedReferral, partner_card};
use super::{Context, Draft};
use crate::clinical::{Action, NhsNumber};
use crate::documents::patient::ReferralAnswer;
use crate::documents::{DocumentKind, PatientRecord, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, Reads, WriteTx};
use crate::sync::registry::Registry;
use crate::view::{Reader, Referral, ReferralStatus, ReferralSummary, WatchedRecord};
use automerge::AutoCommit;

fn referral_view(kept: &ReceivedReferral, id: &str, team: &Team) -> Referral {
    let l = &kept.letter;
    let decision = team.referrals.get(id);
    let status = ReferralStatus::of(decision);
    let nhs_number =
        l.nhs_number.parse::<NhsNumber>().map_or_else(|_| l.nhs_number.clone(), |n| n.to_string());
    Referral {
        id: id.to_owned(),
        patient: PatientId(l.patient),
        name: l.name.clone(),
        nhs_number,
        from_team: l.from_team_name.clone(),
        referred_by: l.referred_by.clone().into(),
        reason: l.reason.clone(),
        urgent: l.urgent,
        referred_at: l.referred_at,
        received_at: kept.received_at,
        status,
        answered_by: decision.map(|d| d.by.clone()),
        answered_at: decision.map(|d| d.at),
        decline_reason: decision.and_then(|d| d.reason.clone()),
    }
}

async fn received(tx: &mut impl Reads, id: &str) -> Result<ReceivedReferral> {
    let wanted = id.trim().to_ascii_lowercase();
    let bytes = tx
        .setting(&format!("{RECEIVED}{wanted}"))
        .await?
        .ok_or_else(|| Error::Input(format!("no referral {id} has reached this device")))?;
    postcard::from_bytes(&bytes).map_err(|e| Error::Corrupt(format!("a kept referral: {e}")))
}

pub(super) async fn referrals(cx: &Context) -> Result<Vec<Referral>> {
    let team = super::sharing::team_document(cx).await?;
    let mut rx = cx.store.begin_read().await?;
    let mut out = Vec::new();
    for name in rx.setting_names(RECEIVED).await? {
        let id = &name[RECEIVED.len()..];
        out.push(referral_view(&received(&mut rx, id).await?, id, &team));
    }
    out.sort_by_key(|r| (r.status != ReferralStatus::Waiting, !r.urgent, std::cmp::Reverse(r.referred_at)));
    Ok(out)
}

pub(super) async fn referrals_waiting(cx: &Context) -> Result<usize> {
    if !super::team::in_shared_team(cx).await? {
        return Ok(0);
    }
    Ok(referrals(cx).await?.iter().filter(|r| r.status == ReferralStatus::Waiting).count())
}

pub(super) async fn referral_summary(cx: &Context, id: &str) -> Result<ReferralSummary> {
    let team = super::sharing::team_document(cx).await?;
    let mut tx = cx.store.begin_write().await?;
    let kept = received(&mut tx, id).await?;
    let id = hex::encode(kept.letter.id);
    let view = referral_view(&kept, &id, &team);
    let (record, mut doc) = match kept.letter.documents.first() {
        Some(d) => {
            let doc = AutoCommit::load(&d.automerge).map_err(|e| Error::Corrupt(e.to_string()))?;
            (crate::documents::read::<PatientRecord, _>(&doc, DocumentKind::Patient)?, doc)
        }
        // Answered: the letter's copy is gone; an accepted record is read from the store.
        None if view.status == ReferralStatus::Accepted => {
            super::access::check_readable(cx, view.patient).await?;
            let doc = tx
                .load_document(&view.patient.0, DocumentKind::Patient)
                .await?
                .ok_or_else(|| Error::Input("the accepted record has not reached this device yet".into()))?;
            (crate::documents::read::<PatientRecord, _>(&doc, DocumentKind::Patient)?, doc)
        }
        None => {
            return Err(Error::Input(
                "this referral was declined: its record is no longer held by this team".into(),
            ));
        }
    };
    let conflicts = crate::conflicts::detect(&mut doc, &record);
    let me = cx.me.clinician_id.to_hex();
    let reader = Reader { clinician_id: &me, today: chrono::Local::now().date_naive() };
    let shown = crate::view::PatientRecord::read(&WatchedRecord::new(&record, &conflicts), reader)?;
    let what = format!("read the referral summary from {}", view.from_team);
    cx.audit(&mut tx, AuditAction::Referral, Some(view.patient), what).await?;
    // The referring team's audit log has it too, while the teams trust each other.
    let partner = super::sharing::team_document(cx)
        .await?
        .partners
        .get(&hex::encode(kept.from))
        .map(|p| p.card.clone());
    if let Some(card) = partner {
        let card = partner_card(&card)?;
        let registry = super::team::replayed_registry(cx, &mut tx).await?;
        let by = cx.me.clinician_ref().into();
        let read =
            ReadLetter { referral: kept.letter.id, patient: kept.letter.patient, by, at: Timestamp::now() };
        super::referral::post_letter(cx, &mut tx, &registry, &card, &LetterContent::Read(read)).await?;
    }
    tx.commit().await?;
    Ok(ReferralSummary::new(view, shown))
}

pub(super) async fn accept_referral(cx: &Context, id: &str) -> Result<PatientId> {
    cx.permit(Action::AnswerReferral, None).await?;
    let mut tx = cx.store.begin_write().await?;
    let (kept, card, id) = waiting_referral(cx, &mut tx, id).await?;
    // Referred again after an earlier share ended: the read-only copy becomes live.
    tx.forget_ended_copy(&kept.letter.patient).await?;
    let sender = Registry::replay(kept.from, &kept.registry)
        .map_err(|e| Error::Corrupt(format!("a kept referral's registry: {e}")))?;
    let mine = cx.me.team_id.0;
    for shared in &kept.letter.documents {
        let mut incoming = AutoCommit::load(&shared.automerge).map_err(|e| Error::Corrupt(e.to_string()))?;
        // The referring team holds at least what it sent.
        tx.add_their_heads(&kept.from, &shared.id, &incoming.get_heads()).await?;
        let existing = tx.load_document(&shared.id, shared.kind).await?;
        let new = existing.is_none();
        let mut doc = existing.unwrap_or_default();
        let before = doc.get_heads();
        doc.merge(&mut incoming).map_err(|e| Error::Corrupt(format!("the referred record: {e}")))?;
        crate::authorship::check_new_changes(
            &mut doc,
            &before,
            &shared.heads,
            &[],
            &kept.from,
            &shared.id,
            &sender,
        )
        .map_err(|e| {
            Error::Unauthenticated(format!(
                "the referred record has a change its team's devices did not sign ({e}): nothing was taken in"
            ))
        })?;
        super::sync_apply::hydrates(&doc, shared.kind)?;
        if new {
            tx.insert_document(&shared.id, shared.kind, &mut doc).await?;
        } else {
            let chunk = doc.save_after(&before);
            tx.append_chunk(&shared.id, shared.kind, &chunk, &mut doc).await?;
        }
        // This device answers to its own team for the referring team's authors, who
        // are no devices of this team's registry.
        for actor in foreign_actors(&mut doc, &before) {
            if let Some(h) = crate::authorship::vouch_for(&mut doc, actor, &cx.device_key, &mine, &shared.id)
            {
                tx.put_actor_head(&shared.id, &h).await?;
            }
        }
        super::merge::refresh_after_merge(cx, &mut tx, shared.id, shared.kind, &mut doc).await?;
    }
    let patient = PatientId(kept.letter.patient);
    super::patients::add_to_caseload(cx, &mut tx, &[patient]).await?;
    // This team's copy says the referral was accepted, as the referrer's will.
    let mut record: Draft<PatientRecord> = cx
        .draft(&mut tx, patient.0, DocumentKind::Patient, || {
            Error::Corrupt("the referred record vanished".into())
        })
        .await?;
    if let Some(made) = record.value.referrals.get_mut(&id)
        && made.answer.is_none()
    {
        let by = cx.me.clinician_ref();
        made.answer = Some(ReferralAnswer { accepted: true, by, at: Timestamp::now(), reason: None });
        cx.save(&mut tx, &mut record, "accept a referral").await?;
        let conflicts = record.conflicts();
        tx.refresh_patient(&record.value, &conflicts).await?;
    }
    answer(cx, &mut tx, &kept, &card, &id, true, None).await?;
    let from_name = super::referral::partner_name(cx, &kept.from).await;
    super::shared_record::begin_share(cx, &mut tx, patient, kept.from, &from_name, &id).await?;
    let what = format!(
        "accepted the referral from {} (referred by {}): on this team's caseload",
        kept.letter.from_team_name, kept.letter.referred_by.name
    );
    cx.audit(&mut tx, AuditAction::Referral, Some(patient), what).await?;
    tx.commit().await?;
    Ok(patient)
}

pub(super) async fn decline_referral(cx: &Context, id: &str, reason: &str) -> Result<()> {
    cx.permit(Action::AnswerReferral, None).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input("say why the referral is declined: the referring team is told".into()));
    }
    let mut tx = cx.store.begin_write().await?;
    let (kept, card, id) = waiting_referral(cx, &mut tx, id).await?;
    answer(cx, &mut tx, &kept, &card, &id, false, Some(reason.to_owned())).await?;
    let what = format!("declined the referral from {}: {reason}", kept.letter.from_team_name);
    cx.audit(&mut tx, AuditAction::Referral, Some(PatientId(kept.letter.patient)), what).await?;
    tx.commit().await?;
    Ok(())
}

async fn waiting_referral(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    id: &str,
) -> Result<(ReceivedReferral, crate::sync::card::VerifiedCard, String)> {
    let kept = received(tx, id).await?;
    let id = hex::encode(kept.letter.id);
    let team = super::team::draft_team(cx, tx).await?;
    if let Some(d) = team.value.referrals.get(&id) {
        let answer = if d.accepted { "accepted" } else { "declined" };
        return Err(Error::Input(format!("this referral was already {answer} by {}", d.by.name)));
    }
    let partner = team.value.partners.get(&hex::encode(kept.from)).ok_or_else(|| {
        Error::Input("this team no longer trusts the referring team: it cannot be answered".into())
    })?;
    let card = partner_card(&partner.card)?;
    Ok((kept, card, id))
}

/// Records this team's answer for every device of the team, tells the referring team,
/// and keeps the referral without the record it carried.
async fn answer(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    kept: &ReceivedReferral,
    card: &crate::sync::card::VerifiedCard,
    id: &str,
    accepted: bool,
    reason: Option<String>,
) -> Result<()> {
    let (by, at) = (cx.me.clinician_ref(), Timestamp::now());
    let mut team = super::team::draft_team(cx, tx).await?;
    let decision = ReferralAnswer { accepted, by: by.clone(), at, reason: reason.clone() };
    team.value.referrals.insert(id.to_owned(), decision);
    cx.save(tx, &mut team, if accepted { "accept a referral" } else { "decline a referral" }).await?;
    let registry = super::team::replayed_registry(cx, tx).await?;
    let letter = AnswerLetter {
        referral: kept.letter.id,
        patient: kept.letter.patient,
        accepted,
        by: by.into(),
        at,
        reason,
    };
    super::referral::post_letter(cx, tx, &registry, card, &LetterContent::Answer(letter)).await?;
    settle_referral(tx, id).await
}

/// Drops the record a referral carried once the team has answered it (accepted, the
/// record is in the store; declined, this team keeps none of it).
pub(super) async fn settle_referral(tx: &mut WriteTx<'_>, id: &str) -> Result<()> {
    let name = format!("{RECEIVED}{id}");
    let Some(bytes) = tx.setting(&name).await? else { return Ok(()) };
    let mut kept: ReceivedReferral =
        postcard::from_bytes(&bytes).map_err(|e| Error::Corrupt(format!("a kept referral: {e}")))?;
    if kept.letter.documents.is_empty() {
        return Ok(());
    }
    kept.letter.documents.clear();
    tx.put_setting(&name, &postcard::to_stdvec(&kept).expect("encodes")).await
}

/// After the team document changed: every referral another device of the team
/// answered is settled here too.
pub(super) async fn settle_answered_referrals(tx: &mut WriteTx<'_>, team: &Team) -> Result<()> {
    for id in team.referrals.keys() {
        settle_referral(tx, id).await?;
    }
    Ok(())
}

/// The actors of the changes `doc` has beyond `before`.
pub(super) fn foreign_actors(doc: &mut AutoCommit, before: &[automerge::ChangeHash]) -> Vec<[u8; 16]> {
    let mut out: Vec<[u8; 16]> =
        doc.get_changes_meta(before).iter().filter_map(|c| c.actor.to_bytes().try_into().ok()).collect();
    out.sort();
    out.dedup();
    out
}
