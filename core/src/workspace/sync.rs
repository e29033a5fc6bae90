//! Sync with the relay, driven from the store: the session plan, and what the device does
//! with each event, each step in its own transaction so that a sync cut off at any point
//! resumes without losing or repeating anything. Applying what arrives and choosing what
//! to push is `sync_apply.rs`.

use super::Context;
use super::sync_apply::PendingPush;
use super::team::{ANCHOR, KEYRING, OUTBOX_LETTER, OUTBOX_OFFER, OUTBOX_STATEMENT};
use crate::crypto::DeviceKey;
use crate::documents::{DocumentKind, Timestamp};
use crate::error::{Error, Result};
use crate::store::{AuditAction, WriteTx};
use crate::sync::bundle::BundleBody;
use crate::sync::client::{ClientSession, SessionPlan, SyncEvent, Waiting};
use crate::sync::registry::SignedStatement;
use crate::sync::transport::{KeptLink, Link, RelayAddress, SessionHandler, TransportError};
use crate::sync::wire::LogEntry;
use automerge::ChangeHash;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The log this device's cursor belongs to (16 bytes) and the cursor (8 bytes).
const CURSOR: &str = "relay-cursor-v2";
/// The log id and the highest position the relay acknowledged for this device's pushes.
pub(crate) const PUSHED_THROUGH: &str = "relay-pushed-through-v2";
const RELAY_ADDRESS: &str = "relay-address";
/// Bundles applied in one transaction: large enough that a first sync costs few commits,
/// small enough that progress moves and a crash loses little.
const APPLY_AT_ONCE: usize = 1_000;

crate::documents::schema::vocabulary! {
    /// Where a sync with the relay has got to.
    #[derive(Default)]
    pub enum SyncPhase {
        #[default]
        Connecting => "connecting" as "connecting to the relay",
        Receiving => "receiving" as "receiving the team's changes",
        Sending => "sending" as "sending this device's changes",
        Done => "done",
    }
}

/// Where a sync has got to, for progress bars.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub bundles_received: u64,
    pub bytes_received: u64,
    pub bundles_pushed: u64,
    pub bundles_to_push: u64,
}

/// What a sync did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncReport {
    pub relay: String,
    pub bundles_received: u64,
    pub bundles_pushed: u64,
    pub documents_changed: u64,
    /// Patient records that changed, by name, for "what changed".
    pub patients_changed: Vec<String>,
    /// Patients whose record or visits changed, for screens showing them to refresh.
    pub records_changed: Vec<crate::ids::PatientId>,
    pub new_documents: u64,
    /// The team document changed (members, devices, caseload).
    pub team_changed: bool,
    pub open_conflicts: u64,
    /// Entries left out, each with its position, author and why; none of them was applied.
    pub rejected: Vec<String>,
    /// Documents received and kept that this version cannot read (a newer schema).
    pub unreadable: Vec<String>,
    pub statements_published: u32,
    /// Letters (referrals, answers) the relay took for partner teams.
    pub letters_delivered: u64,
    /// Letters from partner teams taken in.
    pub letters_received: u64,
    /// Letters the relay would not carry, and why: the referral or answer did not go.
    pub undelivered: Vec<String>,
    /// Letters of changes to records shared with other teams, handed to the relay.
    pub shared_letters: u64,
    /// Read-only copies of records whose share ended, deleted as their retention passed.
    pub ended_copies_deleted: u64,
    pub team_keys_received: Vec<u32>,
    /// The team key epoch this device could not open bundles of, if any.
    pub waiting_for_key: Option<u32>,
    /// An author the registry does not know, whose entries wait for the next sync.
    pub waiting_for_author: Option<String>,
    /// The relay's log was new to this device (or went back): everything was pulled and
    /// pushed again.
    pub log_reset: bool,
    pub cursor: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// What exists only on this device: changed here and not yet at the relay. A lost or broken
/// laptop loses exactly this, so the app says it plainly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OnlyOnThisDevice {
    pub patient_records: usize,
    pub visits: usize,
    /// The team document and the enrolments, revocations and keys waiting to be published.
    pub team_changes: usize,
}

impl OnlyOnThisDevice {
    pub fn total(&self) -> usize {
        self.patient_records + self.visits + self.team_changes
    }

