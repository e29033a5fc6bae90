//! Direct sync with another device of the team (a care home, a team base): the store side
//! of [`PeerSession`]. What arrives is stored like any change, so it goes on to the relay
//! at this device's next relay sync, and what came from the relay goes on to peers.

use super::Workspace;
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
    ws: &'w Workspace,
    peer: [u8; 32],
    docs: BTreeMap<[u8; 16], (DocumentKind, AutoCommit, State, bool)>,
    /// Each document's signed actor heads, sent with its messages.
    heads: BTreeMap<[u8; 16], Vec<crate::sync::heads::ActorHead>>,
    registry: Option<Registry>,
    /// Documents whose changes were refused this session: no more is exchanged on them.
    refused: std::collections::BTreeSet<[u8; 16]>,
    pub(crate) report: PeerReport,
}

impl Workspace {
    /// Whether `peer` (an endpoint id) is an enrolled, unrevoked device of this team, by the
    /// registry this device last confirmed with the relay.
    pub async fn is_team_device(&self, peer: &[u8; 32]) -> Result<bool> {
        Ok(self.confirmed_team_registry().await?.is_active(peer) && *peer != self.device_key.public_key())
    }

    /// The registry this device last confirmed with the relay, checked.
    async fn confirmed_team_registry(&self) -> Result<Registry> {
        let mut tx = self.store.begin_read().await?;
        let statements = self.confirmed_registry(&mut tx).await?;
        drop(tx);
        Registry::replay(self.me.team_id.0, &statements)
            .map_err(|e| Error::Corrupt(format!("the team registry does not check: {e}")))
    }

    /// A direct-sync session with `peer` over every document's heads, summarised against
    /// what the two agreed when they last met.
    pub async fn peer_session(&self, peer: &[u8; 32]) -> Result<PeerSession> {
        let mut tx = self.store.begin_write().await?;
        let entries = summary_entries(&mut tx).await?;
        let agreed = tx.peer_agreement(peer).await?;
        tx.commit().await?;
        Ok(PeerSession::new(self.me.team_id.0, entries, agreed.as_ref()))
    }

    /// After a direct sync that finished: this device's summary now, as what it agreed
    /// with `peer`. The other end keeps its own; only if both are the same do they
    /// summarise against it next time.
    async fn agree_with_peer(&self, peer: &[u8; 32]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let entries = summary_entries(&mut tx).await?;
        tx.put_peer_agreement(peer, &Agreement::of(&entries)).await?;
        tx.commit().await
    }

    pub(crate) fn peer_driver(&self, peer: [u8; 32]) -> PeerDriver<'_> {
        PeerDriver {
            ws: self,
            peer,
            docs: BTreeMap::new(),
            heads: BTreeMap::new(),
            registry: None,
            refused: Default::default(),
            report: PeerReport { peer: hex::encode(peer), ..Default::default() },
        }
    }

    pub(crate) async fn audit_peer_sync(&self, report: &PeerReport, outcome: &Result<()>) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let detail = match outcome {
            Ok(()) => format!(
                "synced directly with device {}: {} documents differed, {} changed here",
                &report.peer[..16],
                report.documents_synced,
                report.documents_changed
            ),
            Err(e) => format!("direct sync with device {} failed: {e}", &report.peer[..16]),
        };
        self.audit(&mut tx, AuditAction::Sync, None, detail).await?;
        for why in &report.left_out {
            self.audit_flagged(
                &mut tx,
                AuditAction::Sync,
                None,
                format!("refused in a direct sync: {why}"),
                true,
            )
            .await?;
        }
        let path = super::SyncPath::Device { public_key: report.peer.clone() };
        self.record_sync_attempt(&mut tx, path, outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()))
            .await?;
        tx.commit().await
    }
}

