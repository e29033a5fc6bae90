//! Direct sync between two devices of a team, sans-IO: a summary of every document's
//! heads, then Automerge's sync protocol on only the documents that differ, all of them at
//! once, in lockstep rounds over one stream. Symmetric: both ends run the same session.
//!
//! Round 0 is `Hello` and `Summary`. Each later round is one `Round` (split into parts of
//! at most about 4 MiB) holding an Automerge sync message for every document that still
//! has something to say. An end sends round r+1 only after it has the other's round r, so
//! when both ends' round r is empty, both know they are done.
//!
//! Two devices that met before summarise against what they agreed then: after a sync each
//! end keeps its summary as an [`Agreement`], named by a hash of it. At the next meeting each
//! sends only the entries that differ from the agreement it holds, with the agreement's
//! name; when both name the same one, a document in neither list is as both agreed, so the
//! summary grows with what changed, not with the caseload. When the names differ (one end
//! lost its state, or the last sync did not converge) both send their whole summary.

use super::wire::{BATCH_BYTES, FrameDecoder, WireError, decode, frame};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The ALPN of direct sync; its last part is the major version.
pub const PEER_ALPN: &[u8] = b"hedgerow/peer/1";
/// Checked exactly in `Hello`, which keeps its place in every version.
pub const PEER_PROTOCOL_VERSION: u16 = 3;

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
    /// Every document (`since` none), or those that differ from the agreement `since`
    /// names; a document gone since it is listed with heads of zeros.
    Summary {
        since: Option<[u8; 32]>,
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

/// What two devices' summaries were when they last synced, as one end keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// SHA-256 over the entries in document order: equal on both ends only if both ended
    /// the last sync with the same summary.
    pub id: [u8; 32],
    pub entries: BTreeMap<[u8; 16], SummaryEntry>,
}

impl Agreement {
    pub fn of(entries: &[SummaryEntry]) -> Self {
        let entries: BTreeMap<[u8; 16], SummaryEntry> = entries.iter().map(|e| (e.document, *e)).collect();
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"hedgerow/peer-agreement/v1");
        for e in entries.values() {
            ctx.update(&e.document);
            ctx.update(&[e.kind]);
            ctx.update(&e.heads);
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(ctx.finish().as_ref());
        Self { id, entries }
    }

    /// The entries of `mine` that differ from this agreement, and the documents it names
    /// that `mine` no longer has (heads of zeros).
    fn changes_in(&self, mine: &BTreeMap<[u8; 16], SummaryEntry>) -> Vec<SummaryEntry> {
        let changed = mine.values().filter(|e| self.entries.get(&e.document) != Some(e)).copied();
        let gone = self
            .entries
            .values()
            .filter(|e| !mine.contains_key(&e.document))
            .map(|e| SummaryEntry { heads: [0; 8], ..*e });
        changed.chain(gone).collect()
    }
}

/// How this end summarised itself, and what it still needs from the other.
enum Summarised {
    /// Sent the changes since this agreement.
    Since([u8; 32]),
    /// Sent every document.
    Whole,
}