    /// "2 patient records, 1 visit and 1 team change".
    pub fn describe(&self) -> String {
        let part = |n: usize, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        let parts: Vec<String> = [
            part(self.patient_records, "patient record", "patient records"),
            part(self.visits, "visit", "visits"),
            part(self.team_changes, "team change", "team changes"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match parts.as_slice() {
            [] => "nothing".into(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
}

struct Driver<'w, F> {
    cx: &'w Context,
    progress: F,
    state: SyncProgress,
    report: SyncReport,
    outbox_through: Option<i64>,
    pending: PendingPush,
    changed: BTreeSet<[u8; 16]>,
    log_id: Option<[u8; 16]>,
    /// The last position the relay gave this device's pushes in this session.
    pushed_last: u64,
    /// Letters the relay did not carry, kept for the next sync (outbox payloads).
    requeue: Vec<Vec<u8>>,
    /// Letters handed over after the pull (shared records' changes, and letters written
    /// while pulling), by team, with their places in the outbox.
    shared_outbox: Vec<([u8; 16], Vec<i64>)>,
}

pub(super) async fn sync(
    cx: &Context,
    relay: &RelayAddress,
    mut progress: impl FnMut(&SyncProgress),
) -> Result<SyncReport> {
    let mut link = KeptLink { relay, kept: &cx.relay_connection, stale: false };
    let report = match sync_via(cx, &mut link, &mut progress).await {
        // The connection kept from the last sync had closed before the relay said anything
        // (it restarted, say): nothing happened, so once more on a new connection.
        Err(_) if link.stale => {
            let mut link = KeptLink { relay, kept: &cx.relay_connection, stale: false };
            sync_via(cx, &mut link, &mut progress).await?
        }
        other => other?,
    };
    let mut tx = cx.store.begin_write().await?;
    tx.put_setting(RELAY_ADDRESS, relay.to_string().as_bytes()).await?;
    tx.commit().await?;
    Ok(report)
}

pub(super) fn device_public_key(cx: &Context) -> [u8; 32] {
    cx.device_key.public_key()
}

pub(super) async fn sync_via<L: Link>(
    cx: &Context,
    link: &mut L,
    progress: impl FnMut(&SyncProgress),
) -> Result<SyncReport> {
    let relay = link.describe();
    // Read-only copies past their team's retention go before anything else.
    let deleted = super::share_end::delete_expired_copies(cx, Timestamp::now()).await?;
    let (mut session, outbox_through) = start_session(cx).await?;
    let mut driver = Driver {
        cx,
        progress,
        state: SyncProgress { phase: SyncPhase::Connecting, ..Default::default() },
        report: SyncReport { relay, ended_copies_deleted: deleted as u64, ..Default::default() },
        outbox_through,
        pending: PendingPush::default(),
        changed: BTreeSet::new(),
        log_id: None,
        pushed_last: 0,
        requeue: Vec::new(),
        shared_outbox: Vec::new(),
    };
    let outcome = link.run(&cx.device_key, &mut session, &mut driver).await;
    driver.report.bytes_sent = session.bytes_sent as u64;
    driver.report.bytes_received = session.bytes_received as u64;
    let mut report = driver.report;
    let mut tx = cx.store.begin_write().await?;
    let detail = match &outcome {
        Ok(()) => format!(
            "synced with relay: {} bundles received, {} pushed",
            report.bundles_received, report.bundles_pushed
        ),
        Err(e) => {
            format!("sync with relay failed after {} bundles received: {e}", report.bundles_received)
        }
    };
    cx.audit(&mut tx, AuditAction::Sync, None, detail).await?;
    for u in &report.undelivered {
        // A referral or an answer that did not go: the clinician must know.
        cx.audit_flagged(&mut tx, AuditAction::Referral, None, u.clone(), true).await?;
    }
    for r in &report.rejected {
        // Left out for good: someone may have tried to write what they may not.
        cx.audit_flagged(&mut tx, AuditAction::Sync, None, format!("refused from the relay: {r}"), true)
            .await?;
    }
    let path = super::SyncPath::Relay { address: report.relay.clone() };
    super::sync_history::record_sync_attempt(
        &mut tx,
        path,
        outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()),
    )
    .await?;
    tx.commit().await?;
    outcome?;
    report.patients_changed.sort();
    report.patients_changed.dedup();
    report.records_changed.sort();
    report.records_changed.dedup();
    Ok(report)
}

pub(super) async fn only_on_this_device(cx: &Context) -> Result<OnlyOnThisDevice> {
    let mut tx = cx.store.begin_write().await?;
    let mut out = OnlyOnThisDevice::default();
    for d in tx.unpushed_documents().await? {
        match d.kind {
            DocumentKind::Patient => out.patient_records += 1,
            DocumentKind::Visit => out.visits += 1,
            DocumentKind::Team => out.team_changes += 1,
        }
    }
    out.team_changes += tx.outbox().await?.len();
    Ok(out)
}

pub(super) async fn remembered_relay(cx: &Context) -> Result<Option<RelayAddress>> {
    let mut rx = cx.store.begin_read().await?;
    Ok(rx
        .setting(RELAY_ADDRESS)
        .await?
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .and_then(|s| s.parse().ok()))
}

pub(super) async fn open_relay_bundle(
    cx: &Context,
    entry: &LogEntry,
    position: u64,
) -> Result<BundleBody, crate::sync::bundle::BundleError> {
    use crate::sync::bundle::{BundleError, MAX_INFLATED, open_bundle};
    let mut tx = cx.store.begin_read().await.map_err(|_| BundleError::NoTeamKey)?;
    let keyring = super::team::keyring(&mut tx).await.ok().flatten().ok_or(BundleError::NoTeamKey)?;
    let statements = super::team::confirmed_registry(&mut tx).await.unwrap_or_default();
    drop(tx);
    let registry = crate::sync::registry::Registry::replay(cx.me.team_id.0, &statements)
        .map_err(|_| BundleError::UnknownAuthor)?;
    open_bundle(&cx.me.team_id.0, &keyring, &registry, entry, position, MAX_INFLATED)
}

pub(super) async fn document_heads(
    cx: &Context,
    id: [u8; 16],
    kind: DocumentKind,
) -> Result<Option<Vec<ChangeHash>>> {
    let mut rx = cx.store.begin_read().await?;
    Ok(rx.load_document(&id, kind).await?.map(|mut d| d.get_heads()))
}

pub(super) async fn start_session(cx: &Context) -> Result<(ClientSession, Option<i64>)> {
    let mut tx = cx.store.begin_read().await?;
    let keyring = super::team::keyring(&mut tx).await?.ok_or_else(|| {
        Error::Input(
            "this device is not in a shared team: run `hedgerow team create NAME` or `hedgerow team join`"
                .into(),
        )
    })?;
    let registry = super::team::confirmed_registry(&mut tx).await?;
    let anchor = super::team::anchor(&mut tx).await?;
    let (log_id, cursor) = match tx.setting(CURSOR).await? {
        Some(b) if b.len() == 24 => {
            let log: [u8; 16] = b[..16].try_into().expect("16 bytes");
            (Some(log), u64::from_be_bytes(b[16..].try_into().expect("8 bytes")))
        }
        _ => (None, 0),
    };
    let pushed_through = match tx.setting(PUSHED_THROUGH).await? {
        Some(b) if b.len() == 24 && log_id.is_some_and(|l| b[..16] == l) => {
            u64::from_be_bytes(b[16..].try_into().expect("8 bytes"))
        }
        _ => 0,
    };
    let (view, _) = super::team::registry_view(cx, &mut tx).await?;
    let now = chrono::Utc::now().timestamp();
    let mut publish = Vec::new();
    let mut offers = Vec::new();
    let mut letters: Vec<([u8; 16], Vec<LogEntry>)> = Vec::new();
    let mut through = None;
    for item in tx.outbox().await? {
        through = Some(item.seq);
        match item.kind.as_str() {
            OUTBOX_STATEMENT => publish.push(
                postcard::from_bytes::<SignedStatement>(&item.payload)
                    .map_err(|e| Error::Corrupt(format!("an outbox statement: {e}")))?,
            ),
            OUTBOX_OFFER if item.payload.len() > 32 => {
                let (invite, offer) = item.payload.split_at(32);
                let invite: [u8; 32] = invite.try_into().expect("32 bytes");
                // An invite that expired before its offer reached the relay: the relay
                // would refuse the offer, so it is dropped with the outbox.
                if view.invite_expiry(&invite).is_some_and(|e| e < now) {
                    tracing::info!("an invite expired before its offer reached the relay; dropped");
                    continue;
                }
                offers.push((invite, offer.to_vec()));
            }
            OUTBOX_LETTER => {
                let (to, entry): ([u8; 16], LogEntry) = postcard::from_bytes(&item.payload)
                    .map_err(|e| Error::Corrupt(format!("an outbox letter: {e}")))?;
                match letters.iter_mut().find(|(t, _)| *t == to) {
                    Some((_, entries)) => entries.push(entry),
                    None => letters.push((to, vec![entry])),
                }
            }
            other => return Err(Error::Corrupt(format!("unknown outbox item '{other}'"))),
        }
    }
    drop(tx);
    let me = DeviceKey::from_seed(*cx.device_key.seed())?;
    let plan = SessionPlan {
        team: cx.me.team_id.0,
        cursor,
        pushed_through,
        log_id,
        registry,
        anchor,
        publish,
        offers,
        letters,
    };
    let session = ClientSession::new(me, keyring, plan).map_err(TransportError::from)?;
    Ok((session, through))
}

pub(crate) async fn save_cursor(tx: &mut WriteTx<'_>, log_id: [u8; 16], cursor: u64) -> Result<()> {
    let mut value = log_id.to_vec();
    value.extend_from_slice(&cursor.to_be_bytes());
    tx.put_setting(CURSOR, &value).await
}

fn handler_err(e: Error) -> TransportError {
    TransportError::Handler(Box::new(e))
}

impl<F: FnMut(&SyncProgress)> SessionHandler for Driver<'_, F> {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        let cx = self.cx;
        match event {
            SyncEvent::Welcome { log_id, new_log, .. } => {
                self.state.phase = SyncPhase::Receiving;
                self.log_id = Some(log_id);
                if new_log {
                    // A log this device has not synced with (a new or restored relay): it
                    // holds none of what this device pushed before.
                    let mut tx = cx.store.begin_write().await.map_err(handler_err)?;
                    super::sync_apply::forget_pushed(&mut tx).await.map_err(handler_err)?;
                    tx.commit().await.map_err(handler_err)?;
                    self.report.log_reset = true;
                }
            }
            SyncEvent::Published { accepted } => self.report.statements_published += accepted,
            SyncEvent::Registry { .. } => {
                let mut tx = cx.store.begin_write().await.map_err(handler_err)?;
                super::team::save_registry(&mut tx, session.registry().statements())
                    .await
                    .map_err(handler_err)?;
                tx.commit().await.map_err(handler_err)?;
            }
            SyncEvent::TeamKeys { added } => {
                let mut tx = cx.store.begin_write().await.map_err(handler_err)?;
                tx.put_setting(KEYRING, &session.keyring().to_bytes()).await.map_err(handler_err)?;
                tx.commit().await.map_err(handler_err)?;
                self.report.team_keys_received.extend(added.iter().map(|k| k.epoch));
            }
            SyncEvent::Received { bundles, cursor, bytes } => {
                let log_id =
                    self.log_id.ok_or_else(|| handler_err(Error::from_relay("no Welcome before the log")))?;
                self.state.bytes_received += bytes as u64;
                // Committed and reported a part at a time, each part with the position of
                // its last bundle: what was reported applied is kept, and a sync cut off
                // after it resumes from there.
                let mut part = bundles;
                loop {
                    let rest =
                        if part.len() > APPLY_AT_ONCE { part.split_off(APPLY_AT_ONCE) } else { Vec::new() };
                    let through = match rest.is_empty() {
                        true => cursor,
                        false => part.last().map_or(cursor, |r| r.seq),
                    };
                    let n = part.len() as u64;
                    super::sync_apply::apply_received(
                        cx,
                        session.registry(),
                        part,
                        log_id,
                        through,
                        &mut self.report,
                        &mut self.changed,
                    )
                    .await
                    .map_err(handler_err)?;
                    self.state.bundles_received += n;
                    if rest.is_empty() {
                        break;
                    }
                    (self.progress)(&self.state);
                    part = rest;
                }
            }
            SyncEvent::Audit { seq, author, entries } => {
                let problems =
                    super::audit_trail::take_team_audit(cx, &author, &entries).await.map_err(handler_err)?;
                for p in problems {
                    tracing::warn!(seq, device = %hex::encode(&author[..8]), problem = %p, "a device's audit log has a break");
                }
            }
            SyncEvent::Letter { seq, from, author, registry, content } => {
                match Box::pin(super::referral::take_letter(cx, from, author, registry, &content))
                    .await
                    .map_err(handler_err)?
                {
                    None => self.report.letters_received += 1,
                    Some(why) => self
                        .report
                        .rejected
                        .push(format!("entry {seq} by device {}: {why}", hex::encode(&author[..8]))),
                }
            }
            SyncEvent::Delivered { to, letters } => {
                self.report.letters_delivered += letters as u64;
                // Past the pull, a delivery is of the shared records' letters: out of the outbox.
                if self.state.phase == SyncPhase::Sending
                    && let Some(i) = self.shared_outbox.iter().position(|(t, _)| *t == to)
                {
                    let (_, seqs) = self.shared_outbox.remove(i);
                    let mut tx = cx.store.begin_write().await.map_err(handler_err)?;
                    for seq in seqs {
                        tx.remove_from_outbox(seq).await.map_err(handler_err)?;
                    }
                    tx.commit().await.map_err(handler_err)?;
                }
            }
            SyncEvent::Undelivered { to, letters, message } => {
                // Kept: they go at a later sync, once both teams trust each other.
                let mut rx = cx.store.begin_read().await.map_err(handler_err)?;
                for item in rx.outbox().await.map_err(handler_err)? {
                    let sent = self.outbox_through.is_some_and(|t| item.seq <= t);
                    let for_team = postcard::from_bytes::<([u8; 16], LogEntry)>(&item.payload)
                        .is_ok_and(|(team, _)| team == to);
                    if item.kind == OUTBOX_LETTER && sent && for_team {
                        self.requeue.push(item.payload.to_vec());
                    }
                }
                drop(rx);
                let team = super::referral::partner_name(cx, &to).await;
                self.report.undelivered.push(format!(
                    "{letters} letter(s) to {team} not delivered yet: {message}; kept, to go once both teams trust each other"
                ));
            }
            SyncEvent::Rejected { seq, author, reason } => {
                tracing::warn!(seq, %reason, "a bundle from the relay was rejected");
                self.report
                    .rejected
                    .push(format!("entry {seq} by device {}: {reason}", hex::encode(&author[..8])));
            }
            SyncEvent::PullDone { cursor, waiting, rewound } => {
                let log_id =
                    self.log_id.ok_or_else(|| handler_err(Error::from_relay("no Welcome before the log")))?;
                let mut tx = cx.store.begin_write().await.map_err(handler_err)?;
                save_cursor(&mut tx, log_id, cursor).await.map_err(handler_err)?;
                if rewound {
                    super::sync_apply::forget_pushed(&mut tx).await.map_err(handler_err)?;
                    self.report.log_reset = true;
                }
                // The registry the relay served checked against the invite's anchor.
                tx.delete_setting(ANCHOR).await.map_err(handler_err)?;
                // Everything in the outbox was acknowledged before the pull's answer.
                if let Some(seq) = self.outbox_through {
                    tx.clear_outbox_through(seq).await.map_err(handler_err)?;
                }
                // Letters written while this sync pulled (an answer to a letter, a share
                // ended in turn) go in this session, not the next.
                let mut letters: BTreeMap<[u8; 16], Vec<(i64, LogEntry)>> = BTreeMap::new();
                for item in tx.outbox().await.map_err(handler_err)? {
                    if item.kind != OUTBOX_LETTER {
                        continue;
                    }
                    let (to, entry) = postcard::from_bytes::<([u8; 16], LogEntry)>(&item.payload)
                        .map_err(|e| handler_err(Error::Corrupt(format!("an outbox letter: {e}"))))?;
                    letters.entry(to).or_default().push((item.seq, entry));
                }
                for payload in std::mem::take(&mut self.requeue) {
                    tx.add_to_outbox(OUTBOX_LETTER, &payload).await.map_err(handler_err)?;
                }
                tx.commit().await.map_err(handler_err)?;
                self.report.cursor = cursor;
                match waiting {
                    Some(Waiting::Key(k)) => self.report.waiting_for_key = Some(k.epoch),
                    Some(Waiting::Author(a)) => self.report.waiting_for_author = Some(hex::encode(a)),
                    None => {}
                }
                // Changes to records shared with other teams, now that this device knows
                // of every share its team ended.
                for (to, shared) in
                    Box::pin(super::shared_record::shared_letters(cx)).await.map_err(handler_err)?.by_team
                {
                    self.report.shared_letters += shared.len() as u64;
                    letters.entry(to).or_default().extend(shared);
                }
                for (to, letters) in letters {
                    let (seqs, entries): (Vec<i64>, Vec<LogEntry>) = letters.into_iter().unzip();
                    self.shared_outbox.push((to, seqs));
                    session.deliver(to, entries);
                }
                let (entries, pending) =
                    super::sync_apply::bundles_to_push(cx, session).await.map_err(handler_err)?;
                self.state.phase = SyncPhase::Sending;
                self.state.bundles_to_push = entries.len() as u64;
                self.pending = pending;
                session.push(entries);
            }
            SyncEvent::Pushed { entries, last } => {
                self.pushed_last = self.pushed_last.max(last);
                self.state.bundles_pushed += entries as u64;
                self.report.bundles_pushed += entries as u64;
            }
            SyncEvent::Done => {
                // Recorded only now, once the relay has acknowledged every push: a
                // connection dropped before then sends the same again next time.
                let pushed = self.log_id.filter(|_| self.pushed_last > 0).map(|l| (l, self.pushed_last));
                super::sync_apply::finish_push(cx, &self.pending, pushed).await.map_err(handler_err)?;
                self.report.documents_changed = self.changed.len() as u64;
                self.state.phase = SyncPhase::Done;
            }
        }
        (self.progress)(&self.state);
        Ok(())
    }
}
