//! One record kept by several teams (docs/sync-protocol.md, "Shared records"). Once a
//! referral is accepted, the two teams share the patient's record and visit notes: every
//! change one team's device has that the other team is not known to hold goes to it at the
//! next sync, in a letter sealed to that team's card, with the signed heads of who wrote
//! it. The receiving devices check every change against the sending team's registry and
//! take it in exactly as a change from a colleague, answering for it to their own team.
//! Each team passes on what it took in to the other teams it shares the record with.

use super::Context;
use super::referral::{LetterClinician, LetterContent, partner_card};
use super::team::OUTBOX_LETTER;
use crate::documents::team::RecordShare;
use crate::documents::{ClinicianRef, DocumentKind, Timestamp};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, WriteTx};
use crate::sync::heads::ActorHead;
use crate::sync::registry::Registry;
use crate::sync::wire::LogEntry;
use automerge::{AutoCommit, ChangeHash};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Where the names of other teams' clinicians, as their letters gave them, are kept.
const PARTNER_AUTHORS: &str = "partner-authors";

/// Changes to one shared patient's record and visit notes.
#[derive(Serialize, Deserialize)]
pub(super) struct ChangesLetter {
    pub patient: [u8; 16],
    pub documents: Vec<ChangedDocument>,
    /// Who the changes' actors are: a clinician and their team.
    pub authors: Vec<SharedAuthor>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ChangedDocument {
    pub id: [u8; 16],
    pub kind: DocumentKind,
    /// Automerge changes the receiving team was not known to hold.
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
    /// Every signed head the sending device holds for the document.
    pub heads: Vec<ActorHead>,
    /// The document's heads on the sending device, once these changes are in.
    pub now: Vec<[u8; 32]>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct SharedAuthor {
    pub actor: [u8; 16],
    pub clinician: LetterClinician,
    pub team: String,
}

/// Letters this device's sync hands the relay once its pull is done, each with its place
/// in the outbox (removed when the relay has taken it).
pub(crate) struct SharedLetters {
    pub by_team: Vec<([u8; 16], Vec<OutboxLetter>)>,
}

/// A sealed letter and its place in the outbox.
pub(crate) type OutboxLetter = (i64, LogEntry);

/// A document as a test's forged letter carries it: id, kind, changes, signed heads.
#[cfg(feature = "test-support")]
pub type ForgedDocument = ([u8; 16], DocumentKind, Vec<u8>, Vec<ActorHead>);

/// From now on the record of `patient` is shared with `team` (`name`), begun by the
/// referral `referral`: in the team document, for every device of the team, and here.
pub(super) async fn begin_share(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patient: PatientId,
    team: [u8; 16],
    name: &str,
    referral: &str,
) -> Result<()> {
    let mut doc = super::team::draft_team(cx, tx).await?;
    let shares = doc.value.shares.entry(patient.to_hex()).or_default();
    let key = hex::encode(team);
    if shares.get(&key).is_none_or(|s| s.ended.is_some()) {
        let share = RecordShare {
            team: name.to_owned(),
            since: Timestamp::now(),
            referral: referral.to_owned(),
            ended: None,
        };
        shares.insert(key, share);
        doc.value.ended_copies.remove(&patient.to_hex());
        cx.save(tx, &mut doc, "share a record with another team").await?;
    }
    tx.forget_ended_copy(&patient.0).await?;
    tx.share_record(&team, &patient.0).await
}

/// After the team document changed: this device shares what the team shares, stops
/// sharing what it ended, and keeps ended copies read-only.
pub(super) async fn settle_shares(tx: &mut WriteTx<'_>, team: &crate::documents::Team) -> Result<()> {
    for (patient, shares) in &team.shares {
        let Ok(p) = patient.parse::<PatientId>() else { continue };
        for (id, share) in shares {
            let Some(t) = hex::decode(id).ok().and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
                continue;
            };
            match share.ended {
                None => tx.share_record(&t, &p.0).await?,
                Some(_) => tx.unshare_record(&t, &p.0).await?,
            }
        }
    }
    // A record shared anew is live again on every device.
    for (patient, shares) in &team.shares {
        let live = shares.values().any(|s| s.ended.is_none());
        if let Ok(p) = patient.parse::<PatientId>()
            && live
            && !team.ended_copies.contains_key(patient)
        {
            tx.forget_ended_copy(&p.0).await?;
        }
    }
    for (patient, copy) in &team.ended_copies {
        let Ok(p) = patient.parse::<PatientId>() else { continue };
        if copy.deleted_at.is_none() && tx.ended_copy(&p.0).await?.is_none() {
            tx.keep_ended_copy(&p.0, copy.keep_until.0).await?;
        } else if copy.deleted_at.is_some() && tx.load_document(&p.0, DocumentKind::Patient).await?.is_some()
        {
            tx.delete_patient(&p.0).await?;
        }
    }
    Ok(())
}

/// Seals, for each team a record is shared with, what changed since that team last had
/// it, and leaves the letters in the outbox; called once a sync's pull is done, so that
/// a share another device of the team ended is known before anything goes.
pub(crate) async fn shared_letters(cx: &Context) -> Result<SharedLetters> {
    let mut tx = cx.store.begin_write().await?;
    let changes = tx.shared_document_changes().await?;
    if changes.is_empty() {
        return Ok(SharedLetters { by_team: Vec::new() });
    }
    let registry = super::team::replayed_registry(cx, &mut tx).await?;
    if !registry.is_active(&cx.device_key.public_key()) {
        return Ok(SharedLetters { by_team: Vec::new() });
    }
    let team = super::sharing::team_document(cx).await?;
    let authors = author_directory(cx, &mut tx, &team.name).await?;
    let mut by_team: BTreeMap<[u8; 16], Vec<OutboxLetter>> = BTreeMap::new();
    let mut groups: BTreeMap<([u8; 16], [u8; 16]), Vec<_>> = BTreeMap::new();
    for c in changes {
        groups.entry((c.team, c.patient)).or_default().push(c);
    }
    for ((to, patient), docs) in groups {
        // A team no longer trusted gets nothing; what changed waits for trust again.
        let Some(partner) = team.partners.get(&hex::encode(to)) else { continue };
        // A kept card that no longer checks is reported where partners are listed; the
        // changes wait rather than stop the sync.
        let Ok(card) = partner_card(&partner.card) else { continue };
        let docs = docs.into_iter().map(|c| (c.id, c.kind, c.version, c.their_heads)).collect();
        let (letter, covered) = changes_letter(&mut tx, &authors, patient, docs).await?;
        if let Some(letter) = letter {
            let payload =
                super::referral::post_letter_entry(cx, &registry, &card, &LetterContent::Changes(letter))?;
            let seq = tx.add_to_outbox_at(OUTBOX_LETTER, &payload).await?;
            let (_, entry): ([u8; 16], LogEntry) =
                postcard::from_bytes(&payload).map_err(|e| Error::Internal(e.to_string()))?;
            by_team.entry(to).or_default().push((seq, entry));
        }
        for (id, version, now) in covered {
            tx.mark_shared(&to, &id, version, &now).await?;
        }
    }
    tx.commit().await?;
    Ok(SharedLetters { by_team: by_team.into_iter().collect() })
}

/// One patient's `Changes` letter: for each of `docs` (id, kind, version, the heads the
/// other team holds), the changes beyond those heads; `None` if nothing is new. With
/// what it covers of each document (id, version, heads now).
pub(super) async fn changes_letter(
    tx: &mut WriteTx<'_>,
    authors: &HashMap<[u8; 16], SharedAuthor>,
    patient: [u8; 16],
    docs: Vec<([u8; 16], DocumentKind, i64, Vec<ChangeHash>)>,
) -> Result<(Option<Box<ChangesLetter>>, Vec<([u8; 16], i64, Vec<ChangeHash>)>)> {
    let mut letter = ChangesLetter { patient, documents: Vec::new(), authors: Vec::new() };
    let mut covered = Vec::new();
    let mut actors = Vec::new();
    for (id, kind, version, their_heads) in docs {
        let Some(mut doc) = tx.load_document(&id, kind).await? else { continue };
        let theirs: Vec<ChangeHash> =
            their_heads.into_iter().filter(|h| doc.get_change_meta_by_hash(h).is_some()).collect();
        let now = doc.get_heads();
        let new = doc.get_changes_meta(&theirs);
        if !new.is_empty() {
            actors.extend(new.iter().filter_map(|m| <[u8; 16]>::try_from(m.actor.to_bytes()).ok()));
            letter.documents.push(ChangedDocument {
                id,
                kind,
                changes: doc.save_after(&theirs),
                heads: tx.actor_heads(&id).await?,
                now: now.iter().map(|h| h.0).collect(),
            });
        }
        covered.push((id, version, now));
    }
    actors.sort();
    actors.dedup();
    letter.authors = actors.iter().filter_map(|a| authors.get(a).cloned()).collect();
    Ok(((!letter.documents.is_empty()).then(|| Box::new(letter)), covered))
}

/// Who the Automerge actors this device knows of are, with their team's name: its own
/// team's clinicians, and other teams' as their letters named them.
pub(super) async fn author_directory(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    team_name: &str,
) -> Result<HashMap<[u8; 16], SharedAuthor>> {
    let mut out: HashMap<[u8; 16], SharedAuthor> =
        partner_authors(tx).await?.into_iter().map(|a| (a.actor, a)).collect();
    for (actor, clinician) in own_authors(cx, tx).await? {
        let team = team_name.to_owned();
        out.insert(actor, SharedAuthor { actor, clinician: clinician.into(), team });
    }
    Ok(out)
}

/// Takes in changes from partner team `from` to a record this team shares with it:
/// every change checked against `registry` (that team's), all or nothing.
pub(super) async fn take_changes(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    from: [u8; 16],
    partner: &str,
    registry: &Registry,
    letter: ChangesLetter,
    lacking: &mut Vec<([u8; 16], Vec<[u8; 32]>)>,
) -> Result<Option<String>> {
    let patient = PatientId(letter.patient);
    if !tx.record_shared_with(&patient.0).await?.contains(&from) {
        // Sent before that team learnt the share had ended: left out, and said so.
        let team = super::sharing::team_document(cx).await?;
        let ended = team.shares.get(&patient.to_hex()).and_then(|s| s.get(&hex::encode(from)));
        if ended.is_some_and(|s| s.ended.is_some()) {
            let what = format!("left out changes from {partner} that arrived after the share had ended");
            cx.audit(tx, AuditAction::Edit, Some(patient), what).await?;
            return Ok(None);
        }
        return Ok(Some(format!("changes from {partner} to a record this team does not share with it")));
    }
    let mut checked = Vec::new();
    for d in &letter.documents {
        let existing = tx.load_document(&d.id, d.kind).await?;
        if existing.is_none() && d.kind != DocumentKind::Visit {
            return Ok(Some(format!("changes from {partner} to a record not held here")));
        }
        let new = existing.is_none();
        let mut doc = existing.unwrap_or_default();
        let before = doc.get_heads();
        if let Err(e) = doc.load_incremental(&d.changes) {
            return Ok(Some(format!("changes from {partner} that do not load: {e}")));
        }
        // Automerge holds back a change whose dependencies it lacks, quietly: said here
        // instead, nothing of the letter is taken in, and the sender is told what this
        // device holds of each document, so that it sends what is missing.
        if !doc.get_missing_deps(&[]).is_empty() {
            lacking.clear();
            for d in &letter.documents {
                let held = match tx.load_document(&d.id, d.kind).await? {
                    Some(mut held) => held.get_heads().iter().map(|h| h.0).collect(),
                    None => Vec::new(),
                };
                lacking.push((d.id, held));
            }
            return Ok(Some(format!(
                "changes from {partner} that build on changes this device does not have: nothing was taken in"
            )));
        }
        if let Err(e) =
            crate::authorship::check_new_changes(&mut doc, &before, &d.heads, &[], &from, &d.id, registry)
        {
            return Ok(Some(format!(
                "changes from {partner} with a change its devices did not sign ({e}): nothing was taken in"
            )));
        }
        if let Err(why) = belongs_to(&doc, d, &letter.patient) {
            return Ok(Some(format!("changes from {partner} that {why}: nothing was taken in")));
        }
        checked.push((d, doc, before, new));
    }
    let own = super::merge::actor_keys(cx, tx).await?;
    let mine = cx.me.team_id.0;
    let mut written = 0;
    for (d, mut doc, before, new) in checked {
        let fresh = doc.get_changes_meta(&before).len();
        if fresh == 0 {
            tx.add_their_heads(&from, &d.id, &heads(&d.now)).await?;
            continue;
        }
        if new {
            tx.insert_document(&d.id, d.kind, &mut doc).await?;
        } else {
            tx.append_chunk(&d.id, d.kind, &doc.save_after(&before), &mut doc).await?;
        }
        // This device answers to its own team for the other team's authors.
        for actor in super::referral_inbox::foreign_actors(&mut doc, &before) {
            if own.actors.contains_key(&actor) {
                continue;
            }
            if let Some(h) = crate::authorship::vouch_for(&mut doc, actor, &cx.device_key, &mine, &d.id) {
                tx.put_actor_head(&d.id, &h).await?;
            }
        }
        super::merge::refresh_after_merge(cx, tx, d.id, d.kind, &mut doc).await?;
        tx.add_their_heads(&from, &d.id, &heads(&d.now)).await?;
        written += fresh;
    }
    keep_partner_authors(tx, &letter.authors).await?;
    if written > 0 {
        let mut names: Vec<String> =
            letter.authors.iter().map(|a| format!("{} of {}", a.clinician.name, a.team)).collect();
        names.dedup();
        let by = if names.is_empty() { String::new() } else { format!(" by {}", names.join(", ")) };
        let what = format!("took in {written} change(s) to the shared record from {partner}{by}");
        cx.audit(tx, AuditAction::Edit, Some(patient), what).await?;
    }
    Ok(None)
}

/// A clinician of this team opened a shared record: the other teams' audit logs have
/// it too.
pub(super) async fn tell_sharing_teams_of_view(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patient: PatientId,
) -> Result<()> {
    let teams = tx.record_shared_with(&patient.0).await?;
    if teams.is_empty() {
        return Ok(());
    }
    let registry = super::team::replayed_registry(cx, tx).await?;
    if !registry.is_active(&cx.device_key.public_key()) {
        return Ok(());
    }
    let partners = super::sharing::team_document(cx).await?.partners;
    for t in teams {
        let Some(partner) = partners.get(&hex::encode(t)) else { continue };
        let Ok(card) = partner_card(&partner.card) else { continue };
        let viewed = super::referral::ViewedLetter {
            patient: patient.0,
            by: cx.me.clinician_ref().into(),
            at: Timestamp::now(),
        };
        super::referral::post_letter(cx, tx, &registry, &card, &LetterContent::Viewed(viewed)).await?;
    }
    Ok(())
}

/// This team's clinicians by the Automerge actor of each device.
async fn own_authors(cx: &Context, tx: &mut WriteTx<'_>) -> Result<Vec<([u8; 16], ClinicianRef)>> {
    let registry = super::team::replayed_registry(cx, tx).await?;
    let team = super::sharing::team_document(cx).await?;
    Ok(super::access::clinicians_by_actor(&registry, &team))
}

/// Other teams' clinicians, as their letters named them, for attribution.
pub(super) async fn partner_authors(tx: &mut impl crate::store::Reads) -> Result<Vec<SharedAuthor>> {
    match tx.setting(PARTNER_AUTHORS).await? {
        Some(b) => postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("kept author names: {e}"))),
        None => Ok(Vec::new()),
    }
}