impl PeerDriver<'_> {
    pub(crate) async fn on_event(&mut self, event: PeerEvent, session: &mut PeerSession) -> Result<()> {
        match event {
            PeerEvent::Differing { documents } => {
                self.report.documents_synced = documents.len() as u64;
                let mut tx = self.ws.store.begin_write().await?;
                let statements = self.ws.confirmed_registry(&mut tx).await?;
                self.registry = Some(
                    Registry::replay(self.ws.me.team_id.0, &statements)
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
                let mut tx = self.ws.store.begin_write().await?;
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
        let mut tx = self.ws.store.begin_write().await?;
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
            let team = self.ws.me.team_id.0;
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
            let (patient, open, name) = self.ws.refresh_after_merge(&mut tx, id, *kind, doc).await?;
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

/// How long a direct sync waits for the other device before giving up on it.
pub const PEER_STALL: std::time::Duration = std::time::Duration::from_secs(15);

fn peer_err(e: impl std::fmt::Display) -> Error {
    Error::Peer(e.to_string())
}

/// What the other device sent breaks the protocol: refused, naming the device. A device in
/// another team, or one that ended the sync, is not a fault in what it sent.
fn peer_session_err(peer: &[u8; 32], e: crate::sync::peer::PeerError) -> Error {
    use crate::sync::peer::PeerError;
    match e {
        PeerError::Wire(_) | PeerError::Protocol(_) => Error::from_device(peer, e.to_string()),
        PeerError::WrongTeam | PeerError::Goodbye(_) => peer_err(e),
    }
}

impl Workspace {
    /// Runs a direct sync with an authenticated team device over a byte stream.
    pub async fn sync_with_peer_stream(
        &self,
        peer: [u8; 32],
        mut r: impl tokio::io::AsyncRead + Unpin,
        mut w: impl tokio::io::AsyncWrite + Unpin,
    ) -> Result<PeerReport> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut session = self.peer_session(&peer).await?;
        let mut driver = self.peer_driver(peer);
        let outcome: Result<()> = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                while let Some(f) = session.poll_transmit() {
                    w.write_all(&f).await.map_err(peer_err)?;
                }
                w.flush().await.map_err(peer_err)?;
                while let Some(ev) = session.poll_event() {
                    // Boxed: applying a bundle is a deep future; on the stack it overflows
                    // a 2 MiB thread in debug builds.
                    Box::pin(driver.on_event(ev, &mut session)).await?;
                }
                if session.poll_transmit_pending() {
                    continue;
                }
                if session.is_done() {
                    crate::sync::transport::close_both_ways(&mut r, &mut w).await;
                    return Ok(());
                }
                let n = tokio::time::timeout(PEER_STALL, r.read(&mut buf))
                    .await
                    .map_err(|_| peer_err("the other device stopped answering"))?
                    .map_err(peer_err)?;
                if n == 0 {
                    return Err(peer_err("the other device closed the connection before the sync finished"));
                }
                session.handle_input(&buf[..n]).map_err(|e| peer_session_err(&peer, e))?;
            }
        }
        .await;
        driver.report.bytes_sent = session.bytes_sent as u64;
        driver.report.bytes_received = session.bytes_received as u64;
        if outcome.is_ok() {
            self.agree_with_peer(&peer).await?;
        }
        self.audit_peer_sync(&driver.report, &outcome).await?;
        outcome?;
        Ok(driver.report)
    }

    /// Dials a team device by address and syncs directly with it.
    pub async fn sync_with_peer(&self, peer: &crate::sync::transport::RelayAddress) -> Result<PeerReport> {
        let id = *peer.id.as_bytes();
        if !self.is_team_device(&id).await? {
            return Err(Error::Peer(
                "that device is not an enrolled, unrevoked device of your team (sync with the relay to learn of new devices)".into(),
            ));
        }
        crate::sync::transport::dial(
            self.device_key.seed(),
            peer,
            crate::sync::peer::PEER_ALPN,
            async |recv, send| self.sync_with_peer_stream(id, recv, send).await,
        )
        .await
    }

    /// Listens for team devices and syncs with each that connects, one at a time, until
    /// `stop` completes. `ready` gets the address to give the other devices.
    pub async fn listen(
        &self,
        bind: std::net::SocketAddr,
        ready: impl FnOnce(&crate::sync::transport::RelayAddress),
        mut on_sync: impl FnMut(Result<PeerReport>),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let ep = crate::sync::transport::endpoint(
            self.device_key.seed(),
            bind,
            vec![crate::sync::peer::PEER_ALPN.to_vec()],
        )
        .await?;
        // Found by team devices on the same network; a network that forbids multicast
        // still allows dialling by address.
        if let Err(e) = advertise(&ep) {
            tracing::warn!(error = %e, "not advertising on the local network");
        }
        ready(&crate::sync::transport::address_of(&ep));
        tokio::pin!(stop);
        loop {
            let incoming = tokio::select! {
                _ = &mut stop => break,
                i = ep.accept() => match i { Some(i) => i, None => break },
            };
            let conn = match incoming.await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "a device failed the handshake");
                    continue;
                }
            };
            let peer = *conn.remote_id().as_bytes();
            if !self.is_team_device(&peer).await? {
                tracing::warn!(peer = %hex::encode(&peer[..8]), "refused a device that is not an active device of this team");
                conn.close(1u32.into(), b"not a device of this team");
                on_sync(Err(Error::Peer(format!(
                    "refused device {}: not an active device of this team",
                    hex::encode(&peer[..8])
                ))));
                continue;
            }
            let result = async {
                let (send, recv) = tokio::time::timeout(PEER_STALL, conn.accept_bi())
                    .await
                    .map_err(|_| peer_err("the other device connected but never started the sync"))?
                    .map_err(peer_err)?;
                self.sync_with_peer_stream(peer, recv, send).await
            }
            .await;
            if let Err(e) = &result {
                tracing::warn!(peer = %hex::encode(&peer[..8]), error = %e, "a direct sync failed");
            }
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), conn.closed()).await;
            on_sync(result);
        }
        ep.close().await;
        Ok(())
    }
}

