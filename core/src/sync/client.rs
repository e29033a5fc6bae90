//! A device's side of a relay sync, sans-IO. The driver writes what
//! [`ClientSession::poll_transmit`] gives, feeds what it reads to
//! [`ClientSession::handle_input`], and acts on [`ClientSession::poll_event`].
//!
//! Requests are pipelined: Hello, Publish, offers, GetRegistry and Pull go in one flight,
//! so a sync where nothing changed is one round trip. Local changes are sealed and pushed
//! after the pull, with the newest team key and registry the pull brought.
//!
//! Received entries are opened lazily, a bounded amount at a time, as the driver asks for
//! events: however many compressed bundles a batch holds, no more than
//! [`INFLATE_BUDGET`] bytes of their bodies are in memory at once.

use super::bundle::{BundleBody, BundleError, open_bundle, open_team_key_entry};
use super::keys::{KeyId, Keyring};
use super::registry::{PositionedStatement, Registry, SignedStatement};
use super::wire::{
    BATCH_BYTES, EntryKind, FrameDecoder, LogEntry, PROTOCOL_VERSION, Refusal, Reply, Request, WireError,
    decode, frame,
};
use crate::crypto::DeviceKey;
use std::collections::VecDeque;

/// How many bytes of inflated bundle bodies one batch of events may hold.
pub const INFLATE_BUDGET: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the relay refused: {code} ({message})")]
    Refused { code: Refusal, message: String },
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the relay broke the protocol: {0}")]
    Protocol(String),
    #[error("the relay sent a registry that does not check: {0}")]
    Registry(String),
}

/// What a device that has just joined must find at the start of the team's registry: the
/// charter and the invite its admin issued (from the sealed offer).
#[derive(Clone, Debug)]
pub struct Anchor {
    pub charter: [u8; 32],
    pub invite: SignedStatement,
}

/// What a session starts from.
pub struct SessionPlan {
    pub team: [u8; 16],
    /// The log position this device has applied up to, in the log named `log_id`.
    pub cursor: u64,
    /// The highest position the relay acknowledged for this device's own pushes in that
    /// log: a log whose end is below it went back (restored from a backup).
    pub pushed_through: u64,
    /// The relay log the cursor belongs to; `None` before the first sync.
    pub log_id: Option<[u8; 16]>,
    /// The registry statements this device already holds and trusts.
    pub registry: Vec<PositionedStatement>,
    /// Set until the first registry from the relay has been checked against it.
    pub anchor: Option<Anchor>,
    /// Statements this device made that the relay has not acknowledged.
    pub publish: Vec<SignedStatement>,
    /// Enrolment offers to leave for invites: (invite key, sealed offer).
    pub offers: Vec<([u8; 32], Vec<u8>)>,
    /// Letters for partner teams' logs: (team, sealed letters).
    pub letters: Vec<([u8; 16], Vec<LogEntry>)>,
}

/// One bundle as received and opened.
#[derive(Debug)]
pub struct Received {
    pub seq: u64,
    pub body: BundleBody,
    pub author: [u8; 32],
    pub snapshot: bool,
}

/// Why the cursor stopped before an entry, so that nothing is skipped for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// This device lacks the team key the entry was sealed with.
    Key(KeyId),
    /// The entry's author is not in the registry even after fetching it again.
    Author([u8; 32]),
}

