//! Referring a patient to another team, and the letters that carry referrals and their
//! answers between teams (docs/sync-protocol.md, "Sharing between teams"). A letter is
//! sealed to the receiving team's sharing key, from its card, and goes into that team's
//! log through the relay, which carries it only between teams that trust each other.

use super::team::{OUTBOX_LETTER, statement};
use super::{Context, Draft};
use crate::clinical::Action;
use crate::crypto::random_bytes;
use crate::documents::patient::{ReferralAnswer, ReferralMade};
use crate::documents::{ClinicianRef, DocumentKind, PatientRecord, Timestamp};
use crate::error::{Error, Result, Sender};
use crate::ids::PatientId;
use crate::store::{AuditAction, WriteTx};
use crate::sync::bundle::BundleError;
use crate::sync::card::{SignedCard, VerifiedCard};
use crate::sync::heads::ActorHead;
use crate::sync::letter::seal_letter;
use crate::sync::registry::{PositionedStatement, Registry, StatementBody};
use crate::view::{Watched, WatchedRecord};
use automerge::AutoCommit;
use serde::{Deserialize, Serialize};

/// Where a received referral is kept on each device of the receiving team, by its id.
pub(super) const RECEIVED: &str = "referral-in/";

/// What a letter says.
#[derive(Serialize, Deserialize)]
pub(super) enum LetterContent {
    Referral(ReferralLetter),
    Answer(AnswerLetter),
    /// A clinician of the receiving team read the referral's summary: for the referring
    /// team's audit log.
    Read(ReadLetter),
    /// Changes to a record the two teams share.
    Changes(Box<super::shared_record::ChangesLetter>),
    /// The sending team ended its share of a record with this team.
    ShareEnded(super::share_end::EndLetter),
    /// A clinician of the sending team opened a record the teams share: for this team's
    /// audit log.
    Viewed(ViewedLetter),
    /// What the sending team holds of a shared record, after a letter of changes it could
    /// not take in: what is missing goes again.
    Holding(super::share_repair::HoldingLetter),
}

#[derive(Serialize, Deserialize)]
pub(super) struct ViewedLetter {
    pub patient: [u8; 16],
    pub by: LetterClinician,
    pub at: Timestamp,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ReadLetter {
    pub referral: [u8; 16],
    pub patient: [u8; 16],
    pub by: LetterClinician,
    pub at: Timestamp,
}

/// A clinician as a letter names them. Not `ClinicianRef` itself, whose JSON form leaves
/// out an absent registration: postcard cannot skip a field.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct LetterClinician {
    id: String,
    pub name: String,
    role: crate::documents::Role,
    registration: Option<String>,
}

impl From<ClinicianRef> for LetterClinician {
    fn from(c: ClinicianRef) -> Self {
        Self { id: c.id, name: c.name, role: c.role, registration: c.registration }
    }
}

