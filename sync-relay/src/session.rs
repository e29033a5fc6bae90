//! The relay's side of the protocol: one [`RelaySession`] per connection, a state machine
//! with no IO. It takes the device's bytes ([`RelaySession::receive`]), the results of the
//! storage work it asked for ([`RelaySession::handle_storage`]) and the time; it gives
//! frames, storage requests and a deadline ([`RelaySession::poll`],
//! [`RelaySession::poll_timeout`]). It never holds a team key: it checks signatures against
//! the team's registry and has sealed bytes stored.
//!
//! The registry is asked for afresh for every request, so a device revoked through another
//! connection (or another relay process) is refused at its very next request, even on a
//! connection it opened before. One request is handled at a time, in the order sent; while
//! a storage request is out, nothing else happens.

use crate::job::{AfterPersist, Job, PersistStage, Persisting};
use crate::storage::{PulledBatch, StorageError};
use hedgerow_protocol::bundle::signature_verifies;
use hedgerow_protocol::registry::{Registry, SignedStatement, StatementBody};
use hedgerow_protocol::wire::{
    BATCH_BYTES, EntryKind, FrameDecoder, LogEntry, MAX_BUNDLE, PROTOCOL_VERSION, Refusal, Reply, Request,
    WireError, decode, frame,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// How long the relay waits for a device to say something before it drops the connection,
/// so that silent connections cannot hold its places (seconds).
pub const IDLE_SECONDS: i64 = 60;

/// What the driver should do next.
#[derive(Debug)]
pub enum Output {
    Send(Vec<u8>),
    /// Do this storage work and hand the result to [`RelaySession::handle_storage`].
    Storage(StorageRequest),
    /// Nothing to do until more bytes arrive (or the deadline of `poll_timeout` passes).
    NeedInput,
    /// Send this last frame, then close the connection.
    Close(Vec<u8>),
    /// Close the connection without a word (the device went silent).
    Hangup,
}

/// Storage work the session needs, for the driver to do (`RelayState::perform`).
#[derive(Debug)]
pub enum StorageRequest {
    /// The team's registry as it stands now: the process's cached copy brought up to date
    /// with storage. Answered with `Registry`.
    Registry { team: [u8; 16] },
    /// The highest position ever given in the team's log. Answered with `Count`.
    HighWater { team: [u8; 16] },
    /// How many teams have a registry here. Answered with `Count`.
    TeamCount,
    /// Bytes the team's entries take. Answered with `Count`.
    TeamUsage { team: [u8; 16] },
    /// Keep `statement` as the team's `index`-th statement, accepted at `position`;
    /// `registry` is the registry with it applied, to remember once kept. Answered with
    /// `Done`, or `RegistryRace` if another connection took the index first.
    AppendStatement {
        team: [u8; 16],
        index: u32,
        position: u64,
        statement: SignedStatement,
        registry: Arc<Registry>,
    },
    /// Append entries in order, in one transaction. Answered with `Positions`.
    AppendEntries { team: [u8; 16], entries: Vec<LogEntry> },
    /// Entries after `after` up to about `max_bytes`, leaving out `skip_author`'s own.
    /// Answered with `Batch`.
    EntriesAfter { team: [u8; 16], after: u64, skip_author: [u8; 32], max_bytes: usize },
    /// Answered with `Done`.
    PutOffer { team: [u8; 16], invite: [u8; 32], offer: Vec<u8> },
    /// Delete every offer of the team but those of `open` invites. Answered with `Done`.
    RetainOffers { team: [u8; 16], open: Vec<[u8; 32]> },
    /// Answered with `HasOffer`.
    HasOffer { team: [u8; 16], invite: [u8; 32] },
    /// Return and delete the offer (an invite is used once). Answered with `Offer`.
    TakeOffer { team: [u8; 16], invite: [u8; 32] },
}

impl StorageRequest {
    /// What kind of work it is, for the operator's storage latency by operation.
    pub fn operation(&self) -> &'static str {
        match self {
            StorageRequest::Registry { .. } => "registry",
            StorageRequest::HighWater { .. } => "high_water",
            StorageRequest::TeamCount => "team_count",
            StorageRequest::TeamUsage { .. } => "team_usage",
            StorageRequest::AppendStatement { .. } => "append_statement",
            StorageRequest::AppendEntries { .. } => "append_entries",
            StorageRequest::EntriesAfter { .. } => "entries_after",
            StorageRequest::PutOffer { .. } => "put_offer",
            StorageRequest::RetainOffers { .. } => "retain_offers",
            StorageRequest::HasOffer { .. } => "has_offer",
            StorageRequest::TakeOffer { .. } => "take_offer",
        }
    }
}

