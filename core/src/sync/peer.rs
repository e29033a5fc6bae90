//! Direct sync between two devices of a team, sans-IO: a summary of every document's
//! heads, then Automerge's sync protocol on only the documents that differ, all of them at
//! once, in lockstep rounds over one stream. Symmetric: both ends run the same session.
//!
//! Round 0 is `Hello` and `Summary`. Each later round is one `Round` (split into parts of
//! at most about 4 MiB) holding an Automerge sync message for every document that still
//! has something to say. An end sends round r+1 only after it has the other's round r, so
//! when both ends' round r is empty, both know they are done.

use super::wire::{BATCH_BYTES, FrameDecoder, WireError, decode, frame};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The ALPN of direct sync; its last part is the major version.
pub const PEER_ALPN: &[u8] = b"hedgerow/peer/1";
/// Checked exactly in `Hello`, which keeps its place in every version.
pub const PEER_PROTOCOL_VERSION: u16 = 2;

/// One document in a summary: its id, its kind, and a digest of its heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryEntry {
    pub document: [u8; 16],
    /// 0 patient, 1 visit, 2 team.
    pub kind: u8,
    /// The first 8 bytes of SHA-256 over the sorted heads.
    pub heads: [u8; 8],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMessage {
    Hello {
        version: u16,
        team: [u8; 16],
    },
    Summary {
        entries: Vec<SummaryEntry>,
    },
    /// Part of round `round`: Automerge sync messages by document.
    Round {
        round: u32,
        messages: Vec<DocumentMessage>,
        last: bool,
    },
    /// Ends the session with a reason (refusal or error).
    Goodbye {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMessage {
    pub document: [u8; 16],
    pub kind: u8,
    /// `automerge::sync::Message::encode`.
    pub message: Vec<u8>,
    /// The signed actor heads covering the changes the message carries.
    pub heads: Vec<super::heads::ActorHead>,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("the other device is in another team")]
    WrongTeam,
    #[error("the other device ended the sync: {0}")]
    Goodbye(String),
}

#[derive(Debug)]
pub enum PeerEvent {
    /// The documents that differ between the two devices (the only ones synced), with
    /// their kinds. The driver answers with [`PeerSession::send_round`] for round 1.
    Differing { documents: Vec<([u8; 16], u8)> },
    /// The other device's round: apply these, then send the next round.
    Round { round: u32, messages: Vec<DocumentMessage> },
    /// Both ends had nothing more to say.
    Done,
}

pub struct PeerSession {
    team: [u8; 16],
    mine: BTreeMap<[u8; 16], SummaryEntry>,
    decoder: FrameDecoder,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<PeerEvent>,
    hello: bool,
    summary: bool,
    /// The other device's round being received, and its parts so far.
    incoming: Vec<DocumentMessage>,
    their_round: u32,
    their_last_empty: bool,
    our_round: u32,
    our_last_empty: bool,
    done: bool,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl PeerSession {
    pub fn new(team: [u8; 16], summary: Vec<SummaryEntry>) -> Self {
        let mine = summary.iter().map(|e| (e.document, *e)).collect();
        let mut s = Self {
            team,
            mine,
            decoder: FrameDecoder::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            hello: false,
            summary: false,
            incoming: Vec::new(),
            their_round: 0,
            their_last_empty: false,
            our_round: 0,
            our_last_empty: false,
            done: false,
            bytes_sent: 0,
            bytes_received: 0,
        };
        s.send(&PeerMessage::Hello { version: PEER_PROTOCOL_VERSION, team });
        s.send(&PeerMessage::Summary { entries: summary });
        s
    }

    fn send(&mut self, m: &PeerMessage) {
        let f = frame(m);
        self.bytes_sent += f.len();
        self.transmit.push_back(f);
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_transmit_pending(&self) -> bool {
        !self.transmit.is_empty()
    }

    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        self.events.pop_front()
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Refuses the other device: the reason goes to it, then the connection closes.
    pub fn refuse(&mut self, reason: &str) {
        self.send(&PeerMessage::Goodbye { reason: reason.to_owned() });
        self.done = true;
    }

    /// Sends this device's next round (possibly empty).
    pub fn send_round(&mut self, messages: Vec<DocumentMessage>) {
        self.our_round += 1;
        self.our_last_empty = messages.is_empty();
        let round = self.our_round;
        let mut part = Vec::new();
        let mut size = 0;
        for m in messages {
            if size + m.message.len() > BATCH_BYTES && !part.is_empty() {
                self.send(&PeerMessage::Round { round, messages: std::mem::take(&mut part), last: false });
                size = 0;
            }
            size += m.message.len();
            part.push(m);
        }
        self.send(&PeerMessage::Round { round, messages: part, last: true });
        self.check_done();
    }

    fn check_done(&mut self) {
        if self.our_round >= 1
            && self.their_round == self.our_round
            && self.our_last_empty
            && self.their_last_empty
            && !self.done
        {
            self.done = true;
            self.events.push_back(PeerEvent::Done);
        }
    }

    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), PeerError> {
        self.bytes_received += bytes.len();
        self.decoder.push(bytes);
        while let Some(payload) = self.decoder.next_frame()? {
            self.handle(decode(&payload)?)?;
        }
        Ok(())
    }

    fn handle(&mut self, m: PeerMessage) -> Result<(), PeerError> {
        match m {
            PeerMessage::Goodbye { reason } => return Err(PeerError::Goodbye(reason)),
            PeerMessage::Hello { version, team } if !self.hello => {
                if version != PEER_PROTOCOL_VERSION {
                    return Err(PeerError::Protocol(format!(
                        "the other device speaks direct-sync version {version}, this one {PEER_PROTOCOL_VERSION}: update the older of the two"
                    )));
                }
                if team != self.team {
                    return Err(PeerError::WrongTeam);
                }
                self.hello = true;
            }
            PeerMessage::Summary { entries } if self.hello && !self.summary => {
                self.summary = true;
                let theirs: BTreeMap<[u8; 16], SummaryEntry> =
                    entries.into_iter().map(|e| (e.document, e)).collect();
                let ids: BTreeSet<[u8; 16]> = self.mine.keys().chain(theirs.keys()).copied().collect();
                let documents = ids
                    .into_iter()
                    .filter_map(|id| match (self.mine.get(&id), theirs.get(&id)) {
                        (Some(a), Some(b)) if a.heads == b.heads => None,
                        (Some(a), _) => Some((id, a.kind)),
                        (None, Some(b)) => Some((id, b.kind)),
                        (None, None) => None,
                    })
                    .collect();
                self.events.push_back(PeerEvent::Differing { documents });
            }
            PeerMessage::Round { round, messages, last } if self.summary => {
                if round != self.their_round + 1 {
                    return Err(PeerError::Protocol(format!("round {round} after {}", self.their_round)));
                }
                self.incoming.extend(messages);
                if last {
                    self.their_round = round;
                    let messages = std::mem::take(&mut self.incoming);
                    self.their_last_empty = messages.is_empty();
                    self.check_done();
                    if !self.done {
                        self.events.push_back(PeerEvent::Round { round, messages });
                    }
                }
            }
            other => return Err(PeerError::Protocol(format!("unexpected {other:?}"))),
        }
        Ok(())
    }
}

/// The digest of a document's heads for the summary.
pub fn heads_digest(heads: &[automerge::ChangeHash]) -> [u8; 8] {
    let mut sorted: Vec<&automerge::ChangeHash> = heads.iter().collect();
    sorted.sort();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for h in sorted {
        ctx.update(&h.0);
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&ctx.finish().as_ref()[..8]);
    out
}