#[derive(Debug)]
pub enum SyncEvent {
    Welcome {
        enrolled: bool,
        log_id: [u8; 16],
        /// The relay's log is not the one this device's cursor belongs to: everything is
        /// pulled and pushed again.
        new_log: bool,
    },
    Published {
        accepted: u32,
    },
    /// The registry grew; the new statements (already checked) are in it.
    Registry {
        statements: Vec<PositionedStatement>,
    },
    /// New team keys for this device.
    TeamKeys {
        added: Vec<KeyId>,
    },
    /// A batch of bundles to apply; once applied, the device has everything up to `cursor`.
    Received {
        bundles: Vec<Received>,
        cursor: u64,
        bytes: usize,
    },
    /// A run of another device's audit entries, to keep for the team's review. It comes
    /// before the `Received` whose cursor covers it.
    Audit {
        seq: u64,
        author: [u8; 32],
        entries: Vec<crate::store::ChainedEntry>,
    },
    /// A letter from a partner team (a referral, or the answer to one), opened and checked:
    /// its author is an active device of the team's registry it carries, under the charter
    /// this team's registry names for that partner. It comes before the `Received` whose
    /// cursor covers it.
    Letter {
        seq: u64,
        from: [u8; 16],
        author: [u8; 32],
        /// The sending team's registry, as the letter carried it.
        registry: Vec<PositionedStatement>,
        content: zeroize::Zeroizing<Vec<u8>>,
    },
    /// The relay took letters for a partner team's log.
    Delivered {
        to: [u8; 16],
        letters: usize,
    },
    /// The relay did not carry letters for team `to`: the teams do not trust each other.
    Undelivered {
        to: [u8; 16],
        letters: usize,
        message: String,
    },
    /// An entry was left out: it failed its checks (its author is named, for review).
    Rejected {
        seq: u64,
        author: [u8; 32],
        reason: BundleError,
    },
    /// The pull is over. If the cursor stopped before an entry, `waiting` says why.
    PullDone {
        cursor: u64,
        waiting: Option<Waiting>,
        /// The relay's log went back below this device's cursor (restored from a backup):
        /// the device pulled from the start and must push everything again.
        rewound: bool,
    },
    Pushed {
        entries: usize,
        last: u64,
    },
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Welcome,
    Published,
    OfferStored,
    Registry,
    Pull,
    Pushed(usize),
    Delivered([u8; 16], usize),
}