impl StorageRequest {
    /// Whether the request changes what storage holds.
    fn writes(&self) -> bool {
        matches!(
            self,
            StorageRequest::AppendStatement { .. }
                | StorageRequest::AppendEntries { .. }
                | StorageRequest::PutOffer { .. }
                | StorageRequest::RetainOffers { .. }
                | StorageRequest::TakeOffer { .. }
        )
    }
}

/// The result of a [`StorageRequest`].
#[derive(Debug)]
pub enum StorageReply {
    Registry(Arc<Registry>),
    Count(u64),
    Done,
    RegistryRace,
    Positions { first: u64, last: u64 },
    Batch(PulledBatch),
    HasOffer(bool),
    Offer(Option<Vec<u8>>),
    Failed(StorageError),
}

/// The limits a session enforces itself (the connection limit is the driver's).
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    pub max_teams: u64,
    pub team_quota_bytes: u64,
}

/// A refusal: its code and the words the device shows.
pub(crate) struct Refuse(pub Refusal, pub String);

impl Refuse {
    fn new(code: Refusal, message: impl Into<String>) -> Self {
        Self(code, message.into())
    }
}

impl StorageReply {
    pub(crate) fn failed(self) -> Result<Self, Refuse> {
        match self {
            StorageReply::Failed(e) => {
                tracing::error!(error = %e, "relay storage failed");
                Err(Refuse::new(Refusal::Unavailable, "the relay could not reach its storage; try again"))
            }
            other => Ok(other),
        }
    }

    fn unexpected(self, wanted: &str) -> Refuse {
        tracing::error!(reply = ?self, wanted, "relay storage answered the wrong question");
        Refuse::new(Refusal::Unavailable, "the relay could not reach its storage; try again")
    }

    pub(crate) fn registry(self) -> Result<Arc<Registry>, Refuse> {
        match self.failed()? {
            StorageReply::Registry(r) => Ok(r),
            other => Err(other.unexpected("a registry")),
        }
    }

    pub(crate) fn count(self) -> Result<u64, Refuse> {
        match self.failed()? {
            StorageReply::Count(n) => Ok(n),
            other => Err(other.unexpected("a count")),
        }
    }

    pub(crate) fn done(self) -> Result<(), Refuse> {
        match self.failed()? {
            StorageReply::Done => Ok(()),
            other => Err(other.unexpected("done")),
        }
    }
}

pub struct RelaySession {
    pub(crate) peer: [u8; 32],
    pub(crate) limits: SessionLimits,
    pub(crate) log_id: [u8; 16],
    pub(crate) now: i64,
    last_heard: i64,
    decoder: FrameDecoder,
    pub(crate) team: Option<Arc<Registry>>,
    pub(crate) outgoing: VecDeque<Vec<u8>>,
    /// The storage request to hand out next, and the job waiting for its answer.
    request: Option<StorageRequest>,
    job: Option<Job>,
    /// Streaming a pull: the position scanned to.
    pub(crate) pull: Option<u64>,
    /// Bytes heard from the device so far, and where the request being handled ended.
    received: u64,
    request_end: u64,
    /// The team registry last read for this session, with how many bytes had been heard
    /// when it was asked for ([`RelaySession::fresh_registry`]).
    fresh: Option<(Arc<Registry>, u64)>,
    registry_asked: Option<([u8; 16], u64)>,
    closing: bool,
    hangup: bool,
    refused: Option<Refusal>,
    /// What this connection did, for the operator's metrics and for tests.
    pub stats: SessionStats,
}

/// What one connection did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Requests taken (each one a device's message).
    pub requests: u64,
    /// Entries stored for this device.
    pub entries_stored: u64,
    /// Pulls served to the end: one per sync.
    pub pulls_done: u64,
}

