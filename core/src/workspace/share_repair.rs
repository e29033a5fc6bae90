//! When a partner team's device cannot take in a letter of changes because they build on
//! changes it never had (a letter before it that it left out), it tells the sending team
//! what it holds of each document; the sender counts that as all the other team holds, so
//! its next letter carries what is missing. Without this, every later letter about the
//! document would build on the gap, and the other team would never see those changes.

use super::Context;
use super::referral::{LetterContent, partner_card};
use crate::error::Result;
use crate::ids::PatientId;
use crate::store::WriteTx;
use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

/// The most documents one such letter may name.
const MAX_HELD_DOCUMENTS: usize = 10_000;

/// What this team's device holds of each document of a shared record: (document, heads).
#[derive(Serialize, Deserialize)]
pub(super) struct HoldingLetter {
    pub patient: [u8; 16],
    pub documents: Vec<([u8; 16], Vec<[u8; 32]>)>,
}

/// Tells team `from`, whose letter about `patient` could not be taken in, what this
/// device holds of the documents it named; sent with the next letters (in this sync,
/// if it is one).
pub(super) async fn tell_sender_what_is_held(
    cx: &Context,
    from: [u8; 16],
    patient: PatientId,
    documents: Vec<([u8; 16], Vec<[u8; 32]>)>,
) -> Result<()> {
    let partners = super::sharing::team_document(cx).await?.partners;
    let Some(card) = partners.get(&hex::encode(from)).and_then(|p| partner_card(&p.card).ok()) else {
        return Ok(());
    };
    let mut tx = cx.store.begin_write().await?;
    let registry = super::team::replayed_registry(cx, &mut tx).await?;
    if !registry.is_active(&cx.device_key.public_key()) {
        return Ok(());
    }
    let letter = HoldingLetter { patient: patient.0, documents };
    super::referral::post_letter(cx, &mut tx, &registry, &card, &LetterContent::Holding(letter)).await?;
    tx.commit().await
}

/// Team `from` says what it holds of documents of a record shared with it: from now
/// on that is all it is counted as holding of them, so the next letter carries the rest.
pub(super) async fn take_holding(
    tx: &mut WriteTx<'_>,
    from: [u8; 16],
    partner: &str,
    held: HoldingLetter,
) -> Result<Option<String>> {
    if held.documents.len() > MAX_HELD_DOCUMENTS {
        return Ok(Some(format!("{partner} said what it holds of more than {MAX_HELD_DOCUMENTS} documents")));
    }
    if !tx.record_shared_with(&held.patient).await?.contains(&from) {
        return Ok(Some(format!(
            "{partner} said what it holds of a record this team does not share with it"
        )));
    }
    let ours: std::collections::HashSet<[u8; 16]> = tx
        .documents_shared_with(&from)
        .await?
        .into_iter()
        .filter(|d| d.patient == held.patient)
        .map(|d| d.id)
        .collect();
    for (id, heads) in held.documents {
        // Only the shared record's own documents: nothing else is ever sent to it.
        if ours.contains(&id) {
            let heads: Vec<ChangeHash> = heads.into_iter().map(ChangeHash).collect();
            tx.send_again_beyond(&from, &id, &heads).await?;
        }
    }
    Ok(None)
}

#[cfg(feature = "test-support")]
pub(super) async fn test_count_as_held(cx: &Context, team: &str, patient: PatientId) -> Result<()> {
    let (id, _) = super::sharing::partner(cx, team).await?;
    let team: [u8; 16] = hex::decode(&id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| crate::error::Error::Internal("a partner id that is not one".into()))?;
    let mut tx = cx.store.begin_write().await?;
    for d in tx.documents_shared_with(&team).await? {
        if d.patient == patient.0 {
            tx.mark_shared(&team, &d.id, d.version, &d.heads).await?;
        }
    }
    tx.commit().await
}