impl From<LetterClinician> for ClinicianRef {
    fn from(c: LetterClinician) -> Self {
        Self { id: c.id, name: c.name, role: c.role, registration: c.registration }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct ReferralLetter {
    pub id: [u8; 16],
    pub patient: [u8; 16],
    pub nhs_number: String,
    pub name: String,
    pub from_team_name: String,
    pub referred_by: LetterClinician,
    pub reason: String,
    pub urgent: bool,
    pub referred_at: Timestamp,
    /// The record and its visit notes, each with the signed heads of who wrote it.
    pub documents: Vec<SharedDocument>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct SharedDocument {
    pub id: [u8; 16],
    pub kind: DocumentKind,
    #[serde(with = "serde_bytes")]
    pub automerge: Vec<u8>,
    pub heads: Vec<ActorHead>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct AnswerLetter {
    pub referral: [u8; 16],
    pub patient: [u8; 16],
    pub accepted: bool,
    pub by: LetterClinician,
    pub at: Timestamp,
    pub reason: Option<String>,
}

/// A referral as the receiving device keeps it: the letter, the referring team and the
/// registry it came with (which the record's authors are checked against on acceptance).
#[derive(Serialize, Deserialize)]
pub(super) struct ReceivedReferral {
    pub letter: ReferralLetter,
    pub from: [u8; 16],
    pub author: [u8; 32],
    pub registry: Vec<PositionedStatement>,
    pub received_at: Timestamp,
}

/// A referral made, as the referring clinician is told.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReferralSent {
    pub id: String,
    pub team: String,
    /// The letter waits on this device until the next sync with the relay.
    pub waiting_for_sync: bool,
}

fn card_err(e: impl std::fmt::Display) -> Error {
    Error::Protocol { sender: Sender::TeamCard, detail: e.to_string() }
}

pub(super) async fn refer(
    cx: &Context,
    patient: PatientId,
    team: &str,
    reason: &str,
    urgent: bool,
) -> Result<ReferralSent> {
    cx.permit(Action::Refer, Some(patient)).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input(
            "say why the patient is referred: the receiving team reads it first".into(),
        ));
    }
    super::access::check_readable(cx, patient).await?;
    let (team_id, partner) = super::sharing::partner(cx, team).await?;
    let card = partner_card(&partner.card)?;
    let mut tx = cx.store.begin_write().await?;
    let registry = registry_to_refer_with(cx, &mut tx, &card).await?;
    let mut draft: Draft<PatientRecord> = cx
        .draft(&mut tx, patient.0, DocumentKind::Patient, || Error::Input(format!("no patient {patient}")))
        .await?;
    let conflicts = draft.conflicts();
    let name = draft.value.demographics.name.clone();
    match WatchedRecord::new(&draft.value, &conflicts).consent_to_share_with(&team_id) {
        Watched::Settled { value: Some(true) } => {}
        Watched::Settled { value: Some(false) } => {
            return Err(Error::Input(format!(
                "{name} has said no to sharing their record with {}: the referral was not made",
                partner.name
            )));
        }
        Watched::Settled { value: None } => {
            return Err(Error::Input(format!(
                "{name}'s consent to share their record with {} is not recorded: ask them, and record their answer before referring",
                partner.name
            )));
        }
        Watched::Disputed { .. } => {
            return Err(Error::Input(format!(
                "{name}'s consent to share with {} is disputed: resolve the conflict before referring",
                partner.name
            )));
        }
    }
    let id: [u8; 16] = random_bytes()?;
    let (by, at) = (cx.me.clinician_ref(), Timestamp::now());
    let made = ReferralMade {
        to_team: team_id,
        team: partner.name.clone(),
        reason: reason.to_owned(),
        urgent,
        referred_by: by.clone(),
        referred_at: at,
        answer: None,
    };
    draft.value.referrals.insert(hex::encode(id), made);
    let action = format!("refer to {}", partner.name);
    cx.save(&mut tx, &mut draft, &action).await?;
    let conflicts = draft.conflicts();
    tx.refresh_patient(&draft.value, &conflicts).await?;
    let to = card.card.team;
    let record = shared_document(cx, &mut tx, patient.0, DocumentKind::Patient, to).await?;
    let mut documents = vec![record.ok_or_else(|| Error::Corrupt("the record to refer is missing".into()))?];
    for visit in draft.value.visits.keys() {
        let Ok(v) = visit.parse::<crate::ids::VisitId>() else { continue };
        // A visit known to the record but not yet synced to this device stays behind.
        documents.extend(shared_document(cx, &mut tx, v.0, DocumentKind::Visit, to).await?);
    }
    let team_name = super::sharing::team_document(cx).await.map(|t| t.name).unwrap_or_default();
    let letter = ReferralLetter {
        id,
        patient: patient.0,
        nhs_number: draft.value.demographics.nhs_number.clone(),
        name,
        from_team_name: team_name,
        referred_by: by.into(),
        reason: reason.to_owned(),
        urgent,
        referred_at: at,
        documents,
    };
    post_letter(cx, &mut tx, &registry, &card, &LetterContent::Referral(letter)).await?;
    let urgency = if urgent { "urgent" } else { "routine" };
    let what = format!("referred to {} ({urgency}): {reason}", partner.name);
    cx.audit(&mut tx, AuditAction::Referral, Some(patient), what).await?;
    draft.keep_loaded(&mut tx);
    tx.commit().await?;
    Ok(ReferralSent { id: hex::encode(id), team: partner.name, waiting_for_sync: true })
}

/// The registry a letter to `card`'s team carries, once this device may send one: not
/// revoked, confirmed by the relay, and in a team whose registry names that team.
async fn registry_to_refer_with(cx: &Context, tx: &mut WriteTx<'_>, card: &VerifiedCard) -> Result<Registry> {
    let (view, _) = super::team::registry_view(cx, tx).await?;
    let me = cx.device_key.public_key();
    if view.device(&me).is_some_and(|d| !d.active()) {
        return Err(Error::Input("this device has been revoked from the team: it cannot refer".into()));
    }
    if view.partner(&card.card.team) != Some(card.fingerprint.0) {
        return Err(Error::Input(format!(
            "this team's registry does not name {} as a partner: an admin trusts its card (`hedgerow team trust`)",
            card.card.name
        )));
    }
    let registry = super::team::replayed_registry(cx, tx).await?;
    if !registry.is_active(&me) {
        return Err(Error::Input(
            "the relay has not confirmed this device in the team yet: sync with the relay first".into(),
        ));
    }
    Ok(registry)
}

/// A document as a letter to team `to` carries it: the whole of it, with every signed
/// head this device holds for it and its own newest. Team `to` then holds at least
/// this much of it, so a share that follows sends only what changed since.
async fn shared_document(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    id: [u8; 16],
    kind: DocumentKind,
    to: [u8; 16],
) -> Result<Option<SharedDocument>> {
    let Some(mut doc) = tx.load_document(&id, kind).await? else { return Ok(None) };
    tx.add_their_heads(&to, &id, &doc.get_heads()).await?;
    let mut heads = tx.actor_heads(&id).await?;
    if let Some(own) = crate::authorship::own_head(&mut doc, &[], &cx.device_key, &cx.me.team_id.0, &id) {
        tx.put_actor_head(&id, &own).await?;
        heads.push(own);
    }
    Ok(Some(SharedDocument { id, kind, automerge: doc.save(), heads }))
}

/// `content` sealed to `card`'s team, as the outbox keeps it.
pub(super) fn post_letter_entry(
    cx: &Context,
    registry: &Registry,
    card: &VerifiedCard,
    content: &LetterContent,
) -> Result<Vec<u8>> {
    let bytes = postcard::to_stdvec(content).map_err(|e| Error::Internal(e.to_string()))?;
    let c = &card.card;
    let entry = seal_letter(&cx.device_key, registry, c.team, &c.sharing_key, c.sharing_key_id, &bytes)
        .map_err(|e| match e {
            BundleError::TooLarge(n) => {
                Error::Input(format!("the record is {n} bytes sealed, too large for one referral letter"))
            }
            other => Error::Internal(other.to_string()),
        })?;
    Ok(postcard::to_stdvec(&(c.team, entry)).expect("encoding to a Vec cannot fail"))
}

/// Seals `content` to `card`'s team and leaves it in the outbox for the next sync.
pub(super) async fn post_letter(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    registry: &Registry,
    card: &VerifiedCard,
    content: &LetterContent,
) -> Result<()> {
    let payload = post_letter_entry(cx, registry, card, content)?;
    tx.add_to_outbox(OUTBOX_LETTER, &payload).await
}

/// The Partner statement for a team an admin has just trusted, for the next sync.
pub(super) async fn publish_partner(cx: &Context, tx: &mut WriteTx<'_>, card: &VerifiedCard) -> Result<()> {
    let body = StatementBody::Partner { team: card.card.team, charter: card.fingerprint.0 };
    let signed = statement(&cx.device_key, cx.me.team_id, body);
    tx.add_to_outbox(super::team::OUTBOX_STATEMENT, &postcard::to_stdvec(&signed).expect("encodes")).await
}

/// Takes in a letter a sync brought from partner team `from` (checked: its author is an
/// active device of `registry`, that team's, under the charter this team trusted).
/// A referral is kept for the team's inbox; an answer is written on the referral it
/// answers. Returns why a letter was left out, if it was.
pub(crate) async fn take_letter(
    cx: &Context,
    from: [u8; 16],
    author: [u8; 32],
    registry: Vec<PositionedStatement>,
    content: &[u8],
) -> Result<Option<String>> {
    let Ok(content) = postcard::from_bytes::<LetterContent>(content) else {
        return Ok(Some("a letter that does not decode".into()));
    };
    let team = super::sharing::team_document(cx).await?;
    let Some(partner) = team.partners.get(&hex::encode(from)).cloned() else {
        return Ok(Some("a letter from a team this team no longer trusts".into()));
    };
    let mut tx = cx.store.begin_write().await?;
    let about = match &content {
        LetterContent::Referral(_) => None,
        LetterContent::Read(r) => Some(r.patient),
        LetterContent::Answer(a) => Some(a.patient),
        LetterContent::Changes(c) => Some(c.patient),
        LetterContent::ShareEnded(e) => Some(e.patient),
        LetterContent::Viewed(v) => Some(v.patient),
        LetterContent::Holding(h) => Some(h.patient),
    };
    if let Some(p) = about
        && tx.ended_copy(&p).await?.is_some()
    {
        return Ok(Some(format!("a letter from {} about a record whose share has ended", partner.name)));
    }
    // Kept as the newest registry of its team seen here, for the devices that hand
    // letters over directly (checked before anything is exchanged, `partner_link.rs`);
    // the relay carried this one only while its author was active, so it is taken as
    // it came.
    let _ = super::partner_registry::newest_partner_registry(
        &mut tx,
        from,
        &partner.name,
        &author,
        registry.clone(),
    )
    .await?;
    match content {
        LetterContent::Changes(letter) => {
            let sender = Registry::replay(from, &registry)
                .map_err(|e| Error::Corrupt(format!("a letter's registry: {e}")))?;
            let patient = PatientId(letter.patient);
            let mut lacking = Vec::new();
            let taken = super::shared_record::take_changes(
                cx,
                &mut tx,
                from,
                &partner.name,
                &sender,
                *letter,
                &mut lacking,
            )
            .await?;
            if let Some(why) = taken {
                drop(tx);
                if !lacking.is_empty() {
                    super::share_repair::tell_sender_what_is_held(cx, from, patient, lacking).await?;
                }
                return Ok(Some(why));
            }
        }
        LetterContent::Holding(held) => {
            if let Some(why) = super::share_repair::take_holding(&mut tx, from, &partner.name, held).await? {
                return Ok(Some(why));
            }
        }
        LetterContent::ShareEnded(letter) => {
            if let Some(why) =
                super::share_end::take_share_ended(cx, &mut tx, from, &partner.name, letter).await?
            {
                return Ok(Some(why));
            }
        }
        LetterContent::Viewed(viewed) => {
            let patient = PatientId(viewed.patient);
            let mut what = format!("{} of {} opened the shared record", viewed.by.name, partner.name);
            if !tx.record_shared_with(&patient.0).await?.contains(&from) {
                // Opened before that team learnt the share had ended: still audited.
                let shared =
                    team.shares.get(&patient.to_hex()).is_some_and(|s| s.contains_key(&hex::encode(from)));
                if !shared {
                    return Ok(Some(format!(
                        "{} opened a record this team does not share with it",
                        partner.name
                    )));
                }
                what.push_str(" (after the share had ended)");
            }
            cx.audit(&mut tx, AuditAction::View, Some(patient), what).await?;
        }
        LetterContent::Referral(letter) => {
            let name = format!("{RECEIVED}{}", hex::encode(letter.id));
            if tx.setting(&name).await?.is_some() {
                return Ok(None); // met again after a cursor reset
            }
            if let Err(why) = check_referral(&letter) {
                return Ok(Some(format!("a referral from {} that does not read: {why}", partner.name)));
            }
            let what = format!(
                "referral received from {} (by {}): {}",
                partner.name, letter.referred_by.name, letter.reason
            );
            let patient = PatientId(letter.patient);
            let kept = ReceivedReferral { letter, from, author, registry, received_at: Timestamp::now() };
            tx.put_setting(&name, &postcard::to_stdvec(&kept).expect("encodes")).await?;
            cx.audit(&mut tx, AuditAction::Referral, Some(patient), what).await?;
        }
        LetterContent::Read(read) => {
            let patient = PatientId(read.patient);
            let Some(draft) = draft_if_held(cx, &mut tx, patient).await? else {
                return Ok(Some(format!("{} read a referral about a patient not held here", partner.name)));
            };
            let made = draft.value.referrals.get(&hex::encode(read.referral));
            if made.is_none_or(|m| m.to_team != hex::encode(from)) {
                return Ok(Some(format!("{} read a referral not made to it", partner.name)));
            }
            let what = format!("{} of {} read the referral summary", read.by.name, partner.name);
            cx.audit(&mut tx, AuditAction::Referral, Some(patient), what).await?;
        }
        LetterContent::Answer(answer) => {
            let patient = PatientId(answer.patient);
            let Some(mut draft) = draft_if_held(cx, &mut tx, patient).await? else {
                return Ok(Some(format!("an answer from {} about a patient not held here", partner.name)));
            };
            let key = hex::encode(answer.referral);
            let Some(made) = draft.value.referrals.get_mut(&key) else {
                return Ok(Some(format!("an answer from {} to a referral not made here", partner.name)));
            };
            if made.to_team != hex::encode(from) {
                return Ok(Some(format!("{} answered a referral made to another team", partner.name)));
            }
            if made.answer.is_none() {
                made.answer = Some(ReferralAnswer {
                    accepted: answer.accepted,
                    by: answer.by.clone().into(),
                    at: answer.at,
                    reason: answer.reason.clone(),
                });
                cx.save(&mut tx, &mut draft, "answer to a referral").await?;
                let conflicts = draft.conflicts();
                tx.refresh_patient(&draft.value, &conflicts).await?;
                let what = match (&answer.accepted, &answer.reason) {
                    (true, _) => {
                        format!("{} accepted the referral (by {})", partner.name, answer.by.name)
                    }
                    (false, reason) => format!(
                        "{} declined the referral (by {}): {}",
                        partner.name,
                        answer.by.name,
                        reason.as_deref().unwrap_or("no reason given")
                    ),
                };
                cx.audit(&mut tx, AuditAction::Referral, Some(patient), what).await?;
                draft.keep_loaded(&mut tx);
            }
            if answer.accepted {
                super::shared_record::begin_share(cx, &mut tx, patient, from, &partner.name, &key).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(None)
}

/// A partner team's name for messages, or its id if it is no longer trusted.
pub(crate) async fn partner_name(cx: &Context, team: &[u8; 16]) -> String {
    let id = hex::encode(team);
    let name = super::sharing::team_document(cx)
        .await
        .ok()
        .and_then(|t| t.partners.get(&id).map(|p| p.name.clone()));
    name.unwrap_or(id)
}

async fn draft_if_held(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patient: PatientId,
) -> Result<Option<Draft<PatientRecord>>> {
    if tx.load_document(&patient.0, DocumentKind::Patient).await?.is_none() {
        return Ok(None);
    }
    let draft = cx
        .draft(tx, patient.0, DocumentKind::Patient, || Error::Input(format!("no patient {patient}")))
        .await?;
    Ok(Some(draft))
}

/// A partner's card as kept in the team document, checked again.
pub(super) fn partner_card(text: &str) -> Result<VerifiedCard> {
    SignedCard::from_text(text).map_err(card_err)?.verify().map_err(card_err)
}

/// A referral's documents: the patient's record first, with the id the letter names, then
/// only that patient's visit notes, each under its own id. Nothing else: a letter must not
/// reach this team's own document, or another patient's.
fn check_referral(letter: &ReferralLetter) -> std::result::Result<(), String> {
    let Some(first) = letter.documents.first() else { return Err("it carries no record".into()) };
    if first.kind != DocumentKind::Patient || first.id != letter.patient {
        return Err("its first document is not the patient's record".into());
    }
    let patient = hex::encode(letter.patient);
    for (i, d) in letter.documents.iter().enumerate() {
        if (i == 0) != (d.kind == DocumentKind::Patient) {
            return Err(format!("it carries a {} document besides the record and its visits", d.kind));
        }
        let doc = AutoCommit::load(&d.automerge).map_err(|e| e.to_string())?;
        crate::documents::check_header(&doc, d.kind).map_err(|e| e.to_string())?;
        let (id, owner) = match super::sync_apply::hydrates(&doc, d.kind).map_err(|e| e.to_string())? {
            super::sync_apply::ReadDocument::Patient(r) => (r.id.clone(), r.id),
            super::sync_apply::ReadDocument::Visit(v) => (v.id.clone(), v.patient_id.clone()),
            super::sync_apply::ReadDocument::Team(_) => return Err("it carries a team document".into()),
        };
        if id != hex::encode(d.id) || owner != patient {
            return Err("it carries a document of another patient, or under another id".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::tests::{record, someone};
    use crate::documents::{Team, VisitNote};

    fn shared<T: autosurgeon::Reconcile>(id: [u8; 16], kind: DocumentKind, value: &T) -> SharedDocument {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, value).unwrap();
        SharedDocument { id, kind, automerge: doc.save(), heads: Vec::new() }
    }

    fn letter(documents: Vec<SharedDocument>) -> ReferralLetter {
        ReferralLetter {
            id: [9; 16],
            patient: [0x11; 16],
            nhs_number: "9990000018".into(),
            name: "Winifred Ashdown".into(),
            from_team_name: "Ward 7".into(),
            referred_by: someone().into(),
            reason: "for review".into(),
            urgent: false,
            referred_at: Timestamp(1),
            documents,
        }
    }

    #[test]
    fn a_referral_carries_only_its_patients_record_and_visit_notes() {
        let winifred = shared([0x11; 16], DocumentKind::Patient, &record());
        let visit = |id: [u8; 16], patient: &str| {
            let note = VisitNote::new(hex::encode(id), patient.into(), someone(), "ab".into(), Timestamp(2));
            shared(id, DocumentKind::Visit, &note)
        };
        let hers = visit([0x22; 16], &"11".repeat(16));
        assert_eq!(check_referral(&letter(vec![winifred.clone(), hers.clone()])), Ok(()));

        // This team's own document, under its id: a partner must never write there.
        let ours =
            shared([0x33; 16], DocumentKind::Team, &Team::new("33".repeat(16), "Rowan Hospice".into()));
        assert!(check_referral(&letter(vec![winifred.clone(), ours])).is_err());
        // Another patient's visit note, or a visit under an id not its own.
        assert!(
            check_referral(&letter(vec![winifred.clone(), visit([0x44; 16], &"55".repeat(16))])).is_err()
        );
        let mut moved = hers.clone();
        moved.id = [0x66; 16];
        assert!(check_referral(&letter(vec![winifred.clone(), moved])).is_err());
        // A second record, or none first.
        assert!(check_referral(&letter(vec![winifred.clone(), winifred.clone()])).is_err());
        assert!(check_referral(&letter(vec![hers, winifred])).is_err());
    }

    #[test]
    fn a_letter_naming_a_clinician_without_a_registration_reads_back() {
        let by = ClinicianRef {
            id: "ab".into(),
            name: "Dr Ines Calloway".into(),
            role: crate::documents::Role::Gp,
            registration: None,
        };
        let letter = LetterContent::Answer(AnswerLetter {
            referral: [1; 16],
            patient: [2; 16],
            accepted: false,
            by: by.clone().into(),
            at: Timestamp(5),
            reason: Some("outside our area".into()),
        });
        let bytes = postcard::to_stdvec(&letter).unwrap();
        let LetterContent::Answer(back) = postcard::from_bytes::<LetterContent>(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(ClinicianRef::from(back.by), by);
        assert_eq!(back.reason.as_deref(), Some("outside our area"));
    }
}