pub struct ClientSession {
    me: DeviceKey,
    team: [u8; 16],
    keyring: Keyring,
    registry: Registry,
    anchor: Option<Anchor>,
    start_cursor: u64,
    log_id: Option<[u8; 16]>,
    cursor: u64,
    waiting: Option<Waiting>,
    /// Entries received and not yet opened.
    pending: VecDeque<(u64, LogEntry)>,
    pending_bytes: usize,
    /// The pull's end, held until every pending entry has been opened.
    pull_end: Option<(u64, u64)>,
    /// An entry by an author unknown to the registry was met: fetch the registry once more.
    unknown_author: Option<(u64, [u8; 32])>,
    refreshed: bool,
    rewound: bool,
    decoder: FrameDecoder,
    transmit: VecDeque<Vec<u8>>,
    expect: VecDeque<Expect>,
    events: VecDeque<SyncEvent>,
    pull_done: bool,
    push_decided: bool,
    failed: bool,
    /// Payload bytes sent and received, for reports and benchmarks.
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl ClientSession {
    pub fn new(me: DeviceKey, keyring: Keyring, plan: SessionPlan) -> Result<Self, SyncError> {
        let registry =
            Registry::replay(plan.team, &plan.registry).map_err(|e| SyncError::Registry(e.to_string()))?;
        let mut s = Self {
            me,
            team: plan.team,
            keyring,
            registry,
            anchor: plan.anchor,
            start_cursor: plan.cursor.max(plan.pushed_through),
            log_id: plan.log_id,
            cursor: plan.cursor,
            waiting: None,
            pending: VecDeque::new(),
            pending_bytes: 0,
            pull_end: None,
            unknown_author: None,
            refreshed: false,
            rewound: false,
            decoder: FrameDecoder::default(),
            transmit: VecDeque::new(),
            expect: VecDeque::new(),
            events: VecDeque::new(),
            pull_done: false,
            push_decided: false,
            failed: false,
            bytes_sent: 0,
            bytes_received: 0,
        };
        s.send(Request::Hello { version: PROTOCOL_VERSION, team: plan.team }, Expect::Welcome);
        if !plan.publish.is_empty() {
            s.send(Request::Publish { statements: plan.publish }, Expect::Published);
        }
        for (invite, offer) in plan.offers {
            s.send(Request::PutOffer { invite, offer }, Expect::OfferStored);
        }
        // After Publish, so that a partner just trusted is one when its letters arrive.
        for (to, entries) in plan.letters {
            let n = entries.len();
            s.send(Request::Deliver { to, entries }, Expect::Delivered(to, n));
        }
        s.request_registry_and_pull();
        Ok(s)
    }

    fn request_registry_and_pull(&mut self) {
        let known = self.registry.statements().len() as u32;
        self.send(Request::GetRegistry { known }, Expect::Registry);
        self.send(Request::Pull { after: self.cursor, log_id: self.log_id }, Expect::Pull);
    }

    fn send(&mut self, request: Request, expect: Expect) {
        let f = frame(&request);
        self.bytes_sent += f.len();
        self.transmit.push_back(f);
        self.expect.push_back(expect);
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// Whether frames are waiting to be sent.
    pub fn poll_transmit_pending(&self) -> bool {
        !self.transmit.is_empty()
    }

    /// The next event, opening pending entries (at most [`INFLATE_BUDGET`] of bodies at a
    /// time) when none is waiting.
    pub fn poll_event(&mut self) -> Option<SyncEvent> {
        if self.events.is_empty() {
            if !self.pending.is_empty() {
                self.open_pending();
            } else if let Some((cursor, high_water)) = self.pull_end.take() {
                self.end_pull(cursor, high_water);
            }
        }
        self.events.pop_front()
    }

    /// Whether every reply has come and the session can close.
    pub fn is_done(&self) -> bool {
        self.push_decided && self.expect.is_empty() && self.transmit.is_empty() && self.pending.is_empty()
    }

    /// Once the pull is done and before [`ClientSession::push`]: letters for team `to`'s
    /// log, answered by [`SyncEvent::Delivered`] or [`SyncEvent::Undelivered`].
    pub fn deliver(&mut self, to: [u8; 16], entries: Vec<LogEntry>) {
        if entries.is_empty() || self.push_decided {
            return;
        }
        let n = entries.len();
        self.send(Request::Deliver { to, entries }, Expect::Delivered(to, n));
    }

    /// Once the pull is done: the bundles to push (sealed with [`ClientSession::keyring`]),
    /// possibly none.
    pub fn push(&mut self, entries: Vec<LogEntry>) {
        self.push_decided = true;
        let mut batch = Vec::new();
        let mut size = 0;
        for e in entries {
            if size + e.sealed.len() > BATCH_BYTES && !batch.is_empty() {
                let n = batch.len();
                self.send(Request::Push { entries: std::mem::take(&mut batch) }, Expect::Pushed(n));
                size = 0;
            }
            size += e.sealed.len();
            batch.push(e);
        }
        if !batch.is_empty() {
            let n = batch.len();
            self.send(Request::Push { entries: batch }, Expect::Pushed(n));
        }
        if self.expect.is_empty() {
            self.events.push_back(SyncEvent::Done);
        }
    }

    pub fn pull_finished(&self) -> bool {
        self.pull_done
    }

    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), SyncError> {
        if self.failed {
            return Err(SyncError::Protocol("the session already failed".into()));
        }
        self.bytes_received += bytes.len();
        self.decoder.push(bytes);
        loop {
            let payload = match self.decoder.next_frame() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.failed = true;
                    return Err(e.into());
                }
            };
            if let Err(e) = self.handle_reply(&payload) {
                self.failed = true;
                return Err(e);
            }
        }
    }

    /// The connection ended; an error unless every reply came.
    pub fn input_ended(&self) -> Result<(), SyncError> {
        self.decoder.finish()?;
        if self.is_done() {
            Ok(())
        } else {
            Err(SyncError::Protocol("the relay closed the connection before answering".into()))
        }
    }

    fn handle_reply(&mut self, payload: &[u8]) -> Result<(), SyncError> {
        let reply: Reply = decode(payload)?;
        if let Reply::Refused { code, message } = reply {
            return Err(SyncError::Refused { code, message });
        }
        let Some(&expected) = self.expect.front() else {
            return Err(SyncError::Protocol("a reply nobody asked for".into()));
        };
        let unexpected = || SyncError::Protocol(format!("expected {expected:?}"));
        match (expected, reply) {
            (Expect::Welcome, Reply::Welcome { version, enrolled, log_id }) => {
                if version != PROTOCOL_VERSION {
                    return Err(SyncError::Protocol(format!(
                        "the relay speaks protocol version {version}, this device {PROTOCOL_VERSION}: update the older of the two"
                    )));
                }
                let new_log = self.log_id.is_some_and(|mine| mine != log_id) || self.log_id.is_none();
                if self.log_id != Some(log_id) {
                    // The pipelined Pull named the old log, so the relay serves it from 0.
                    self.cursor = 0;
                    self.log_id = Some(log_id);
                }
                self.events.push_back(SyncEvent::Welcome { enrolled, log_id, new_log });
            }
            (Expect::Published, Reply::Published { accepted }) => {
                self.events.push_back(SyncEvent::Published { accepted });
            }
            (Expect::OfferStored, Reply::OfferStored) => {}
            (Expect::Registry, Reply::Registry { from, statements }) => {
                self.take_registry(from, statements)?
            }
            (Expect::Pull, Reply::Entries { entries }) => {
                self.pending_bytes += payload.len();
                self.pending.extend(entries);
                return Ok(()); // still expecting more of the pull
            }
            (Expect::Pull, Reply::PullDone { cursor, high_water }) => {
                self.expect.pop_front();
                self.pull_end = Some((cursor, high_water));
                return Ok(());
            }
            (Expect::Pushed(n), Reply::Pushed { last, .. }) => {
                self.events.push_back(SyncEvent::Pushed { entries: n, last });
            }
            (Expect::Delivered(to, letters), Reply::Pushed { .. }) => {
                self.events.push_back(SyncEvent::Delivered { to, letters });
            }
            (Expect::Delivered(to, letters), Reply::Undelivered { message }) => {
                self.events.push_back(SyncEvent::Undelivered { to, letters, message });
            }
            _ => return Err(unexpected()),
        }
        self.expect.pop_front();
        if self.push_decided && self.expect.is_empty() {
            self.events.push_back(SyncEvent::Done);
        }
        Ok(())
    }

    fn take_registry(&mut self, from: u32, statements: Vec<PositionedStatement>) -> Result<(), SyncError> {
        if from as usize != self.registry.statements().len() {
            return Err(SyncError::Protocol("the registry reply starts at the wrong place".into()));
        }
        for s in &statements {
            self.registry
                .apply(s.statement.clone(), s.position)
                .map_err(|e| SyncError::Registry(e.to_string()))?;
        }
        if let Some(anchor) = self.anchor.take() {
            let all = self.registry.statements();
            let starts_right = all.first().is_some_and(|c| c.statement.digest() == anchor.charter);
            if !starts_right || !all.iter().any(|s| s.statement == anchor.invite) {
                return Err(SyncError::Registry(
                    "the relay's registry is not the team this device was invited to (its charter or the invite is not there): refusing it".into(),
                ));
            }
        }
        if !statements.is_empty() {
            self.events.push_back(SyncEvent::Registry { statements });
        }
        Ok(())
    }

    /// Opens pending entries, in order, until the inflate budget is spent or the cursor
    /// must stop; emits one `Received` for what was opened.
    fn open_pending(&mut self) {
        let mut bundles = Vec::new();
        let mut spent: u64 = 0;
        let bytes = std::mem::take(&mut self.pending_bytes);
        while spent < INFLATE_BUDGET {
            let Some((seq, entry)) = self.pending.pop_front() else { break };
            if self.waiting.is_some() || self.unknown_author.is_some() {
                continue; // stopped before an earlier entry: the rest comes next time
            }
            if seq <= self.cursor {
                continue;
            }
            match entry.kind {
                EntryKind::TeamKey { .. } => {
                    let opened = open_team_key_entry(&self.me, &self.team, &self.registry, &entry, seq);
                    match opened.and_then(|keys| match keys {
                        Some(keys) => self.keyring.merge(keys).map_err(BundleError::from),
                        None => Ok(Vec::new()),
                    }) {
                        Ok(added) if !added.is_empty() => {
                            self.events.push_back(SyncEvent::TeamKeys { added })
                        }
                        Ok(_) => {}
                        Err(BundleError::UnknownAuthor) => {
                            self.stop_for_unknown_author(seq, entry.author);
                            continue;
                        }
                        Err(reason) => {
                            self.events.push_back(SyncEvent::Rejected { seq, author: entry.author, reason })
                        }
                    }
                }
                EntryKind::Audit { .. } => {
                    let limit = INFLATE_BUDGET - spent;
                    match super::bundle::open_audit(
                        &self.team,
                        &self.keyring,
                        &self.registry,
                        &entry,
                        seq,
                        limit,
                    ) {
                        Ok(entries) => {
                            spent += entries.iter().map(|e| e.json.len() as u64).sum::<u64>();
                            self.events.push_back(SyncEvent::Audit { seq, author: entry.author, entries });
                        }
                        Err(BundleError::MissingKey(key)) => {
                            self.waiting = Some(Waiting::Key(key));
                            continue;
                        }
                        Err(BundleError::UnknownAuthor) => {
                            self.stop_for_unknown_author(seq, entry.author);
                            continue;
                        }
                        Err(reason) => {
                            self.events.push_back(SyncEvent::Rejected { seq, author: entry.author, reason })
                        }
                    }
                }
                EntryKind::Letter { .. } => {
                    let limit = INFLATE_BUDGET - spent;
                    match super::letter::open_letter(&self.team, &self.keyring, &entry, limit) {
                        Ok(letter) if self.registry.partner(&letter.from) != Some(letter.charter) => {
                            let reason = BundleError::NotPartner;
                            self.events.push_back(SyncEvent::Rejected { seq, author: entry.author, reason })
                        }
                        Ok(letter) => {
                            // The bundles before it are applied first: a letter may be about
                            // a record or a share they bring.
                            if !bundles.is_empty() {
                                let before = std::mem::take(&mut bundles);
                                self.events.push_back(SyncEvent::Received {
                                    bundles: before,
                                    cursor: self.cursor,
                                    bytes: 0,
                                });
                            }
                            spent += letter.content.len() as u64;
                            let (from, author, content) = (letter.from, letter.author, letter.content);
                            let registry = letter.registry.statements().to_vec();
                            self.events.push_back(SyncEvent::Letter { seq, from, author, registry, content });
                        }
                        Err(BundleError::MissingKey(key)) => {
                            self.waiting = Some(Waiting::Key(key));
                            continue;
                        }
                        Err(reason) => {
                            self.events.push_back(SyncEvent::Rejected { seq, author: entry.author, reason })
                        }
                    }
                }
                EntryKind::Changes | EntryKind::Snapshot { .. } => {
                    let limit = INFLATE_BUDGET - spent;
                    match open_bundle(&self.team, &self.keyring, &self.registry, &entry, seq, limit) {
                        Ok(body) => {
                            spent += body.changes.len() as u64;
                            bundles.push(Received {
                                seq,
                                body,
                                author: entry.author,
                                snapshot: matches!(entry.kind, EntryKind::Snapshot { .. }),
                            });
                        }
                        Err(BundleError::MissingKey(key)) => {
                            self.waiting = Some(Waiting::Key(key));
                            continue;
                        }
                        Err(BundleError::UnknownAuthor) => {
                            self.stop_for_unknown_author(seq, entry.author);
                            continue;
                        }
                        Err(BundleError::TooLarge(n))
                            if bundles.is_empty() || n as u64 > super::bundle::MAX_INFLATED =>
                        {
                            self.events.push_back(SyncEvent::Rejected {
                                seq,
                                author: entry.author,
                                reason: BundleError::TooLarge(n),
                            });
                        }
                        Err(BundleError::TooLarge(_)) => {
                            // Over what is left of this batch's budget: it opens in the next.
                            self.pending.push_front((seq, entry));
                            break;
                        }
                        Err(reason) => {
                            self.events.push_back(SyncEvent::Rejected { seq, author: entry.author, reason })
                        }
                    }
                }
            }
            self.cursor = seq;
        }
        self.events.push_back(SyncEvent::Received { bundles, cursor: self.cursor, bytes });
    }

    fn stop_for_unknown_author(&mut self, seq: u64, author: [u8; 32]) {
        if self.refreshed {
            self.waiting = Some(Waiting::Author(author));
        } else {
            self.unknown_author = Some((seq, author));
        }
    }

    fn end_pull(&mut self, cursor: u64, high_water: u64) {
        if high_water < self.start_cursor && !self.rewound && self.start_cursor > 0 {
            // The log went back (a relay restored from backup): pull it all again.
            self.rewound = true;
            self.cursor = 0;
            self.waiting = None;
            self.send(Request::Pull { after: 0, log_id: self.log_id }, Expect::Pull);
            return;
        }
        if self.unknown_author.take().is_some() {
            // An author this device has not heard of yet: fetch the registry once more and
            // pull again from before the entry, rather than skip it for good.
            self.refreshed = true;
            self.request_registry_and_pull();
            return;
        }
        if self.waiting.is_none() {
            self.cursor = self.cursor.max(cursor.min(high_water));
        }
        self.pull_done = true;
        self.events.push_back(SyncEvent::PullDone {
            cursor: self.cursor,
            waiting: self.waiting,
            rewound: self.rewound,
        });
    }
}
