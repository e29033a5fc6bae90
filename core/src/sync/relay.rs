//! The relay's side of the protocol: one [`RelaySession`] per connection. It takes bytes
//! in and gives frames out; what it keeps goes through [`RelayStorage`]. It never holds a
//! team key: it checks signatures against the team's registry and stores sealed bytes.

use super::bundle::verify_entry;
use super::registry::{Registry, SignedStatement, StatementBody};
use super::relay_store::{RelayState, RelayStorage, StorageError};
use super::wire::{
    BATCH_BYTES, EntryKind, FrameDecoder, LogEntry, MAX_BUNDLE, PROTOCOL_VERSION, Refusal, Reply, Request,
    decode, frame,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// What the transport should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Send(Vec<u8>),
    /// Nothing to send until more bytes arrive.
    NeedInput,
    /// Send this last frame, then close the connection.
    Close(Vec<u8>),
}

pub struct RelaySession<S> {
    state: Arc<RelayState<S>>,
    peer: [u8; 32],
    now: i64,
    decoder: FrameDecoder,
    team: Option<Arc<Registry>>,
    outgoing: VecDeque<Vec<u8>>,
    pull: Option<u64>,
    closing: bool,
    /// Entries stored for this peer, for logs and tests.
    pub stored: u64,
}

struct Refuse(Refusal, String);

impl From<StorageError> for Refuse {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "relay storage failed");
        Refuse(Refusal::Unavailable, "the relay could not reach its storage; try again".into())
    }
}

impl<S: RelayStorage> RelaySession<S> {
    /// `peer` is the remote endpoint id, authenticated by the transport (iroh's TLS).
    pub fn new(state: Arc<RelayState<S>>, peer: [u8; 32], now: i64) -> Self {
        Self {
            state,
            peer,
            now,
            decoder: FrameDecoder::default(),
            team: None,
            outgoing: VecDeque::new(),
            pull: None,
            closing: false,
            stored: 0,
        }
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        self.decoder.push(bytes);
    }

    /// The peer closed its side: a cut-off frame is worth a log line.
    pub fn input_ended(&self) -> Result<(), super::wire::WireError> {
        self.decoder.finish()
    }

    pub fn is_closing(&self) -> bool {
        self.closing
    }

    pub async fn step(&mut self) -> Step {
        loop {
            if self.closing {
                return Step::NeedInput;
            }
            if let Some(f) = self.outgoing.pop_front() {
                return Step::Send(f);
            }
            if let Some(after) = self.pull {
                return match self.pull_batch(after).await {
                    Ok(f) => Step::Send(f),
                    Err(r) => self.refuse(r),
                };
            }
            let payload = match self.decoder.next_frame() {
                Ok(Some(p)) => p,
                Ok(None) => return Step::NeedInput,
                Err(e) => return self.refuse(Refuse(Refusal::Malformed, e.to_string())),
            };
            let request: Request = match decode(&payload) {
                Ok(r) => r,
                Err(e) => return self.refuse(Refuse(Refusal::Malformed, e.to_string())),
            };
            if let Err(r) = self.handle(request).await {
                return self.refuse(r);
            }
        }
    }

    fn refuse(&mut self, Refuse(code, message): Refuse) -> Step {
        tracing::warn!(peer = %hex::encode(&self.peer[..8]), %code, %message, "relay refused a request");
        self.closing = true;
        self.outgoing.clear();
        self.pull = None;
        Step::Close(frame(&Reply::Refused { code, message }))
    }

    fn registry(&self) -> Result<&Registry, Refuse> {
        self.team
            .as_deref()
            .ok_or_else(|| Refuse(Refusal::Malformed, "the first message must be Hello".into()))
    }

    fn enrolled(&self) -> Result<&Registry, Refuse> {
        let r = self.registry()?;
        match r.device(&self.peer) {
            Some(d) if d.active() => Ok(r),
            Some(_) => Err(Refuse(Refusal::Revoked, "this device has been revoked from the team".into())),
            None => Err(Refuse(Refusal::NotEnrolled, "this device is not enrolled in the team".into())),
        }
    }

    async fn persist(&mut self, signed: SignedStatement) -> Result<(), Refuse> {
        let team = self.registry()?.team();
        let mut registry = self.state.registry(team).await?;
        Arc::make_mut(&mut registry)
            .apply(signed.clone())
            .map_err(|e| Refuse(Refusal::BadStatement, e.to_string()))?;
        let position = registry.statements().len() as u32 - 1;
        match self.state.storage().append_statement(team, position, &signed).await {
            Ok(()) => {}
            Err(StorageError::RegistryRace) => {
                // Another connection wrote first: reload and apply on top of theirs.
                let mut fresh = self.state.registry(team).await?;
                Arc::make_mut(&mut fresh)
                    .apply(signed.clone())
                    .map_err(|e| Refuse(Refusal::BadStatement, e.to_string()))?;
                let position = fresh.statements().len() as u32 - 1;
                self.state.storage().append_statement(team, position, &signed).await?;
                registry = fresh;
            }
            Err(e) => return Err(e.into()),
        }
        self.state.remember(registry.clone());
        self.team = Some(registry);
        Ok(())
    }

