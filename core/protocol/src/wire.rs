//! Framing and messages of the relay protocol (docs/sync-protocol.md).
//!
//! A frame is a 4-byte big-endian length and that many bytes of payload; the payload is
//! one message in postcard encoding. Nothing here does IO.

use crate::keys::KeyId;
use crate::registry::{PositionedStatement, SignedStatement};
use serde::{Deserialize, Serialize};

/// The ALPN both ends offer. It names the protocol family and its framing, which every
/// version keeps, together with `Hello` and `Refused` at their places, so that a device and
/// a relay of different versions always meet and the mismatch is a clear refusal.
pub const RELAY_ALPN: &[u8] = b"hedgerow/relay/1";
/// The protocol version carried in `Hello`; a relay refuses one it does not speak.
pub const PROTOCOL_VERSION: u16 = 2;
/// The largest frame payload either end accepts.
pub const MAX_FRAME: usize = 8 * 1024 * 1024;
/// Senders keep the entries of one message under this, leaving room for the envelope.
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// The largest single bundle (its sealed bytes).
pub const MAX_BUNDLE: usize = BATCH_BYTES;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("a frame announced {0} bytes, over the limit of {MAX_FRAME}")]
    Oversized(usize),
    #[error("a frame does not decode as a protocol message: {0}")]
    Malformed(String),
    #[error("the connection ended in the middle of a frame ({0} bytes left over)")]
    Truncated(usize),
}

/// What the relay keeps for each uploaded bundle, and all it can see of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The device that sealed and signed it (its Ed25519 public key = iroh endpoint id).
    pub author: [u8; 32],
    /// Which team key sealed it.
    pub key: KeyId,
    /// An opaque tag of the document under that key (a keyed hash of its id), so that a
    /// snapshot can replace its author's earlier bundles without the relay learning which
    /// document it is.
    pub doc_tag: [u8; 16],
    pub kind: EntryKind,
    /// `[nonce; 12][ciphertext + tag]`.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
    /// Ed25519 over the entry's signing bytes (see `bundle::header`).
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogEntry")
            .field("author", &hex::encode(&self.author[..4]))
            .field("epoch", &self.key.epoch)
            .field("kind", &self.kind)
            .field("sealed_bytes", &self.sealed.len())
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// New changes to one document (Automerge `save_after`).
    Changes,
    /// The author's whole copy of one document. The relay drops the author's own earlier
    /// Changes and Snapshots of it, under `doc_tag` and under `earlier_tags` (the same
    /// document's tags under older team keys), and nothing else.
    Snapshot { earlier_tags: Vec<[u8; 16]> },
    /// Team keys sealed to one device's X25519 key.
    TeamKey { recipient: [u8; 32] },
    /// A run of the author's audit entries, `first` being the first one's number.
    Audit { first: u64, count: u32 },
    /// A letter from a device of partner team `from` (a referral, or the answer to one),
    /// sealed to this team's sharing key (`letter.rs`).
    Letter { from: [u8; 16] },
}