/// The mDNS service name team devices advertise under.
const MDNS_SERVICE: &str = "hedgerow";

impl Workspace {
    /// Team devices listening on the local network, found by mDNS within `wait`. Needs no
    /// internet, DNS or relay.
    pub async fn nearby_devices(
        &self,
        wait: std::time::Duration,
    ) -> Result<Vec<crate::sync::transport::RelayAddress>> {
        use n0_future::StreamExt;
        let ep = crate::sync::transport::endpoint(
            self.device_key.seed(),
            std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            vec![],
        )
        .await?;
        let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
            .service_name(MDNS_SERVICE)
            .advertise(false)
            .build(ep.id())
            .map_err(|e| Error::Peer(format!("local network discovery could not start: {e}")))?;
        let mut events = mdns.subscribe().await;
        // Checked once: discovery repeats itself for every device it hears.
        let registry = self.confirmed_team_registry().await?;
        let me = self.device_key.public_key();
        let mut found: BTreeMap<[u8; 32], crate::sync::transport::RelayAddress> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.next()).await {
            if let iroh_mdns_address_lookup::DiscoveryEvent::Discovered { endpoint_info, .. } = event {
                let addr = endpoint_info.to_endpoint_addr();
                let id = *addr.id.as_bytes();
                let addrs: Vec<std::net::SocketAddr> = addr.ip_addrs().copied().collect();
                if !addrs.is_empty() && id != me && registry.is_active(&id) {
                    found.insert(id, crate::sync::transport::RelayAddress { id: addr.id, addrs });
                }
            }
        }
        ep.close().await;
        Ok(found.into_values().collect())
    }
}

/// Advertises a listening endpoint on the local network.
pub(crate) fn advertise(ep: &iroh::Endpoint) -> Result<()> {
    let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
        .service_name(MDNS_SERVICE)
        .build(ep.id())
        .map_err(|e| Error::Peer(format!("local network discovery could not start: {e}")))?;
    ep.address_lookup().map_err(|e| Error::Peer(e.to_string()))?.add(mdns);
    Ok(())
}