impl RelaySession {
    /// `peer` is the remote endpoint id, authenticated by the transport (iroh's TLS);
    /// `log_id` the storage's; `now` the relay's clock (Unix seconds).
    pub fn new(peer: [u8; 32], limits: SessionLimits, log_id: [u8; 16], now: i64) -> Self {
        Self {
            peer,
            limits,
            log_id,
            now,
            last_heard: now,
            decoder: FrameDecoder::default(),
            team: None,
            outgoing: VecDeque::new(),
            request: None,
            job: None,
            pull: None,
            received: 0,
            request_end: 0,
            fresh: None,
            registry_asked: None,
            closing: false,
            hangup: false,
            refused: None,
            stats: SessionStats::default(),
        }
    }

    /// A session refused before it starts (the relay is at its connection limit).
    pub fn busy() -> Vec<u8> {
        frame(&Reply::Refused {
            code: Refusal::Busy,
            message: "the relay is serving as many devices as it may; try again in a moment".into(),
        })
    }

    /// Bytes from the device, heard at `now`.
    pub fn receive(&mut self, bytes: &[u8], now: i64) {
        self.now = now;
        self.last_heard = now;
        self.received += bytes.len() as u64;
        self.decoder.push(bytes);
    }

    /// The device closed its side: a cut-off frame is worth a log line.
    pub fn input_ended(&self) -> Result<(), WireError> {
        self.decoder.finish()
    }

    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Why the session refused the device, once it has.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refused
    }

    /// When the device will have been silent too long, while the session waits for it.
    pub fn poll_timeout(&self) -> Option<i64> {
        let waiting_for_input = self.job.is_none() && self.request.is_none() && self.pull.is_none();
        (waiting_for_input && !self.closing).then_some(self.last_heard + IDLE_SECONDS)
    }

    /// The clock moved on to `now` with nothing heard.
    pub fn handle_timeout(&mut self, now: i64) {
        self.now = now;
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            tracing::warn!(peer = %hex::encode(&self.peer[..8]), "a device said nothing for a minute; dropping its connection");
            self.closing = true;
            self.hangup = true;
        }
    }

    /// The answer to the storage request last handed out.
    pub fn handle_storage(&mut self, reply: StorageReply) {
        let Some(job) = self.job.take() else {
            tracing::error!(?reply, "a storage reply no request asked for");
            return;
        };
        if let (StorageReply::Registry(r), Some((team, heard))) = (&reply, self.registry_asked.take())
            && r.team() == team
        {
            self.fresh = Some((r.clone(), heard));
        }
        if let Err(r) = self.resume(job, reply) {
            self.refuse(r);
        }
    }

    pub fn poll(&mut self) -> Output {
        loop {
            if self.hangup {
                self.hangup = false;
                return Output::Hangup;
            }
            if let Some(f) = self.outgoing.pop_front() {
                return if self.closing && self.outgoing.is_empty() {
                    Output::Close(f)
                } else {
                    Output::Send(f)
                };
            }
            if self.closing {
                return Output::NeedInput;
            }
            if let Some(request) = self.request.take() {
                return Output::Storage(request);
            }
            if self.job.is_some() {
                // Waiting for a storage reply the driver has not given yet.
                return Output::NeedInput;
            }
            if let Some(after) = self.pull {
                self.pull_batch(after);
                continue;
            }
            let payload = match self.decoder.next_frame() {
                Ok(Some(p)) => p,
                Ok(None) => return Output::NeedInput,
                Err(e) => {
                    self.refuse(Refuse::new(Refusal::Malformed, e.to_string()));
                    continue;
                }
            };
            self.request_end = self.received - self.decoder.buffered() as u64;
            match decode::<Request>(&payload) {
                Ok(request) => {
                    self.stats.requests += 1;
                    if let Err(r) = self.handle(request) {
                        self.refuse(r);
                    }
                }
                Err(e) => self.refuse(Refuse::new(Refusal::Malformed, e.to_string())),
            }
        }
    }

    /// Hands out `request`; `job` takes its answer.
    pub(crate) fn ask(&mut self, request: StorageRequest, job: Job) -> Result<(), Refuse> {
        match &request {
            StorageRequest::Registry { team } => self.registry_asked = Some((*team, self.received)),
            // What this session writes is not in a registry read before it.
            r if r.writes() => self.fresh = None,
            _ => {}
        }
        self.request = Some(request);
        self.job = Some(job);
        Ok(())
    }

    pub(crate) fn reply(&mut self, reply: &Reply) -> Result<(), Refuse> {
        self.outgoing.push_back(frame(reply));
        Ok(())
    }

    fn refuse(&mut self, Refuse(code, message): Refuse) {
        tracing::warn!(peer = %hex::encode(&self.peer[..8]), %code, %message, "relay refused a request");
        self.refused = Some(code);
        self.closing = true;
        self.outgoing.clear();
        self.request = None;
        self.job = None;
        self.pull = None;
        self.outgoing.push_back(frame(&Reply::Refused { code, message }));
    }

    pub(crate) fn team_id(&self) -> Result<[u8; 16], Refuse> {
        self.team
            .as_deref()
            .map(Registry::team)
            .ok_or_else(|| Refuse::new(Refusal::OutOfOrder, "the first message must be Hello"))
    }

    /// The team's registry as it stands now, for `job`. A read asked for after this request
    /// had been heard whole is as fresh as one asked for now (a statement kept before the
    /// request came is in it), so requests sent together (Hello, the registry, a pull) are
    /// answered from one read, unless this session wrote since.
    pub(crate) fn fresh_registry(&mut self, job: Job) -> Result<(), Refuse> {
        let team = self.team_id()?;
        match &self.fresh {
            Some((registry, heard)) if registry.team() == team && self.request_end <= *heard => {
                let registry = registry.clone();
                self.resume(job, StorageReply::Registry(registry))
            }
            _ => self.read_registry(job),
        }
    }

    /// The team's registry read again, whatever was read before.
    pub(crate) fn read_registry(&mut self, job: Job) -> Result<(), Refuse> {
        let team = self.team_id()?;
        self.ask(StorageRequest::Registry { team }, job)
    }

    /// Keeps the fresh registry, checked that this device is enrolled and not revoked.
    pub(crate) fn enrolled(&mut self, registry: Arc<Registry>) -> Result<Arc<Registry>, Refuse> {
        self.team = Some(registry.clone());
        match registry.device(&self.peer) {
            Some(d) if d.active() => Ok(registry),
            Some(_) => Err(Refuse::new(Refusal::Revoked, "this device has been revoked from the team")),
            None => Err(Refuse::new(Refusal::NotEnrolled, "this device is not enrolled in the team")),
        }
    }

    fn handle(&mut self, request: Request) -> Result<(), Refuse> {
        match request {
            Request::Hello { version, team } => {
                if self.team.is_some() {
                    return Err(Refuse::new(Refusal::OutOfOrder, "one Hello per connection"));
                }
                if version != PROTOCOL_VERSION {
                    return Err(Refuse::new(
                        Refusal::Version,
                        format!(
                            "this relay speaks protocol version {PROTOCOL_VERSION} and the device {version}: update the older of the two"
                        ),
                    ));
                }
                self.ask(StorageRequest::Registry { team }, Job::Hello)
            }
            Request::Publish { statements } => {
                self.team_id()?;
                let accepted = statements.len() as u32;
                self.publish_next(statements.into(), accepted)
            }
            Request::Push { entries } => self.fresh_registry(Job::Push { entries }),
            Request::GetRegistry { known } => self.fresh_registry(Job::GetRegistry { known }),
            Request::Pull { after, log_id } => self.fresh_registry(Job::Pull { after, log_id }),
            Request::PutOffer { invite, offer } => self.fresh_registry(Job::PutOffer { invite, offer }),
            Request::Deliver { to, entries } => self.fresh_registry(Job::Deliver { to, entries }),
            Request::ClaimInvite { join } => {
                self.team_id()?;
                if join.signer != self.peer {
                    return Err(Refuse::new(
                        Refusal::BadStatement,
                        "the join must be signed by the joining device",
                    ));
                }
                let st = join.verified().map_err(|e| Refuse::new(Refusal::BadSignature, e.to_string()))?;
                let StatementBody::Join { invite, .. } = st.body else {
                    return Err(Refuse::new(Refusal::BadStatement, "a claim carries a Join statement"));
                };
                self.fresh_registry(Job::Claim { join, invite })
            }
        }
    }

    /// The next statement of a Publish, or its reply once all are kept.
    pub(crate) fn publish_next(
        &mut self,
        mut rest: VecDeque<SignedStatement>,
        accepted: u32,
    ) -> Result<(), Refuse> {
        let Some(s) = rest.pop_front() else {
            return self.reply(&Reply::Published { accepted });
        };
        if s.signer != self.peer {
            return Err(Refuse::new(Refusal::BadStatement, "devices publish only their own statements"));
        }
        self.fresh_registry(Job::PublishChecking { statement: s, rest, accepted })
    }

    /// Keeps `statement` in the registry (reloading and applying again if another
    /// connection wrote first), then goes on with `then`.
    pub(crate) fn persist(
        &mut self,
        statement: SignedStatement,
        registry: Arc<Registry>,
        then: AfterPersist,
    ) -> Result<(), Refuse> {
        let team = registry.team();
        self.ask(
            StorageRequest::HighWater { team },
            Job::Persist(Persisting {
                statement,
                registry,
                attempt: 0,
                then,
                stage: PersistStage::HighWater,
            }),
        )
    }

    pub(crate) fn pull_batch(&mut self, after: u64) {
        // Read again between batches: a device revoked mid-pull stops getting entries.
        self.pull = None;
        if let Err(r) = self.read_registry(Job::PullBatch { after }) {
            self.refuse(r);
        }
    }

    pub(crate) fn pulled(&mut self, batch: PulledBatch) -> Result<(), Refuse> {
        if batch.entries.is_empty() {
            let cursor = batch.scanned_to;
            if let Some(high_water) = batch.high_water {
                return self.resume(Job::PullDone { cursor }, StorageReply::Count(high_water));
            }
            let team = self.team_id()?;
            return self.ask(StorageRequest::HighWater { team }, Job::PullDone { cursor });
        }
        self.pull = Some(batch.scanned_to);
        self.reply(&Reply::Entries { entries: batch.entries })
    }
}