impl EntryKind {
    /// What the relay keeps about the kind, in the clear, for pruning and quotas.
    pub fn code(&self) -> &'static str {
        match self {
            EntryKind::Changes => "changes",
            EntryKind::Snapshot { .. } => "snapshot",
            EntryKind::TeamKey { .. } => "team-key",
            EntryKind::Audit { .. } => "audit",
            EntryKind::Letter { .. } => "letter",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Always first.
    Hello {
        version: u16,
        team: [u8; 16],
    },
    /// Registry statements (charter, grants, invites, revocations) signed by this device.
    Publish {
        statements: Vec<SignedStatement>,
    },
    Push {
        entries: Vec<LogEntry>,
    },
    /// The registry statements after the first `known`.
    GetRegistry {
        known: u32,
    },
    /// Every entry after `after`, streamed as `Entries` then `PullDone`. `log_id` names
    /// the log `after` belongs to; for any other log the relay serves from the start.
    Pull {
        after: u64,
        log_id: Option<[u8; 16]>,
    },
    /// An admin leaves a sealed enrolment offer for an invite it has published.
    PutOffer {
        invite: [u8; 32],
        offer: Vec<u8>,
    },
    /// A new device claims an invite with its signed `Join` statement.
    ClaimInvite {
        join: SignedStatement,
    },
    /// Letters for partner team `to`'s log, answered with `Pushed`, or `Undelivered` unless
    /// each team's registry names the other as a partner.
    Deliver {
        to: [u8; 16],
        entries: Vec<LogEntry>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Welcome {
        version: u16,
        enrolled: bool,
        /// A random id of the relay's log, made when its storage was created. A device
        /// whose cursor belongs to another log (a relay replaced or restored from backup)
        /// starts again from 0 and pushes everything again.
        log_id: [u8; 16],
    },
    Published {
        accepted: u32,
    },
    Pushed {
        first: u64,
        last: u64,
    },
    Registry {
        from: u32,
        statements: Vec<PositionedStatement>,
    },
    Entries {
        entries: Vec<(u64, LogEntry)>,
    },
    PullDone {
        /// The highest position scanned.
        cursor: u64,
        /// The highest position in the log. A device whose cursor is beyond it is looking at
        /// a log that went back (restored from backup), and starts again.
        high_water: u64,
    },
    OfferStored,
    /// A Deliver the relay did not carry, because the two teams do not trust each other
    /// (both ways, under the charters each trusted). The connection goes on.
    Undelivered {
        message: String,
    },
    Offer {
        offer: Vec<u8>,
    },
    /// The relay refuses and closes the connection.
    Refused {
        code: Refusal,
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    Version,
    Malformed,
    NotEnrolled,
    Revoked,
    BadSignature,
    BadStatement,
    InviteUnknown,
    TooLarge,
    Unavailable,
    /// The relay is at its connection limit; try again shortly.
    Busy,
    /// The team has used its storage allowance on this relay.
    Quota,
    /// A second `Hello`, or a request out of its place.
    OutOfOrder,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Version => "protocol version not supported",
            Refusal::Malformed => "malformed message",
            Refusal::NotEnrolled => "device not enrolled in this team",
            Refusal::Revoked => "device revoked",
            Refusal::BadSignature => "bad signature",
            Refusal::BadStatement => "registry statement refused",
            Refusal::InviteUnknown => "invite unknown, used or expired",
            Refusal::TooLarge => "too large",
            Refusal::Unavailable => "relay storage unavailable",
            Refusal::Busy => "relay busy",
            Refusal::Quota => "team storage allowance used up",
            Refusal::OutOfOrder => "request out of order",
        })
    }
}

/// Encodes one message as a frame.
pub fn frame<T: Serialize>(message: &T) -> Vec<u8> {
    let body = postcard::to_stdvec(message).expect("encoding to a Vec cannot fail");
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

pub fn decode<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, WireError> {
    postcard::from_bytes(payload).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Splits a byte stream into frame payloads.
#[derive(Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
}

impl FrameDecoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame's payload, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let Some(len) = self.buf.first_chunk::<4>().map(|b| u32::from_be_bytes(*b) as usize) else {
            return Ok(None);
        };
        if len > MAX_FRAME {
            return Err(WireError::Oversized(len));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let payload = self.buf[4..4 + len].to_vec();
        self.buf.drain(..4 + len);
        Ok(Some(payload))
    }

    /// Bytes held that are not yet a whole frame's.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Called when the stream ends: leftover bytes mean a frame was cut short.
    pub fn finish(&self) -> Result<(), WireError> {
        if self.buf.is_empty() { Ok(()) } else { Err(WireError::Truncated(self.buf.len())) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_across_any_split() {
        let msgs = vec![
            Request::Hello { version: 1, team: [7; 16] },
            Request::Pull { after: 12345, log_id: Some([3; 16]) },
            Request::GetRegistry { known: 3 },
        ];
        let bytes: Vec<u8> = msgs.iter().flat_map(frame).collect();
        for step in [1, 2, 3, 7, bytes.len()] {
            let mut d = FrameDecoder::default();
            let mut got = Vec::new();
            for piece in bytes.chunks(step) {
                d.push(piece);
                while let Some(p) = d.next_frame().unwrap() {
                    got.push(decode::<Request>(&p).unwrap());
                }
            }
            d.finish().unwrap();
            assert_eq!(got, msgs);
        }
    }

    #[test]
    fn oversized_truncated_and_garbage_frames_are_errors() {
        let mut d = FrameDecoder::default();
        d.push(&((MAX_FRAME as u32) + 1).to_be_bytes());
        assert_eq!(d.next_frame(), Err(WireError::Oversized(MAX_FRAME + 1)));

        let mut d = FrameDecoder::default();
        let f = frame(&Request::Pull { after: 1, log_id: None });
        d.push(&f[..f.len() - 1]);
        assert_eq!(d.next_frame(), Ok(None));
        assert!(matches!(d.finish(), Err(WireError::Truncated(_))));

        assert!(matches!(decode::<Request>(&[0xff, 0xff, 0xff]), Err(WireError::Malformed(_))));
    }
}
