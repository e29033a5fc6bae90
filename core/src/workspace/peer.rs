//! Direct sync with another device of the team (a care home, a team base): the store side
//! of [`PeerSession`]. What arrives is stored like any change, so it goes on to the relay
//! at this device's next relay sync, and what came from the relay goes on to peers.

use super::Context;
use crate::documents::{self, DocumentKind};
use crate::error::{Error, Result};
use crate::store::AuditAction;
use crate::sync::peer::{Agreement, DocumentMessage, PeerEvent, PeerSession, SummaryEntry, heads_digest};
use crate::sync::registry::Registry;
use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a direct sync did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PeerReport {
    /// The other device's public key, hex.
    pub peer: String,
    /// Documents that differed and were synced.
    pub documents_synced: u64,
    /// Documents this device did not have before.
    pub new_documents: u64,
    /// Documents this device changed by taking in the other's changes.
    pub documents_changed: u64,
    pub patients_changed: Vec<String>,
    /// Patients whose record or visits changed, for screens showing them to refresh.
    pub records_changed: Vec<crate::ids::PatientId>,
    pub open_conflicts: u64,
    pub unreadable: Vec<String>,
    pub rounds: u32,
    /// Documents left out of this sync because a change in them was not signed by a device
    /// this device knows (a newer colleague's comes at the next relay sync), with why.
    pub left_out: Vec<String>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// When the other device is of a team this team shares records with: that team's name.
    /// Only letters cross then (the changes to the records both share, referrals and their
    /// answers), never a summary of the caseload.
    pub partner_team: Option<String>,
    pub letters_sent: u64,
    pub letters_received: u64,
}

impl PeerReport {
    /// Who the other device was: "a team device", or "a device of Rowan Hospice".
    pub fn with(&self) -> String {
        match &self.partner_team {
            Some(team) => format!("a device of {team}"),
            None => "a team device".to_owned(),
        }
    }

    /// What the direct sync did, in a line for the clinician who started it.
    pub fn what(&self) -> String {
        let mut out = match &self.partner_team {
            Some(_) => format!(
                "{} letter(s) about the records your teams share handed over, {} taken in",
                self.letters_sent, self.letters_received
            ),
            None => {
                format!("{} records differed, {} changed here", self.documents_synced, self.documents_changed)
            }
        };
        if !self.patients_changed.is_empty() {
            out.push_str(&format!("; changed: {}", self.patients_changed.join(", ")));
        }
        if !self.left_out.is_empty() {
            out.push_str(&format!("; {} left out: {}", self.left_out.len(), self.left_out.join("; ")));
        }
        out
    }

    /// Who and what, in one line.
    pub fn summary(&self) -> String {
        format!("{}: {}", self.with(), self.what())
    }
}

fn kind_code(kind: DocumentKind) -> u8 {
    match kind {
        DocumentKind::Patient => 0,
        DocumentKind::Visit => 1,
        DocumentKind::Team => 2,
    }
}

fn kind_of(code: u8) -> Option<DocumentKind> {
    match code {
        0 => Some(DocumentKind::Patient),
        1 => Some(DocumentKind::Visit),
        2 => Some(DocumentKind::Team),
        _ => None,
    }
}

/// The documents in play during one direct sync, kept loaded between rounds.
pub(crate) struct PeerDriver<'w> {
    cx: &'w Context,
    peer: [u8; 32],
    docs: BTreeMap<[u8; 16], (DocumentKind, AutoCommit, State, bool)>,
    /// Each document's signed actor heads, sent with its messages.
    heads: BTreeMap<[u8; 16], Vec<crate::sync::heads::ActorHead>>,
    registry: Option<Registry>,
    /// Documents whose changes were refused this session: no more is exchanged on them.
    refused: std::collections::BTreeSet<[u8; 16]>,
    pub(crate) report: PeerReport,
}

pub(super) async fn is_team_device(cx: &Context, peer: &[u8; 32]) -> Result<bool> {
    Ok(confirmed_team_registry(cx).await?.is_active(peer) && *peer != cx.device_key.public_key())
}

/// The registry this device last confirmed with the relay, checked.
pub(super) async fn confirmed_team_registry(cx: &Context) -> Result<Registry> {
    super::team::replayed_registry(cx, &mut cx.store.begin_read().await?).await
}

pub(super) async fn peer_session(cx: &Context, peer: &[u8; 32]) -> Result<PeerSession> {
    let mut tx = cx.store.begin_write().await?;
    let entries = summary_entries(&mut tx).await?;
    let agreed = tx.peer_agreement(peer).await?;
    tx.commit().await?;
    Ok(PeerSession::new(cx.me.team_id.0, entries, agreed.as_ref()))
}

