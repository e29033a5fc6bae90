//! Sync with the relay, driven from the store: what to push, applying what arrives, and
//! keeping the cursor, keys and registry, each step in its own transaction so that a
//! sync cut off at any point resumes without losing or repeating anything.

use super::Workspace;
use super::team::{KEYRING, OUTBOX_OFFER, OUTBOX_STATEMENT};
use crate::crypto::DeviceKey;
use crate::documents::{self, DocumentKind};
use crate::error::{Error, Result};
use crate::store::{AuditAction, WriteTx};
use crate::sync::bundle::{BundleBody, seal_bundle, team_key_entry};
use crate::sync::client::{ClientSession, Received, SessionPlan, SyncEvent};
use crate::sync::registry::SignedStatement;
use crate::sync::transport::{IrohLink, Link, RelayAddress, SessionHandler, TransportError};
use crate::sync::wire::LogEntry;
use automerge::ChangeHash;
use serde::Serialize;
use std::collections::BTreeSet;

const CURSOR: &str = "relay-cursor";
const RELAY_ADDRESS: &str = "relay-address";
/// After this many bundles of one document, the next push is a snapshot, which lets the
/// relay drop the bundles before it.
const SNAPSHOT_AFTER_BUNDLES: i64 = 32;
/// Which devices have been sent the newest team key (an admin's bookkeeping).
const KEYS_SENT: &str = "team-keys-sent";

/// Where a sync has got to, for progress bars.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncProgress {
    pub phase: &'static str,
    pub bundles_received: usize,
    pub bytes_received: usize,
    pub bundles_pushed: usize,
    pub bundles_to_push: usize,
}

/// What a sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    pub relay: String,
    pub bundles_received: usize,
    pub bundles_pushed: usize,
    pub documents_changed: usize,
    /// Patient records that changed, by name, for "what changed".
    pub patients_changed: Vec<String>,
    /// Patients whose record or visits changed, for screens showing them to refresh.
    pub records_changed: Vec<crate::ids::PatientId>,
    pub new_documents: usize,
    /// The team document changed (members, devices, caseload).
    pub team_changed: bool,
    pub open_conflicts: usize,
    pub rejected: Vec<String>,
    /// Documents received and kept that this version cannot read (a newer schema).
    pub unreadable: Vec<String>,
    pub statements_published: u32,
    pub team_keys_received: Vec<u32>,
    /// The team key epoch this device could not open bundles of, if any.
    pub waiting_for_key: Option<u32>,
    pub cursor: u64,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

struct PendingPush {
    id: [u8; 16],
    heads: Vec<ChangeHash>,
    snapshot: bool,
}

struct Driver<'w, F> {
    ws: &'w Workspace,
    progress: F,
    state: SyncProgress,
    report: SyncReport,
    outbox_through: Option<i64>,
    pending: Vec<PendingPush>,
    changed: BTreeSet<[u8; 16]>,
}

impl Workspace {
    /// Pushes what the relay lacks and pulls everything after this device's cursor.
    pub async fn sync(
        &self,
        relay: &RelayAddress,
        progress: impl FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        let mut link = IrohLink { relay };
        let report = self.sync_via(&mut link, progress).await?;
        let mut tx = self.store.begin_write().await?;
        tx.put_setting(RELAY_ADDRESS, relay.to_string().as_bytes()).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The device's public key: its iroh endpoint id.
    pub fn device_public_key(&self) -> [u8; 32] {
        self.device_key.public_key()
    }

    /// Syncs over any link to a relay (iroh, or in memory).
    pub async fn sync_via<L: Link>(
        &self,
        link: &mut L,
        progress: impl FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        let relay = link.describe();
        let (mut session, outbox_through) = self.start_session().await?;
        let mut driver = Driver {
            ws: self,
            progress,
            state: SyncProgress { phase: "connecting", ..Default::default() },
            report: SyncReport { relay, ..Default::default() },
            outbox_through,
            pending: Vec::new(),
            changed: BTreeSet::new(),
        };
        let outcome = link.run(&self.device_key, &mut session, &mut driver).await;
        driver.report.bytes_sent = session.bytes_sent;
        driver.report.bytes_received = session.bytes_received;
        let mut report = driver.report;
        let mut tx = self.store.begin_write().await?;
        let detail = match &outcome {
            Ok(()) => format!(
                "synced with relay: {} bundles received, {} pushed",
                report.bundles_received, report.bundles_pushed
            ),
            Err(e) => {
                format!("sync with relay failed after {} bundles received: {e}", report.bundles_received)
            }
        };
        self.audit(&mut tx, AuditAction::Sync, None, detail).await?;
        let path = super::SyncPath::Relay { address: report.relay.clone() };
        self.record_sync_attempt(&mut tx, path, outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()))
            .await?;
        tx.commit().await?;
        outcome?;
        report.patients_changed.sort();
        Ok(report)
    }