    async fn handle(&mut self, request: Request) -> Result<(), Refuse> {
        match request {
            Request::Hello { version, team } => {
                if version != PROTOCOL_VERSION {
                    return Err(Refuse(
                        Refusal::Version,
                        format!("this relay speaks version {PROTOCOL_VERSION}"),
                    ));
                }
                let registry = self.state.registry(team).await?;
                if registry.device(&self.peer).is_some_and(|d| !d.active()) {
                    self.team = Some(registry);
                    return Err(Refuse(
                        Refusal::Revoked,
                        "this device has been revoked from the team".into(),
                    ));
                }
                let enrolled = registry.is_active(&self.peer);
                self.team = Some(registry);
                self.outgoing.push_back(frame(&Reply::Welcome { version: PROTOCOL_VERSION, enrolled }));
            }
            Request::Publish { statements } => {
                let n = statements.len() as u32;
                for s in statements {
                    if s.signer != self.peer {
                        return Err(Refuse(
                            Refusal::BadStatement,
                            "devices publish only their own statements".into(),
                        ));
                    }
                    let is_charter =
                        matches!(s.verified().map(|st| st.body), Ok(StatementBody::Charter { .. }));
                    if !is_charter || self.registry()?.has_charter() {
                        self.enrolled()?;
                    }
                    self.persist(s).await?;
                }
                self.outgoing.push_back(frame(&Reply::Published { accepted: n }));
            }
            Request::Push { entries } => {
                let registry = self.enrolled()?;
                let admin = registry.device(&self.peer).is_some_and(|d| d.admin);
                let team = registry.team();
                for e in &entries {
                    check_entry(&team, registry, &self.peer, admin, e)?;
                }
                let (first, last) = if entries.is_empty() {
                    (0, 0)
                } else {
                    self.state.storage().append_entries(team, &entries).await?
                };
                self.stored += entries.len() as u64;
                self.outgoing.push_back(frame(&Reply::Pushed { first, last }));
            }
            Request::GetRegistry { known } => {
                let registry = self.enrolled()?;
                let from = (known as usize).min(registry.statements().len());
                let statements = registry.statements()[from..].to_vec();
                self.outgoing.push_back(frame(&Reply::Registry { from: from as u32, statements }));
            }
            Request::Pull { after } => {
                self.enrolled()?;
                self.pull = Some(after);
            }
            Request::PutOffer { tag, offer } => {
                let registry = self.enrolled()?;
                if !registry.device(&self.peer).is_some_and(|d| d.admin) {
                    return Err(Refuse(
                        Refusal::NotEnrolled,
                        "only an admin device may leave an invite".into(),
                    ));
                }
                if !registry.invite_open(&tag, self.now) {
                    return Err(Refuse(Refusal::InviteUnknown, "publish the invite before its offer".into()));
                }
                if offer.len() > MAX_BUNDLE {
                    return Err(Refuse(Refusal::TooLarge, format!("the offer is {} bytes", offer.len())));
                }
                self.state.storage().put_offer(registry.team(), tag, &offer).await?;
                self.outgoing.push_back(frame(&Reply::OfferStored));
            }
            Request::ClaimInvite { join } => {
                let team = self.registry()?.team();
                if join.signer != self.peer {
                    return Err(Refuse(
                        Refusal::BadStatement,
                        "the join must be signed by the joining device".into(),
                    ));
                }
                let st = join.verified().map_err(|e| Refuse(Refusal::BadSignature, e.to_string()))?;
                let StatementBody::Join { tag, .. } = st.body else {
                    return Err(Refuse(Refusal::BadStatement, "a claim carries a Join statement".into()));
                };
                if !self.registry()?.invite_open(&tag, self.now) {
                    return Err(Refuse(
                        Refusal::InviteUnknown,
                        "the invite is unknown, used or expired".into(),
                    ));
                }
                let Some(offer) = self.state.storage().take_offer(team, tag).await? else {
                    return Err(Refuse(Refusal::InviteUnknown, "the invite has no offer waiting".into()));
                };
                self.persist(join).await?;
                self.outgoing.push_back(frame(&Reply::Offer { offer }));
            }
        }
        Ok(())
    }

    async fn pull_batch(&mut self, after: u64) -> Result<Vec<u8>, Refuse> {
        let team = self.enrolled()?.team();
        let batch = self.state.storage().entries_after(team, after, self.peer, BATCH_BYTES).await?;
        if batch.entries.is_empty() {
            self.pull = None;
            return Ok(frame(&Reply::PullDone { cursor: batch.scanned_to }));
        }
        self.pull = Some(batch.scanned_to);
        Ok(frame(&Reply::Entries { entries: batch.entries }))
    }
}

fn check_entry(
    team: &[u8; 16],
    registry: &Registry,
    peer: &[u8; 32],
    admin: bool,
    e: &LogEntry,
) -> Result<(), Refuse> {
    if e.author != *peer {
        return Err(Refuse(Refusal::BadSignature, "a device pushes only bundles it signed".into()));
    }
    if e.sealed.len() > MAX_BUNDLE {
        return Err(Refuse(Refusal::TooLarge, format!("a bundle of {} bytes", e.sealed.len())));
    }
    verify_entry(team, registry, e).map_err(|err| Refuse(Refusal::BadSignature, err.to_string()))?;
    if matches!(e.kind, EntryKind::TeamKey { .. }) && !admin {
        return Err(Refuse(Refusal::NotEnrolled, "only an admin device may hand out team keys".into()));
    }
    Ok(())
}