/// After a direct sync that finished: this device's summary now, as what it agreed
/// with `peer`. The other end keeps its own; only if both are the same do they
/// summarise against it next time.
pub(super) async fn agree_with_peer(cx: &Context, peer: &[u8; 32]) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    let entries = summary_entries(&mut tx).await?;
    tx.put_peer_agreement(peer, &Agreement::of(&entries)).await?;
    tx.commit().await
}

pub(crate) fn peer_driver(cx: &Context, peer: [u8; 32]) -> PeerDriver<'_> {
    PeerDriver {
        cx,
        peer,
        docs: BTreeMap::new(),
        heads: BTreeMap::new(),
        registry: None,
        refused: Default::default(),
        report: PeerReport { peer: hex::encode(peer), ..Default::default() },
    }
}

pub(crate) async fn audit_peer_sync(cx: &Context, report: &PeerReport, outcome: &Result<()>) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    let detail = match outcome {
        Ok(()) => format!(
            "synced directly with device {}: {} documents differed, {} changed here",
            &report.peer[..16],
            report.documents_synced,
            report.documents_changed
        ),
        Err(e) => format!("direct sync with device {} failed: {e}", &report.peer[..16]),
    };
    cx.audit(&mut tx, AuditAction::Sync, None, detail).await?;
    for why in &report.left_out {
        cx.audit_flagged(&mut tx, AuditAction::Sync, None, format!("refused in a direct sync: {why}"), true)
            .await?;
    }
    let path = super::SyncPath::Device { public_key: report.peer.clone() };
    super::sync_history::record_sync_attempt(
        &mut tx,
        path,
        outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()),
    )
    .await?;
    tx.commit().await
}