    /// The relay this device last synced with.
    pub async fn remembered_relay(&self) -> Result<Option<RelayAddress>> {
        let mut rx = self.store.begin_read().await?;
        Ok(rx
            .setting(RELAY_ADDRESS)
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok()))
    }

    /// Tries to open a bundle from the relay's log with this device's keys, as a sync
    /// would: for checking what a device can and cannot read.
    pub async fn open_relay_bundle(
        &self,
        entry: &LogEntry,
    ) -> Result<BundleBody, crate::sync::bundle::BundleError> {
        let mut tx =
            self.store.begin_write().await.map_err(|_| crate::sync::bundle::BundleError::NoTeamKey)?;
        let keyring =
            self.keyring(&mut tx).await.ok().flatten().ok_or(crate::sync::bundle::BundleError::NoTeamKey)?;
        let statements = self.confirmed_registry(&mut tx).await.unwrap_or_default();
        drop(tx);
        let registry = crate::sync::registry::Registry::replay(self.me.team_id.0, &statements)
            .map_err(|_| crate::sync::bundle::BundleError::UnknownAuthor)?;
        crate::sync::bundle::open_bundle(&self.me.team_id.0, &keyring, &registry, entry)
    }

    /// A document's Automerge heads, to compare devices.
    pub async fn document_heads(&self, id: [u8; 16], kind: DocumentKind) -> Result<Option<Vec<ChangeHash>>> {
        let mut rx = self.store.begin_read().await?;
        Ok(rx.load_document(&id, kind).await?.map(|mut d| d.get_heads()))
    }

    /// A session plan from the store: cursor, registry, outbox.
    pub async fn start_session(&self) -> Result<(ClientSession, Option<i64>)> {
        let mut tx = self.store.begin_write().await?;
        let keyring = self.keyring(&mut tx).await?.ok_or_else(|| {
            Error::Invalid("this device is not in a shared team: run `hedgerow team create NAME` or `hedgerow team join`".into())
        })?;
        let registry = self.confirmed_registry(&mut tx).await?;
        let cursor =
            tx.setting(CURSOR).await?.and_then(|b| b.try_into().ok()).map(u64::from_be_bytes).unwrap_or(0);
        let mut publish = Vec::new();
        let mut offers = Vec::new();
        let mut through = None;
        for item in tx.outbox().await? {
            through = Some(item.seq);
            match item.kind.as_str() {
                OUTBOX_STATEMENT => publish.push(
                    postcard::from_bytes::<SignedStatement>(&item.payload)
                        .map_err(|e| Error::Corrupt(format!("an outbox statement: {e}")))?,
                ),
                OUTBOX_OFFER if item.payload.len() > 32 => {
                    let (tag, offer) = item.payload.split_at(32);
                    offers.push((tag.try_into().expect("32 bytes"), offer.to_vec()));
                }
                other => return Err(Error::Corrupt(format!("unknown outbox item '{other}'"))),
            }
        }
        drop(tx);
        let me = DeviceKey::from_seed(*self.device_key.seed())?;
        let plan = SessionPlan { team: self.me.team_id.0, cursor, registry, publish, offers };
        let session = ClientSession::new(me, keyring, plan).map_err(TransportError::from)?;
        Ok((session, through))
    }

    /// Applies one batch of received bundles and moves the cursor, in one transaction.
    async fn apply_received(
        &self,
        bundles: Vec<Received>,
        cursor: u64,
        report: &mut SyncReport,
        changed: &mut BTreeSet<[u8; 16]>,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        for r in bundles {
            let kind = DocumentKind::parse(&r.body.kind).expect("checked when opened");
            match self.apply_bundle(&mut tx, r.body.document, kind, &r.body.changes).await {
                Ok(Applied { new, open_conflicts, patient, patient_name, unreadable }) => {
                    if let Some(why) = unreadable {
                        report.unreadable.push(format!(
                            "{} {}: {why}",
                            r.body.kind,
                            hex::encode(r.body.document)
                        ));
                    }
                    report.new_documents += usize::from(new);
                    report.open_conflicts += open_conflicts;
                    changed.insert(r.body.document);
                    report.team_changed |= kind == DocumentKind::Team;
                    if let Some(n) = patient_name
                        && !report.patients_changed.contains(&n)
                    {
                        report.patients_changed.push(n);
                    }
                    if let Some(p) = patient
                        && !report.records_changed.contains(&p)
                    {
                        report.records_changed.push(p);
                    }
                }
                Err(e) => {
                    tracing::warn!(seq = r.seq, error = %e, "a received bundle could not be applied");
                    report.rejected.push(format!("bundle {}: {e}", r.seq));
                }
            }
            report.bundles_received += 1;
        }
        tx.put_setting(CURSOR, &cursor.to_be_bytes()).await?;
        tx.commit().await
    }

    async fn apply_bundle(
        &self,
        tx: &mut WriteTx<'_>,
        id: [u8; 16],
        kind: DocumentKind,
        changes: &[u8],
    ) -> Result<Applied> {
        let existing = tx.load_document(&id, kind).await?;
        let new = existing.is_none();
        let mut doc = existing.unwrap_or_default();
        let before = doc.get_heads();
        doc.load_incremental(changes).map_err(|e| Error::Invalid(format!("the changes do not load: {e}")))?;
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(Error::Invalid("the changes depend on changes this device has not received".into()));
        }
        let after = doc.get_heads();
        if after == before {
            return Ok(Applied {
                new: false,
                open_conflicts: 0,
                patient: None,
                patient_name: None,
                unreadable: None,
            });
        }
        let pushed = tx.pushed_state(&id).await?;
        if new {
            tx.insert_document(&id, kind, &mut doc).await?;
        } else {
            let chunk = doc.save_after(&before);
            tx.append_chunk(&id, kind, &chunk, &mut doc).await?;
        }
        // The relay has what arrived; if it also had all this device's changes, it now
        // has the merged heads.
        match pushed {
            Some((heads, true)) if heads == before => tx.mark_pushed(&id, &after, 1, false).await?,
            None if new => tx.mark_pushed(&id, &after, 1, false).await?,
            _ => {}
        }
        // Kept even if this version cannot read it (a newer schema): the changes are the
        // team's, and a later version (or `reindex`) will show them.
        if let Err(e) = documents::check_header(&doc, kind) {
            tracing::warn!(document = %hex::encode(id), error = %e, "kept a document this version cannot read");
            let unreadable = Some(e.to_string());
            return Ok(Applied { new, open_conflicts: 0, patient: None, patient_name: None, unreadable });
        }
        let (patient, open_conflicts, patient_name) =
            self.refresh_after_merge(tx, id, kind, &mut doc).await?;
        Ok(Applied { new, open_conflicts, patient, patient_name, unreadable: None })
    }

    /// Seals what the relay lacks: new team keys for devices that need them (admins),
    /// then each changed document's changes, or a snapshot when its bundles pile up.
    async fn bundles_to_push(
        &self,
        session: &ClientSession,
        cursor: u64,
    ) -> Result<(Vec<LogEntry>, Vec<PendingPush>)> {
        let mut tx = self.store.begin_write().await?;
        let keyring = session.keyring();
        let team = self.me.team_id.0;
        let registry = session.registry();
        let mut entries = Vec::new();
        let me = self.device_key.public_key();
        if registry.device(&me).is_some_and(|d| d.admin && d.active())
            && let Some(epoch) = keyring.current_epoch().filter(|e| *e > 0)
        {
            let mut sent: BTreeSet<[u8; 32]> = match tx.setting(KEYS_SENT).await? {
                Some(b) if b.len() >= 4 && u32::from_be_bytes(b[..4].try_into().expect("4")) == epoch => {
                    b[4..].chunks_exact(32).map(|c| c.try_into().expect("32")).collect()
                }
                _ => BTreeSet::new(),
            };
            let key = keyring.key(epoch).expect("current epoch");
            let need: Vec<_> = registry
                .devices()
                .filter(|d| d.active() && d.device != me && !sent.contains(&d.device))
                .collect();
            for d in need {
                entries.push(
                    team_key_entry(&self.device_key, &team, epoch, key, &d.device, &d.x25519)
                        .map_err(bundle_err)?,
                );
                sent.insert(d.device);
            }
            let mut record = epoch.to_be_bytes().to_vec();
            record.extend(sent.iter().flatten());
            tx.put_setting(KEYS_SENT, &record).await?;
        }
        let mut pending = Vec::new();
        for doc in tx.unpushed_documents().await? {
            let Some(mut loaded) = tx.load_document(&doc.id, doc.kind).await? else { continue };
            let heads = loaded.get_heads();
            let snapshot = doc.pushed_heads.is_none() || doc.bundles_since_snapshot >= SNAPSHOT_AFTER_BUNDLES;
            let changes = match &doc.pushed_heads {
                Some(h) if !snapshot => loaded.save_after(h),
                _ => loaded.save(),
            };
            if changes.is_empty() || doc.pushed_heads.as_ref() == Some(&heads) {
                pending.push(PendingPush { id: doc.id, heads, snapshot: false });
                continue;
            }
            let body = BundleBody { document: doc.id, kind: doc.kind.as_str().to_owned(), changes };
            // A first upload is the whole document but covers nothing else in the log.
            let through = if doc.pushed_heads.is_some() && snapshot { Some(cursor) } else { None };
            entries.push(seal_bundle(&self.device_key, &team, keyring, &body, through).map_err(bundle_err)?);
            pending.push(PendingPush { id: doc.id, heads, snapshot: through.is_some() });
        }
        tx.commit().await?;
        Ok((entries, pending))
    }

    async fn finish_push(&self, pending: &[PendingPush]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        for p in pending {
            tx.mark_pushed(&p.id, &p.heads, 1, p.snapshot).await?;
        }
        tx.commit().await
    }
}