async fn keep_partner_authors(tx: &mut WriteTx<'_>, named: &[SharedAuthor]) -> Result<()> {
    if named.is_empty() {
        return Ok(());
    }
    let mut all: BTreeMap<[u8; 16], SharedAuthor> =
        partner_authors(tx).await?.into_iter().map(|a| (a.actor, a)).collect();
    let before = all.len();
    for a in named {
        all.entry(a.actor).or_insert_with(|| a.clone());
    }
    if all.len() == before {
        return Ok(());
    }
    let list: Vec<SharedAuthor> = all.into_values().collect();
    tx.put_setting(PARTNER_AUTHORS, &postcard::to_stdvec(&list).expect("encodes")).await
}

fn heads(raw: &[[u8; 32]]) -> Vec<ChangeHash> {
    raw.iter().map(|h| ChangeHash(*h)).collect()
}

/// A shared document, as the changes leave it, must be the patient's record or one of the
/// patient's visit notes, under its own id: nothing else of this team can be reached.
fn belongs_to(doc: &AutoCommit, d: &ChangedDocument, patient: &[u8; 16]) -> std::result::Result<(), String> {
    let read = super::sync_apply::hydrates(doc, d.kind).map_err(|e| format!("do not read ({e})"))?;
    let (id, owner) = match read {
        super::sync_apply::ReadDocument::Patient(r) => (r.id.clone(), r.id),
        super::sync_apply::ReadDocument::Visit(v) => (v.id.clone(), v.patient_id.clone()),
        super::sync_apply::ReadDocument::Team(_) => return Err("reach a team document".into()),
    };
    if id != hex::encode(d.id) || owner != hex::encode(patient) {
        return Err("reach a document of another patient, or under another id".into());
    }
    Ok(())
}

#[cfg(feature = "test-support")]
pub(super) async fn test_post_changes(
    cx: &Context,
    team: &str,
    patient: PatientId,
    documents: Vec<ForgedDocument>,
) -> Result<()> {
    let (_, partner) = super::sharing::partner(cx, team).await?;
    let card = partner_card(&partner.card)?;
    let documents = documents
        .into_iter()
        .map(|(id, kind, changes, heads)| ChangedDocument { id, kind, changes, heads, now: Vec::new() })
        .collect();
    let letter = ChangesLetter { patient: patient.0, documents, authors: Vec::new() };
    let mut tx = cx.store.begin_write().await?;
    let registry = super::team::replayed_registry(cx, &mut tx).await?;
    super::referral::post_letter(cx, &mut tx, &registry, &card, &LetterContent::Changes(Box::new(letter)))
        .await?;
    tx.commit().await
}
