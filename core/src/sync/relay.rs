//! The relay's side of the protocol: one [`RelaySession`] per connection. It takes bytes
//! in and gives frames out; what it keeps goes through [`RelayStorage`]. It never holds a
//! team key: it checks signatures against the team's registry and stores sealed bytes.
//!
//! The registry is read afresh for every request, so a device revoked through another
//! connection (or another relay process) is refused at its very next request, even on a
//! connection it opened before.

use super::bundle::signature_verifies;
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

impl From<super::relay_store::RefuseReason> for Refuse {
    fn from(r: super::relay_store::RefuseReason) -> Self {
        Refuse(r.0, r.1)
    }
}

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

    /// A session refused before it starts (the relay is at its connection limit).
    pub fn busy() -> Vec<u8> {
        frame(&Reply::Refused {
            code: Refusal::Busy,
            message: "the relay is serving as many devices as it may; try again in a moment".into(),
        })
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
        self.state.count_refusal(code);
        self.closing = true;
        self.outgoing.clear();
        self.pull = None;
        Step::Close(frame(&Reply::Refused { code, message }))
    }

    fn team_id(&self) -> Result<[u8; 16], Refuse> {
        self.team
            .as_deref()
            .map(Registry::team)
            .ok_or_else(|| Refuse(Refusal::OutOfOrder, "the first message must be Hello".into()))
    }

    /// The team's registry as it stands now (not as it stood at Hello).
    async fn fresh_registry(&mut self) -> Result<Arc<Registry>, Refuse> {
        let team = self.team_id()?;
        let registry = self.state.registry(team).await?;
        self.team = Some(registry.clone());
        Ok(registry)
    }

    /// The registry, once this device is checked to be enrolled and not revoked now.
    async fn enrolled(&mut self) -> Result<Arc<Registry>, Refuse> {
        let r = self.fresh_registry().await?;
        match r.device(&self.peer) {
            Some(d) if d.active() => Ok(r),
            Some(_) => Err(Refuse(Refusal::Revoked, "this device has been revoked from the team".into())),
            None => Err(Refuse(Refusal::NotEnrolled, "this device is not enrolled in the team".into())),
        }
    }

    async fn persist(&mut self, signed: SignedStatement) -> Result<(), Refuse> {
        let team = self.team_id()?;
        for _attempt in 0..2 {
            let mut registry = self.state.registry(team).await?;
            let position = self.state.storage().high_water().await?.max(registry.position());
            Arc::make_mut(&mut registry)
                .apply(signed.clone(), position)
                .map_err(|e| Refuse(Refusal::BadStatement, e.to_string()))?;
            let index = registry.statements().len() as u32 - 1;
            match self.state.storage().append_statement(team, index, position, &signed).await {
                Ok(()) => {
                    self.state.remember(registry.clone());
                    self.team = Some(registry);
                    return Ok(());
                }
                // Another connection wrote first: reload and apply on top of theirs.
                Err(StorageError::RegistryRace) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Refuse(Refusal::Unavailable, "the registry is changing under heavy load; try again".into()))
    }

    async fn handle(&mut self, request: Request) -> Result<(), Refuse> {
        match request {
            Request::Hello { version, team } => {
                if self.team.is_some() {
                    return Err(Refuse(Refusal::OutOfOrder, "one Hello per connection".into()));
                }
                if version != PROTOCOL_VERSION {
                    return Err(Refuse(
                        Refusal::Version,
                        format!(
                            "this relay speaks protocol version {PROTOCOL_VERSION} and the device {version}: update the older of the two"
                        ),
                    ));
                }
                let registry = self.state.registry(team).await?;
                self.team = Some(registry.clone());
                if registry.device(&self.peer).is_some_and(|d| !d.active()) {
                    return Err(Refuse(
                        Refusal::Revoked,
                        "this device has been revoked from the team".into(),
                    ));
                }
                let enrolled = registry.is_active(&self.peer);
                let log_id = self.state.storage().log_id().await?;
                self.outgoing.push_back(frame(&Reply::Welcome {
                    version: PROTOCOL_VERSION,
                    enrolled,
                    log_id,
                }));
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
                    let body = s.verified().map(|st| st.body);
                    let registry = self.fresh_registry().await?;
                    // Sent again (a sync cut off before the device heard it was kept): kept once.
                    if registry.statements().iter().any(|held| held.statement == s) {
                        continue;
                    }
                    match &body {
                        Ok(StatementBody::Charter { .. }) if !registry.has_charter() => {
                            self.state.may_found_team(registry.team()).await?;
                        }
                        // A join by publish is held to the relay's clock, as a claim is.
                        Ok(StatementBody::Join { invite, .. }) => {
                            if !registry.invite_open(invite, self.now) {
                                return Err(Refuse(
                                    Refusal::InviteUnknown,
                                    "the invite is unknown, used or expired".into(),
                                ));
                            }
                        }
                        _ => {
                            self.enrolled().await?;
                        }
                    }
                    self.persist(s).await?;
                }
                self.outgoing.push_back(frame(&Reply::Published { accepted: n }));
            }
            Request::Push { entries } => {
                let registry = self.enrolled().await?;
                let admin = registry.device(&self.peer).is_some_and(|d| d.admin);
                let team = registry.team();
                let mut bytes = 0u64;
                for e in &entries {
                    check_entry(&team, &self.peer, admin, e)?;
                    bytes += e.sealed.len() as u64;
                }
                self.state.within_quota(team, bytes).await?;
                let (first, last) = if entries.is_empty() {
                    (0, 0)
                } else {
                    self.state.storage().append_entries(team, &entries).await?
                };
                self.stored += entries.len() as u64;
                self.outgoing.push_back(frame(&Reply::Pushed { first, last }));
            }
            Request::GetRegistry { known } => {
                let registry = self.enrolled().await?;
                let from = (known as usize).min(registry.statements().len());
                let statements = registry.statements()[from..].to_vec();
                self.outgoing.push_back(frame(&Reply::Registry { from: from as u32, statements }));
            }
            Request::Pull { after, log_id } => {
                self.enrolled().await?;
                // A cursor into another log (this relay's storage replaced or restored)
                // means nothing here: serve from the start.
                let mine = self.state.storage().log_id().await?;
                self.pull = Some(if log_id == Some(mine) { after } else { 0 });
            }
            Request::PutOffer { invite, offer } => {
                let registry = self.enrolled().await?;
                if !registry.device(&self.peer).is_some_and(|d| d.admin) {
                    return Err(Refuse(
                        Refusal::NotEnrolled,
                        "only an admin device may leave an invite".into(),
                    ));
                }
                if !registry.invite_open(&invite, self.now) {
                    return Err(Refuse(Refusal::InviteUnknown, "publish the invite before its offer".into()));
                }
                if offer.len() > MAX_BUNDLE {
                    return Err(Refuse(Refusal::TooLarge, format!("the offer is {} bytes", offer.len())));
                }
                // Offers of invites that are used or expired are dropped as this one comes.
                let open = registry.open_invites(self.now);
                self.state.storage().retain_offers(registry.team(), &open).await?;
                self.state.storage().put_offer(registry.team(), invite, &offer).await?;
                self.outgoing.push_back(frame(&Reply::OfferStored));
            }
            Request::ClaimInvite { join } => {
                let team = self.team_id()?;
                if join.signer != self.peer {
                    return Err(Refuse(
                        Refusal::BadStatement,
                        "the join must be signed by the joining device".into(),
                    ));
                }
                let st = join.verified().map_err(|e| Refuse(Refusal::BadSignature, e.to_string()))?;
                let StatementBody::Join { invite, .. } = st.body else {
                    return Err(Refuse(Refusal::BadStatement, "a claim carries a Join statement".into()));
                };
                let registry = self.fresh_registry().await?;
                if !registry.invite_open(&invite, self.now) {
                    return Err(Refuse(
                        Refusal::InviteUnknown,
                        "the invite is unknown, used or expired".into(),
                    ));
                }
                if !self.state.storage().has_offer(team, invite).await? {
                    return Err(Refuse(Refusal::InviteUnknown, "the invite has no offer waiting".into()));
                }
                // The join is checked (the invite key's proof) and kept before the offer is
                // handed out, so no one without the code can use up the invite.
                self.persist(join).await?;
                let Some(offer) = self.state.storage().take_offer(team, invite).await? else {
                    return Err(Refuse(Refusal::InviteUnknown, "the invite has no offer waiting".into()));
                };
                self.outgoing.push_back(frame(&Reply::Offer { offer }));
            }
        }
        Ok(())
    }

    async fn pull_batch(&mut self, after: u64) -> Result<Vec<u8>, Refuse> {
        // Checked between batches too: a device revoked mid-pull stops getting entries.
        let team = self.enrolled().await?.team();
        let batch = self.state.storage().entries_after(team, after, self.peer, BATCH_BYTES).await?;
        if batch.entries.is_empty() {
            self.pull = None;
            let high_water = self.state.storage().high_water().await?;
            return Ok(frame(&Reply::PullDone { cursor: batch.scanned_to, high_water }));
        }
        self.pull = Some(batch.scanned_to);
        Ok(frame(&Reply::Entries { entries: batch.entries }))
    }
}

fn check_entry(team: &[u8; 16], peer: &[u8; 32], admin: bool, e: &LogEntry) -> Result<(), Refuse> {
    if e.author != *peer {
        return Err(Refuse(Refusal::BadSignature, "a device pushes only bundles it signed".into()));
    }
    if e.sealed.len() > MAX_BUNDLE {
        return Err(Refuse(Refusal::TooLarge, format!("a bundle of {} bytes", e.sealed.len())));
    }
    if !signature_verifies(team, e) {
        return Err(Refuse(Refusal::BadSignature, "the bundle's signature does not verify".into()));
    }
    if matches!(e.kind, EntryKind::TeamKey { .. }) && !admin {
        return Err(Refuse(Refusal::NotEnrolled, "only an admin device may hand out team keys".into()));
    }
    if let EntryKind::Snapshot { earlier_tags } = &e.kind
        && earlier_tags.len() > 4096
    {
        return Err(Refuse(Refusal::TooLarge, "a snapshot names too many earlier tags".into()));
    }
    Ok(())
}