/// What a pushed entry must be for the relay to keep it.
pub(crate) fn check_entry(team: &[u8; 16], peer: &[u8; 32], admin: bool, e: &LogEntry) -> Result<(), Refuse> {
    if e.author != *peer {
        return Err(Refuse::new(Refusal::BadSignature, "a device pushes only bundles it signed"));
    }
    if e.sealed.len() > MAX_BUNDLE {
        return Err(Refuse::new(Refusal::TooLarge, format!("a bundle of {} bytes", e.sealed.len())));
    }
    if !signature_verifies(team, e) {
        return Err(Refuse::new(Refusal::BadSignature, "the bundle's signature does not verify"));
    }
    if matches!(e.kind, EntryKind::Letter { .. }) {
        return Err(Refuse::new(Refusal::Malformed, "letters go to another team's log, by Deliver"));
    }
    if matches!(e.kind, EntryKind::TeamKey { .. }) && !admin {
        return Err(Refuse::new(Refusal::NotEnrolled, "only an admin device may hand out team keys"));
    }
    if let EntryKind::Snapshot { earlier_tags } = &e.kind
        && earlier_tags.len() > 4096
    {
        return Err(Refuse::new(Refusal::TooLarge, "a snapshot names too many earlier tags"));
    }
    Ok(())
}

/// What a letter must be for the relay to carry it from team `from` to team `to`.
pub(crate) fn check_letter(
    to: &[u8; 16],
    from: &[u8; 16],
    peer: &[u8; 32],
    e: &LogEntry,
) -> Result<(), Refuse> {
    if e.kind != (EntryKind::Letter { from: *from }) {
        return Err(Refuse::new(Refusal::Malformed, "a delivery carries letters from the sender's own team"));
    }
    if e.author != *peer {
        return Err(Refuse::new(Refusal::BadSignature, "a device delivers only letters it signed"));
    }
    if e.sealed.len() > MAX_BUNDLE {
        return Err(Refuse::new(Refusal::TooLarge, format!("a letter of {} bytes", e.sealed.len())));
    }
    if !signature_verifies(to, e) {
        return Err(Refuse::new(Refusal::BadSignature, "the letter's signature does not verify"));
    }
    Ok(())
}

/// The most a pull batch holds.
pub(crate) const PULL_BYTES: usize = BATCH_BYTES;