pub struct PeerSession {
    team: [u8; 16],
    mine: BTreeMap<[u8; 16], SummaryEntry>,
    agreed: Option<Agreement>,
    sent: Summarised,
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
    /// A session summarising `summary`, against `agreed` where the two devices met before.
    pub fn new(team: [u8; 16], summary: Vec<SummaryEntry>, agreed: Option<&Agreement>) -> Self {
        let mine: BTreeMap<[u8; 16], SummaryEntry> = summary.iter().map(|e| (e.document, *e)).collect();
        let (sent, first) = match agreed {
            Some(a) => (
                Summarised::Since(a.id),
                PeerMessage::Summary { since: Some(a.id), entries: a.changes_in(&mine) },
            ),
            None => (Summarised::Whole, PeerMessage::Summary { since: None, entries: summary }),
        };
        let mut s = Self {
            team,
            mine,
            agreed: agreed.cloned(),
            sent,
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
        s.send(&first);
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
            PeerMessage::Summary { since, entries } if self.hello && !self.summary => {
                let theirs: BTreeMap<[u8; 16], SummaryEntry> =
                    entries.into_iter().map(|e| (e.document, e)).collect();
                let documents = match (&self.sent, since) {
                    // Both summarised against the same agreement: what neither lists is as
                    // both agreed.
                    (Summarised::Since(ours), Some(their)) if *ours == their => {
                        let ids: BTreeSet<[u8; 16]> =
                            self.changed_since().into_iter().chain(theirs.keys().copied()).collect();
                        let kind_of = |id: &[u8; 16]| {
                            let agreed = self.agreed.as_ref().and_then(|a| a.entries.get(id));
                            self.mine.get(id).or_else(|| theirs.get(id)).or(agreed).map(|e| e.kind)
                        };
                        ids.into_iter().filter_map(|id| kind_of(&id).map(|k| (id, k))).collect()
                    }
                    // The other holds another agreement, or none: both send everything.
                    (Summarised::Since(_), their) => {
                        self.sent = Summarised::Whole;
                        let all = self.mine.values().copied().collect();
                        self.send(&PeerMessage::Summary { since: None, entries: all });
                        if their.is_some() {
                            return Ok(()); // its whole summary follows
                        }
                        differing(&self.mine, &theirs)
                    }
                    (Summarised::Whole, Some(_)) => return Ok(()), // its whole summary follows
                    (Summarised::Whole, None) => differing(&self.mine, &theirs),
                };
                self.summary = true;
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

impl PeerSession {
    /// This end's documents that differ from the agreement it summarised against.
    fn changed_since(&self) -> Vec<[u8; 16]> {
        self.agreed.iter().flat_map(|a| a.changes_in(&self.mine)).map(|e| e.document).collect()
    }
}

/// The documents two whole summaries disagree on, with their kinds.
fn differing(
    mine: &BTreeMap<[u8; 16], SummaryEntry>,
    theirs: &BTreeMap<[u8; 16], SummaryEntry>,
) -> Vec<([u8; 16], u8)> {
    let ids: BTreeSet<[u8; 16]> = mine.keys().chain(theirs.keys()).copied().collect();
    ids.into_iter()
        .filter_map(|id| match (mine.get(&id), theirs.get(&id)) {
            (Some(a), Some(b)) if a.heads == b.heads => None,
            (Some(a), _) => Some((id, a.kind)),
            (None, Some(b)) => Some((id, b.kind)),
            (None, None) => None,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: [u8; 16] = [9; 16];

    fn entry(n: u8, heads: u8) -> SummaryEntry {
        SummaryEntry { document: [n; 16], kind: 0, heads: [heads; 8] }
    }

    fn caseload(n: u8) -> Vec<SummaryEntry> {
        (1..=n).map(|i| entry(i, 1)).collect()
    }

    /// Runs two sessions against each other in memory until both know which documents
    /// differ; returns those (as each end saw them) and the bytes each sent.
    fn meet(a: &mut PeerSession, b: &mut PeerSession) -> (Vec<[u8; 16]>, Vec<[u8; 16]>, usize, usize) {
        let (mut seen_a, mut seen_b) = (None, None);
        for _ in 0..10 {
            while let Some(f) = a.poll_transmit() {
                b.handle_input(&f).unwrap();
            }
            while let Some(f) = b.poll_transmit() {
                a.handle_input(&f).unwrap();
            }
            for (s, seen) in [(&mut *a, &mut seen_a), (&mut *b, &mut seen_b)] {
                while let Some(ev) = s.poll_event() {
                    if let PeerEvent::Differing { documents } = ev {
                        *seen = Some(documents.into_iter().map(|(id, _)| id).collect::<Vec<_>>());
                    }
                }
            }
            if seen_a.is_some() && seen_b.is_some() {
                break;
            }
        }
        (
            seen_a.expect("a knows what differs"),
            seen_b.expect("b knows what differs"),
            a.bytes_sent,
            b.bytes_sent,
        )
    }

    #[test]
    fn devices_that_met_before_and_changed_nothing_send_no_summary_of_the_caseload() {
        let mine = caseload(200);
        let agreed = Agreement::of(&mine);
        let mut a = PeerSession::new(TEAM, mine.clone(), Some(&agreed));
        let mut b = PeerSession::new(TEAM, mine.clone(), Some(&agreed));
        let (da, db, sent_a, sent_b) = meet(&mut a, &mut b);
        assert!(da.is_empty() && db.is_empty());
        assert!(sent_a < 100 && sent_b < 100, "{sent_a} and {sent_b} bytes for 200 unchanged documents");
    }

    #[test]
    fn against_the_same_agreement_exactly_what_changed_on_either_side_is_synced() {
        let before = caseload(200);
        let agreed = Agreement::of(&before);
        let mut mine = before.clone();
        mine[3].heads = [2; 8]; // edited here
        mine.push(entry(250, 1)); // a new record here
        let mut theirs = before.clone();
        theirs[7].heads = [3; 8]; // edited there
        theirs.retain(|e| e.document != [9; 16]); // gone there
        let mut a = PeerSession::new(TEAM, mine.clone(), Some(&agreed));
        let mut b = PeerSession::new(TEAM, theirs.clone(), Some(&agreed));
        let (da, db, sent_a, _) = meet(&mut a, &mut b);
        let expected = differing(
            &mine.iter().map(|e| (e.document, *e)).collect(),
            &theirs.iter().map(|e| (e.document, *e)).collect(),
        );
        let expected: Vec<[u8; 16]> = expected.into_iter().map(|(id, _)| id).collect();
        assert_eq!(expected, vec![[4; 16], [8; 16], [9; 16], [250; 16]]);
        assert_eq!(da, expected);
        assert_eq!(db, expected, "both ends sync the same documents");
        assert!(sent_a < 200, "{sent_a} bytes for two changes");
    }

    #[test]
    fn a_device_that_lost_the_agreement_makes_both_send_whole_summaries() {
        let before = caseload(50);
        let agreed = Agreement::of(&before);
        let mut theirs = before.clone();
        theirs[0].heads = [5; 8];
        // Lost on one side; on the other side a different agreement (the last sync there
        // ended elsewhere); and none on both.
        let other = Agreement::of(&caseload(49));
        for (x, y) in
            [(Some(&agreed), None), (None, Some(&agreed)), (Some(&agreed), Some(&other)), (None, None)]
        {
            let mut a = PeerSession::new(TEAM, before.clone(), x);
            let mut b = PeerSession::new(TEAM, theirs.clone(), y);
            let (da, db, sent_a, sent_b) = meet(&mut a, &mut b);
            assert_eq!(da, vec![[1; 16]]);
            assert_eq!(db, vec![[1; 16]]);
            assert!(sent_a > 50 * 24 && sent_b > 50 * 24, "whole summaries went both ways");
        }
    }
}