impl PeerDriver<'_> {
    pub(crate) async fn on_event(&mut self, event: PeerEvent, session: &mut PeerSession) -> Result<()> {
        match event {
            PeerEvent::Differing { documents } => {
                self.report.documents_synced = documents.len() as u64;
                let mut tx = self.cx.store.begin_write().await?;
                let statements = super::team::confirmed_registry(&mut tx).await?;
                self.registry = Some(
                    Registry::replay(self.cx.me.team_id.0, &statements)
                        .map_err(|e| Error::Corrupt(format!("the team registry does not check: {e}")))?,
                );
                let held: std::collections::BTreeSet<[u8; 16]> =
                    tx.held_documents().await?.into_iter().collect();
                for (id, code) in documents {
                    let kind = kind_of(code).ok_or_else(|| {
                        Error::from_device(&self.peer, format!("unknown document kind code {code}"))
                    })?;
                    if held.contains(&id) {
                        // Held for review: nothing is exchanged on it, either way.
                        self.refused.insert(id);
                        continue;
                    }
                    self.heads.insert(id, tx.actor_heads(&id).await?);
                    let doc = tx.load_document(&id, kind).await?;
                    let exists = doc.is_some();
                    let state = match tx.peer_sync_state(&self.peer, &id).await? {
                        Some(b) => State::decode(&b).unwrap_or_default(),
                        None => State::new(),
                    };
                    self.docs.insert(id, (kind, doc.unwrap_or_default(), state, exists));
                }
                drop(tx);
                let round = self.generate();
                session.send_round(round);
            }
            PeerEvent::Round { round, messages } => {
                if session.is_done() {
                    return Ok(());
                }
                self.report.rounds = round;
                self.apply(messages).await?;
                let next = self.generate();
                session.send_round(next);
            }
            PeerEvent::Done => {
                let mut tx = self.cx.store.begin_write().await?;
                for (id, (_, _, state, exists)) in &self.docs {
                    if *exists && !self.refused.contains(id) {
                        tx.put_peer_sync_state(&self.peer, id, &state.encode()).await?;
                    }
                }
                tx.commit().await?;
                self.report.patients_changed.sort();
            }
        }
        Ok(())
    }

    fn generate(&mut self) -> Vec<DocumentMessage> {
        let mut out = Vec::new();
        for (id, (kind, doc, state, _)) in self.docs.iter_mut() {
            if self.refused.contains(id) {
                continue;
            }
            if let Some(m) = doc.sync().generate_sync_message(state) {
                let heads = self.heads.get(id).cloned().unwrap_or_default();
                out.push(DocumentMessage {
                    document: *id,
                    kind: kind_code(*kind),
                    message: m.encode(),
                    heads,
                });
            }
        }
        out
    }

    /// Takes in one round of the other device's messages, in one transaction.
    async fn apply(&mut self, messages: Vec<DocumentMessage>) -> Result<()> {
        let mut tx = self.cx.store.begin_write().await?;
        for m in messages {
            if self.refused.contains(&m.document) {
                continue;
            }
            let Some((kind, doc, state, exists)) = self.docs.get_mut(&m.document) else {
                return Err(Error::from_device(&self.peer, "a document outside the summary"));
            };
            if kind_code(*kind) != m.kind {
                return Err(Error::from_device(&self.peer, "a document under another kind"));
            }
            let message = Message::decode(&m.message)
                .map_err(|e| Error::from_device(&self.peer, format!("a malformed sync message: {e}")))?;
            let before = doc.get_heads();
            doc.sync()
                .receive_sync_message(state, message)
                .map_err(|e| Error::from_device(&self.peer, format!("changes that do not apply: {e}")))?;
            let after = doc.get_heads();
            if after == before {
                continue;
            }
            let id = m.document;
            // Who wrote each new change: its actor's device must have signed for it. If not,
            // this document is left as it was and out of the rest of this sync.
            let registry = self.registry.as_ref().ok_or_else(|| Error::Internal("no registry".into()))?;
            let stored = self.heads.get(&id).cloned().unwrap_or_default();
            let team = self.cx.me.team_id.0;
            let keep = match crate::authorship::check_new_changes(
                doc, &before, &m.heads, &stored, &team, &id, registry,
            ) {
                Ok(keep) => keep,
                Err(e) => {
                    *doc = tx.load_document(&id, *kind).await?.unwrap_or_default();
                    *state = State::new();
                    self.refused.insert(id);
                    let peer = hex::encode(&self.peer[..8]);
                    tracing::warn!(document = %hex::encode(id), %peer, error = %e, "left a document out of a direct sync");
                    self.report.left_out.push(format!("{kind} {} from device {peer}: {e}", hex::encode(id)));
                    continue;
                }
            };
            for head in keep {
                tx.put_actor_head(&id, &head).await?;
                let entry = self.heads.entry(id).or_default();
                entry.retain(|h| h.actor != head.actor);
                entry.push(head);
            }
            if documents::check_header(doc, *kind).is_ok() {
                super::sync_apply::hydrates(doc, *kind).map_err(|e| {
                    Error::from_device(&self.peer, format!("a document that does not read: {e}"))
                })?;
            }
            if !*exists {
                tx.insert_document(&id, *kind, doc).await?;
                *exists = true;
                self.report.new_documents += 1;
            } else {
                let chunk = doc.save_after(&before);
                tx.append_chunk(&id, *kind, &chunk, doc).await?;
            }
            self.report.documents_changed += 1;
            if let Err(e) = documents::check_header(doc, *kind) {
                self.report.unreadable.push(format!("{kind} {}: {e}", hex::encode(id)));
                continue;
            }
            let (patient, open, name) =
                super::merge::refresh_after_merge(self.cx, &mut tx, id, *kind, doc).await?;
            self.report.open_conflicts += open as u64;
            if let Some(p) = patient.filter(|p| !self.report.records_changed.contains(p)) {
                self.report.records_changed.push(p);
            }
            if let Some(name) = name.filter(|n| !self.report.patients_changed.contains(n)) {
                self.report.patients_changed.push(name);
            }
        }
        tx.commit().await
    }
}

/// Every document's entry for a summary: id, kind and a digest of its heads. Documents
/// taken in unsigned stay out (they stay on this device for review).
async fn summary_entries(tx: &mut crate::store::WriteTx<'_>) -> Result<Vec<SummaryEntry>> {
    let mut entries = Vec::new();
    let held: std::collections::BTreeSet<[u8; 16]> = tx.held_documents().await?.into_iter().collect();
    for d in tx.all_document_heads().await? {
        if held.contains(&d.id) {
            continue; // taken in unsigned: stays on this device for review
        }
        let heads = match d.heads {
            Some(h) => h,
            None => {
                let Some(mut doc) = tx.load_document(&d.id, d.kind).await? else { continue };
                let h = doc.get_heads();
                tx.set_document_heads(&d.id, &h).await?;
                h
            }
        };
        entries.push(SummaryEntry { document: d.id, kind: kind_code(d.kind), heads: heads_digest(&heads) });
    }
    Ok(entries)
}