struct Applied {
    new: bool,
    open_conflicts: usize,
    patient: Option<crate::ids::PatientId>,
    patient_name: Option<String>,
    unreadable: Option<String>,
}

fn bundle_err(e: crate::sync::bundle::BundleError) -> Error {
    Error::Invalid(format!("could not seal a bundle: {e}"))
}

fn handler_err(e: Error) -> TransportError {
    TransportError::Handler(e.to_string())
}

impl<F: FnMut(&SyncProgress)> SessionHandler for Driver<'_, F> {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        let ws = self.ws;
        match event {
            SyncEvent::Welcome { .. } => self.state.phase = "receiving",
            SyncEvent::Published { accepted } => self.report.statements_published += accepted,
            SyncEvent::Registry { .. } => {
                let mut tx = ws.store.begin_write().await.map_err(handler_err)?;
                ws.save_registry(&mut tx, session.registry().statements()).await.map_err(handler_err)?;
                tx.commit().await.map_err(handler_err)?;
            }
            SyncEvent::TeamKey { epoch, .. } => {
                let mut tx = ws.store.begin_write().await.map_err(handler_err)?;
                tx.put_setting(KEYRING, &session.keyring().to_bytes()).await.map_err(handler_err)?;
                tx.commit().await.map_err(handler_err)?;
                self.report.team_keys_received.push(epoch);
            }
            SyncEvent::Received { bundles, cursor, bytes } => {
                let n = bundles.len();
                ws.apply_received(bundles, cursor, &mut self.report, &mut self.changed)
                    .await
                    .map_err(handler_err)?;
                self.state.bundles_received += n;
                self.state.bytes_received += bytes;
            }
            SyncEvent::Rejected { seq, reason } => {
                tracing::warn!(seq, %reason, "a bundle from the relay was rejected");
                self.report.rejected.push(format!("bundle {seq}: {reason}"));
            }
            SyncEvent::PullDone { cursor, waiting_for_key } => {
                let mut tx = ws.store.begin_write().await.map_err(handler_err)?;
                tx.put_setting(CURSOR, &cursor.to_be_bytes()).await.map_err(handler_err)?;
                // Everything in the outbox was acknowledged before the pull's answer.
                if let Some(seq) = self.outbox_through {
                    tx.clear_outbox_through(seq).await.map_err(handler_err)?;
                }
                tx.commit().await.map_err(handler_err)?;
                self.report.cursor = cursor;
                self.report.waiting_for_key = waiting_for_key;
                let (entries, pending) = ws.bundles_to_push(session, cursor).await.map_err(handler_err)?;
                self.state.phase = "sending";
                self.state.bundles_to_push = entries.len();
                self.pending = pending;
                session.push(entries);
            }
            SyncEvent::Pushed { entries, .. } => {
                self.state.bundles_pushed += entries;
                self.report.bundles_pushed += entries;
            }
            SyncEvent::Done => {
                ws.finish_push(&self.pending).await.map_err(handler_err)?;
                self.report.documents_changed = self.changed.len();
                self.state.phase = "done";
            }
        }
        (self.progress)(&self.state);
        Ok(())
    }
}
