//! Letters handed over directly between devices of two teams that share records (a ward
//! nurse's laptop and the hospice nurse's tablet at Harold's bedside, no signal), sans-IO.
//!
//! The same sealed letters the relay would carry (`letter.rs`): each end hands over those
//! it holds for the other's team, and opens what it is given as it would from its own log.
//! Nothing else crosses: no summary, no document a team does not share. The dialler says
//! its team first, with that team's registry; the listener answers with its own only if it
//! shares records with that team and the registry, anchored to the charter its admin
//! trusted, names the dialling device active. So a device that dials at random, or names a
//! team it is not of, learns nothing of who listens nor of what they hold.
//!
//! Each end says what it holds of the records the two teams share (every document's heads),
//! so that the other writes the changes it lacks, whatever letters are still on their way
//! through the relay.
//!
//! ```text
//! dialler                        listener
//!   Hello { team } ------------>
//!                  <------------ Hello { team }, Holding { documents }   (or Goodbye)
//!   Holding { documents },
//!   Letters { .. last } ------->
//!                  <------------ Letters { .. last }
//! ```
//! The listener sends its letters only once it has all of the dialler's, so that the two
//! never both write more than a stream window at once. Done when each end has sent its last
//! part and had the other's.

use super::registry::PositionedStatement;
use super::wire::{BATCH_BYTES, FrameDecoder, LogEntry, WireError, decode, frame};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The ALPN of a letter exchange between partner teams' devices; its last part is the
/// major version.
pub const PARTNER_ALPN: &[u8] = b"hedgerow/partner/1";
/// Checked exactly in `Hello`.
pub const PARTNER_PROTOCOL_VERSION: u16 = 1;
/// The most letters one end takes in one exchange, and their most sealed bytes.
pub const MAX_LETTERS: usize = 10_000;
pub const MAX_LETTER_BYTES: usize = 64 * 1024 * 1024;
/// The most shared documents one end may say it holds.
pub const MAX_HELD: usize = 100_000;

/// A document of a record the two teams share, and the Automerge heads this end holds of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub document: [u8; 16],
    pub heads: Vec<[u8; 32]>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartnerMessage {
    Hello {
        version: u16,
        team: [u8; 16],
        /// The team's registry as this device knows it: the other end checks this device
        /// in it.
        registry: Vec<PositionedStatement>,
    },
    /// What this end holds of the records its team shares with the other's.
    Holding { documents: Vec<Held> },
    /// Part of the letters this end holds for the other's team.
    Letters { entries: Vec<LogEntry>, last: bool },
    /// Ends the exchange with a reason.
    Goodbye { reason: String },
}

impl PartnerMessage {
    fn name(&self) -> &'static str {
        match self {
            PartnerMessage::Hello { .. } => "Hello",
            PartnerMessage::Holding { .. } => "Holding",
            PartnerMessage::Letters { .. } => "Letters",
            PartnerMessage::Goodbye { .. } => "Goodbye",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("the other device is in this team: sync with it directly instead")]
    SameTeam,
    #[error("the other device ended the exchange: {0}")]
    Goodbye(String),
}

#[derive(Debug)]
pub enum PartnerEvent {
    /// The other device says it is of team `team`. The driver checks that this team shares
    /// records with it, then answers with [`PartnerSession::hold`] or
    /// [`PartnerSession::refuse`].
    Hello { team: [u8; 16], registry: Vec<PositionedStatement> },
    /// What the other device holds of the shared records: the driver answers with
    /// [`PartnerSession::send_letters`].
    Holding { documents: Vec<Held> },
    /// Every letter the other device handed over.
    Letters { entries: Vec<LogEntry> },
}

/// Which end of the connection this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Dialler,
    Listener,
}

