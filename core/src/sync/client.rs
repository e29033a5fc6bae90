//! A device's side of a relay sync, sans-IO. The driver writes what
//! [`ClientSession::poll_transmit`] gives, feeds what it reads to
//! [`ClientSession::handle_input`], and acts on [`ClientSession::poll_event`].
//!
//! Requests are pipelined: Hello, Publish, offers, GetRegistry and Pull go in one flight,
//! so a sync where nothing changed is one round trip. Local changes are sealed and pushed
//! after the pull, with the newest team key and registry the pull brought.

use super::bundle::{BundleBody, BundleError, open_bundle, open_team_key_entry};
use super::keys::Keyring;
use super::registry::{Registry, SignedStatement};
use super::wire::{
    BATCH_BYTES, EntryKind, FrameDecoder, LogEntry, PROTOCOL_VERSION, Refusal, Reply, Request, WireError,
    decode, frame,
};
use crate::crypto::DeviceKey;
use std::collections::VecDeque;

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

/// What a session starts from.
pub struct SessionPlan {
    pub team: [u8; 16],
    /// The log position this device has applied up to.
    pub cursor: u64,
    /// The registry statements this device already holds and trusts.
    pub registry: Vec<SignedStatement>,
    /// Statements this device made that the relay has not acknowledged.
    pub publish: Vec<SignedStatement>,
    /// Enrolment offers to leave for invites: (tag, sealed offer).
    pub offers: Vec<([u8; 32], Vec<u8>)>,
}

/// One bundle as received and opened.
#[derive(Debug)]
pub struct Received {
    pub seq: u64,
    pub body: BundleBody,
    pub author: [u8; 32],
    pub snapshot: bool,
}

#[derive(Debug)]
pub enum SyncEvent {
    Welcome {
        enrolled: bool,
    },
    Published {
        accepted: u32,
    },
    /// The registry grew; the new statements (already checked) are in it.
    Registry {
        statements: Vec<SignedStatement>,
    },
    /// A new team key for this device.
    TeamKey {
        epoch: u32,
        key: [u8; 32],
    },
    /// A batch of bundles to apply; once applied, the device has everything up to `cursor`.
    Received {
        bundles: Vec<Received>,
        cursor: u64,
        bytes: usize,
    },
    /// A bundle was left out: a bad signature or an author the registry does not know.
    Rejected {
        seq: u64,
        reason: BundleError,
    },
    /// The pull is over. If the device lacked the key for a bundle, the cursor stops before
    /// it (`waiting_for_key`), so nothing is skipped for good.
    PullDone {
        cursor: u64,
        waiting_for_key: Option<u32>,
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
}

pub struct ClientSession {
    me: DeviceKey,
    team: [u8; 16],
    keyring: Keyring,
    registry: Registry,
    cursor: u64,
    waiting_for_key: Option<u32>,
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
            cursor: plan.cursor,
            waiting_for_key: None,
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
        for (tag, offer) in plan.offers {
            s.send(Request::PutOffer { tag, offer }, Expect::OfferStored);
        }
        let known = s.registry.statements().len() as u32;
        s.send(Request::GetRegistry { known }, Expect::Registry);
        s.send(Request::Pull { after: plan.cursor }, Expect::Pull);
        Ok(s)
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

    pub fn poll_event(&mut self) -> Option<SyncEvent> {
        self.events.pop_front()
    }

    /// Whether every reply has come and the session can close.
    pub fn is_done(&self) -> bool {
        self.push_decided && self.expect.is_empty() && self.transmit.is_empty()
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
            (Expect::Welcome, Reply::Welcome { version, enrolled }) => {
                if version != PROTOCOL_VERSION {
                    return Err(SyncError::Protocol(format!("relay answered with version {version}")));
                }
                self.events.push_back(SyncEvent::Welcome { enrolled });
            }
            (Expect::Published, Reply::Published { accepted }) => {
                self.events.push_back(SyncEvent::Published { accepted });
            }
            (Expect::OfferStored, Reply::OfferStored) => {}
            (Expect::Registry, Reply::Registry { from, statements }) => {
                if from as usize != self.registry.statements().len() {
                    return Err(SyncError::Protocol("the registry reply starts at the wrong place".into()));
                }
                for s in &statements {
                    self.registry.apply(s.clone()).map_err(|e| SyncError::Registry(e.to_string()))?;
                }
                if !statements.is_empty() {
                    self.events.push_back(SyncEvent::Registry { statements });
                }
            }
            (Expect::Pull, Reply::Entries { entries }) => {
                self.receive_entries(entries, payload.len());
                return Ok(()); // still expecting more of the pull
            }
            (Expect::Pull, Reply::PullDone { cursor }) => {
                if self.waiting_for_key.is_none() {
                    self.cursor = self.cursor.max(cursor);
                }
                self.pull_done = true;
                self.events.push_back(SyncEvent::PullDone {
                    cursor: self.cursor,
                    waiting_for_key: self.waiting_for_key,
                });
            }
            (Expect::Pushed(n), Reply::Pushed { last, .. }) => {
                self.events.push_back(SyncEvent::Pushed { entries: n, last });
            }
            _ => return Err(unexpected()),
        }
        self.expect.pop_front();
        if self.push_decided && self.expect.is_empty() {
            self.events.push_back(SyncEvent::Done);
        }
        Ok(())
    }

    fn receive_entries(&mut self, entries: Vec<(u64, LogEntry)>, bytes: usize) {
        let mut bundles = Vec::new();
        for (seq, entry) in entries {
            if self.waiting_for_key.is_some() {
                break;
            }
            if seq <= self.cursor {
                continue;
            }
            match entry.kind {
                EntryKind::TeamKey { .. } => {
                    match open_team_key_entry(&self.me, &self.team, &self.registry, &entry) {
                        Ok(Some((epoch, key))) => {
                            self.keyring.insert(epoch, key);
                            self.events.push_back(SyncEvent::TeamKey { epoch, key });
                        }
                        Ok(None) => {}
                        Err(reason) => self.events.push_back(SyncEvent::Rejected { seq, reason }),
                    }
                }
                EntryKind::Changes | EntryKind::Snapshot { .. } => {
                    match open_bundle(&self.team, &self.keyring, &self.registry, &entry) {
                        Ok(body) => bundles.push(Received {
                            seq,
                            body,
                            author: entry.author,
                            snapshot: matches!(entry.kind, EntryKind::Snapshot { .. }),
                        }),
                        Err(BundleError::MissingKey(epoch)) => {
                            self.waiting_for_key = Some(epoch);
                            break;
                        }
                        Err(reason) => self.events.push_back(SyncEvent::Rejected { seq, reason }),
                    }
                }
            }
            self.cursor = seq;
        }
        self.events.push_back(SyncEvent::Received { bundles, cursor: self.cursor, bytes });
    }
}