pub struct PartnerSession {
    team: [u8; 16],
    registry: Vec<PositionedStatement>,
    side: Side,
    decoder: FrameDecoder,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<PartnerEvent>,
    their_team: Option<[u8; 16]>,
    hello_sent: bool,
    holding_sent: bool,
    holding_received: bool,
    letters_sent: bool,
    incoming: Vec<LogEntry>,
    incoming_bytes: usize,
    letters_received: bool,
    /// The listener's letters, held until it has all of the dialler's.
    held_back: Option<Vec<LogEntry>>,
    refused: bool,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl PartnerSession {
    /// A session for a device of `team`, whose registry (as this device knows it) goes to
    /// the other end.
    pub fn new(team: [u8; 16], registry: Vec<PositionedStatement>, side: Side) -> Self {
        let mut s = Self {
            team,
            registry,
            side,
            decoder: FrameDecoder::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            their_team: None,
            hello_sent: false,
            holding_sent: false,
            holding_received: false,
            letters_sent: false,
            incoming: Vec::new(),
            incoming_bytes: 0,
            letters_received: false,
            held_back: None,
            refused: false,
            bytes_sent: 0,
            bytes_received: 0,
        };
        if side == Side::Dialler {
            s.send_hello();
        }
        s
    }

    fn send(&mut self, m: &PartnerMessage) {
        let f = frame(m);
        self.bytes_sent += f.len();
        self.transmit.push_back(f);
    }

    fn send_hello(&mut self) {
        self.hello_sent = true;
        let registry = std::mem::take(&mut self.registry);
        self.send(&PartnerMessage::Hello { version: PARTNER_PROTOCOL_VERSION, team: self.team, registry });
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<PartnerEvent> {
        self.events.pop_front()
    }

    /// The team the other device said it is of, once it has.
    pub fn their_team(&self) -> Option<[u8; 16]> {
        self.their_team
    }

    pub fn is_done(&self) -> bool {
        self.refused || (self.letters_sent && self.letters_received)
    }

    /// Refuses the other device: the reason goes to it, then the connection closes.
    pub fn refuse(&mut self, reason: &str) {
        self.send(&PartnerMessage::Goodbye { reason: reason.to_owned() });
        self.refused = true;
    }

    /// Says what this end holds of the shared records, once the other said which team it
    /// is of and this end will exchange with it.
    pub fn hold(&mut self, documents: Vec<Held>) {
        if self.their_team.is_none() || self.holding_sent || self.refused {
            return;
        }
        if !self.hello_sent {
            self.send_hello();
        }
        self.holding_sent = true;
        self.send(&PartnerMessage::Holding { documents });
    }

    /// Hands over this end's letters for the other team (possibly none), once both ends
    /// said what they hold; the listener's go once it has all of the dialler's.
    pub fn send_letters(&mut self, entries: Vec<LogEntry>) {
        if !self.holding_sent || !self.holding_received || self.letters_sent || self.refused {
            return;
        }
        if self.side == Side::Listener && !self.letters_received {
            self.held_back = Some(entries);
            return;
        }
        self.write_letters(entries);
    }

    fn write_letters(&mut self, entries: Vec<LogEntry>) {
        let mut part = Vec::new();
        let mut size = 0;
        for e in entries {
            if size + e.sealed.len() > BATCH_BYTES && !part.is_empty() {
                self.send(&PartnerMessage::Letters { entries: std::mem::take(&mut part), last: false });
                size = 0;
            }
            size += e.sealed.len();
            part.push(e);
        }
        self.send(&PartnerMessage::Letters { entries: part, last: true });
        self.letters_sent = true;
    }

    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), PartnerError> {
        self.bytes_received += bytes.len();
        self.decoder.push(bytes);
        while let Some(payload) = self.decoder.next_frame()? {
            self.handle(decode(&payload)?)?;
        }
        Ok(())
    }

    fn handle(&mut self, m: PartnerMessage) -> Result<(), PartnerError> {
        match m {
            PartnerMessage::Goodbye { reason } => return Err(PartnerError::Goodbye(reason)),
            // The listener speaks only once it has the dialler's hello.
            PartnerMessage::Hello { version, team, registry }
                if self.their_team.is_none() && (self.side == Side::Listener || self.hello_sent) =>
            {
                if version != PARTNER_PROTOCOL_VERSION {
                    return Err(PartnerError::Protocol(format!(
                        "the other device speaks letter-exchange version {version}, this one {PARTNER_PROTOCOL_VERSION}: update the older of the two"
                    )));
                }
                if team == self.team {
                    return Err(PartnerError::SameTeam);
                }
                self.their_team = Some(team);
                self.events.push_back(PartnerEvent::Hello { team, registry });
            }
            // The listener says what it holds with its hello; the dialler once it has that.
            PartnerMessage::Holding { documents }
                if self.their_team.is_some()
                    && !self.holding_received
                    && (self.side == Side::Dialler || self.holding_sent) =>
            {
                if documents.len() > MAX_HELD {
                    return Err(PartnerError::Protocol(format!("more than {MAX_HELD} documents held")));
                }
                self.holding_received = true;
                self.events.push_back(PartnerEvent::Holding { documents });
            }
            PartnerMessage::Letters { entries, last }
                if self.holding_sent && self.holding_received && !self.letters_received && !self.refused =>
            {
                self.incoming_bytes += entries.iter().map(|e| e.sealed.len()).sum::<usize>();
                if self.incoming.len() + entries.len() > MAX_LETTERS || self.incoming_bytes > MAX_LETTER_BYTES
                {
                    return Err(PartnerError::Protocol(format!(
                        "more than {MAX_LETTERS} letters or {MAX_LETTER_BYTES} bytes of them"
                    )));
                }
                self.incoming.extend(entries);
                if last {
                    self.letters_received = true;
                    if let Some(held) = self.held_back.take() {
                        self.write_letters(held);
                    }
                    let entries = std::mem::take(&mut self.incoming);
                    self.events.push_back(PartnerEvent::Letters { entries });
                }
            }
            other => return Err(PartnerError::Protocol(format!("unexpected {}", other.name()))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::keys::KeyId;
    use crate::sync::wire::EntryKind;

    const WARD: [u8; 16] = [7; 16];
    const HOSPICE: [u8; 16] = [8; 16];

    fn letter(n: u8, from: [u8; 16]) -> LogEntry {
        LogEntry {
            author: [n; 32],
            key: KeyId { epoch: 1, minter: [n; 32] },
            doc_tag: [0; 16],
            kind: EntryKind::Letter { from },
            sealed: vec![n; 100],
            signature: vec![n; 64],
        }
    }

    /// Passes frames both ways, answering hellos with `answer`, until neither has more.
    fn meet(
        a: &mut PartnerSession,
        b: &mut PartnerSession,
        mut answer: impl FnMut(&mut PartnerSession, [u8; 16]),
    ) -> Result<(Vec<LogEntry>, Vec<LogEntry>), PartnerError> {
        let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            while let Some(f) = a.poll_transmit() {
                b.handle_input(&f)?;
            }
            while let Some(f) = b.poll_transmit() {
                a.handle_input(&f)?;
            }
            for (s, got) in [(&mut *a, &mut got_a), (&mut *b, &mut got_b)] {
                while let Some(ev) = s.poll_event() {
                    match ev {
                        PartnerEvent::Hello { team, .. } => answer(s, team),
                        PartnerEvent::Holding { documents } => {
                            // The ward holds two shared documents, the hospice one; the ward
                            // hands over three letters, the hospice one.
                            let from = s.team;
                            assert_eq!(
                                documents.len(),
                                if from == WARD { 1 } else { 2 },
                                "what the other holds"
                            );
                            let n = if from == WARD { 3 } else { 1 };
                            s.send_letters((0..n).map(|i| letter(i, from)).collect());
                        }
                        PartnerEvent::Letters { entries } => *got = entries,
                    }
                }
            }
        }
        Ok((got_a, got_b))
    }

    #[test]
    fn partner_devices_hand_each_other_their_letters_and_are_done() {
        let mut ward = PartnerSession::new(WARD, Vec::new(), Side::Dialler);
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let (to_ward, to_hospice) = meet(&mut ward, &mut hospice, |s, _| {
            let n = if s.team == WARD { 2 } else { 1 };
            s.hold((0..n).map(|i| Held { document: [i; 16], heads: vec![[i; 32]] }).collect());
        })
        .unwrap();
        assert_eq!(to_hospice.len(), 3);
        assert!(to_hospice.iter().all(|e| e.kind == EntryKind::Letter { from: WARD }));
        assert_eq!(to_ward.len(), 1);
        assert!(ward.is_done() && hospice.is_done());
        assert_eq!((ward.their_team(), hospice.their_team()), (Some(HOSPICE), Some(WARD)));
    }

    #[test]
    fn a_listener_that_shares_nothing_with_the_dialler_says_nothing_of_its_team() {
        let mut stranger = PartnerSession::new(WARD, Vec::new(), Side::Dialler);
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let outcome =
            meet(&mut stranger, &mut hospice, |s, _| s.refuse("not a team this team shares records with"));
        assert!(matches!(outcome, Err(PartnerError::Goodbye(_))), "the dialler is told why");
        assert_eq!(stranger.their_team(), None, "and never learns whom it dialled");
        assert!(hospice.is_done());
    }

    #[test]
    fn out_of_turn_or_same_team_or_too_many_letters_are_refused() {
        // Letters before a hello, or before saying what it holds.
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let early = frame(&PartnerMessage::Letters { entries: vec![letter(1, WARD)], last: true });
        assert!(matches!(hospice.handle_input(&early), Err(PartnerError::Protocol(_))));
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let hello = frame(&PartnerMessage::Hello {
            version: PARTNER_PROTOCOL_VERSION,
            team: WARD,
            registry: Vec::new(),
        });
        hospice.handle_input(&hello).unwrap();
        assert!(matches!(hospice.handle_input(&early), Err(PartnerError::Protocol(_))));
        // A device of the same team.
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let same = frame(&PartnerMessage::Hello {
            version: PARTNER_PROTOCOL_VERSION,
            team: HOSPICE,
            registry: Vec::new(),
        });
        assert!(matches!(hospice.handle_input(&same), Err(PartnerError::SameTeam)));
        // Another version.
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let old = frame(&PartnerMessage::Hello { version: 0, team: WARD, registry: Vec::new() });
        assert!(matches!(hospice.handle_input(&old), Err(PartnerError::Protocol(_))));
        // A flood of letters.
        let mut ward = PartnerSession::new(WARD, Vec::new(), Side::Dialler);
        let hello = frame(&PartnerMessage::Hello {
            version: PARTNER_PROTOCOL_VERSION,
            team: HOSPICE,
            registry: Vec::new(),
        });
        ward.handle_input(&hello).unwrap();
        ward.handle_input(&frame(&PartnerMessage::Holding { documents: Vec::new() })).unwrap();
        let flood: Vec<LogEntry> = (0..=MAX_LETTERS).map(|_| letter(1, HOSPICE)).collect();
        let flood = frame(&PartnerMessage::Letters { entries: flood, last: false });
        assert!(ward.handle_input(&flood).is_err());
    }

    #[test]
    fn the_listener_holds_its_letters_back_until_it_has_all_the_diallers() {
        let mut hospice = PartnerSession::new(HOSPICE, Vec::new(), Side::Listener);
        let hello =
            PartnerMessage::Hello { version: PARTNER_PROTOCOL_VERSION, team: WARD, registry: Vec::new() };
        hospice.handle_input(&frame(&hello)).unwrap();
        hospice.hold(Vec::new());
        hospice.handle_input(&frame(&PartnerMessage::Holding { documents: Vec::new() })).unwrap();
        while hospice.poll_transmit().is_some() {}
        hospice.send_letters(vec![letter(1, HOSPICE)]);
        assert!(hospice.poll_transmit().is_none(), "nothing while the dialler may still be writing");
        let theirs = PartnerMessage::Letters { entries: vec![letter(2, WARD)], last: true };
        hospice.handle_input(&frame(&theirs)).unwrap();
        assert!(hospice.poll_transmit().is_some(), "its letters go once it has the dialler's");
        assert!(hospice.is_done());
    }

    #[test]
    fn letters_past_the_byte_limit_are_refused() {
        let mut ward = PartnerSession::new(WARD, Vec::new(), Side::Dialler);
        let hello =
            PartnerMessage::Hello { version: PARTNER_PROTOCOL_VERSION, team: HOSPICE, registry: Vec::new() };
        ward.handle_input(&frame(&hello)).unwrap();
        ward.hold(Vec::new());
        ward.handle_input(&frame(&PartnerMessage::Holding { documents: Vec::new() })).unwrap();
        let big = LogEntry { sealed: vec![7; BATCH_BYTES - 1024], ..letter(1, HOSPICE) };
        let part = frame(&PartnerMessage::Letters { entries: vec![big], last: false });
        let parts = MAX_LETTER_BYTES / (BATCH_BYTES - 1024);
        for _ in 0..parts {
            ward.handle_input(&part).unwrap();
        }
        assert!(matches!(ward.handle_input(&part), Err(PartnerError::Protocol(_))));
    }
}
