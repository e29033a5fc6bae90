//! Enrolling a new device through the relay without the relay learning the team key: the
//! new device's side, [`EnrolSession`]. The invite code and the sealed offer are the
//! protocol's ([`hedgerow_protocol::enrolment`]).

use super::client::SyncError;
use super::registry::{SignedStatement, Statement, StatementBody};
use super::wire::{FrameDecoder, PROTOCOL_VERSION, Reply, Request, decode, frame};
use crate::crypto::DeviceKey;
pub use hedgerow_protocol::enrolment::{InviteCode, Offer};
use std::collections::VecDeque;

/// The new device's side of an enrolment: Hello, then a claim with its signed Join.
pub struct EnrolSession {
    decoder: FrameDecoder,
    transmit: VecDeque<Vec<u8>>,
    welcomed: bool,
    offer: Option<Vec<u8>>,
}

impl EnrolSession {
    /// `actor` is the Automerge actor the new device will write with.
    pub fn new(me: &DeviceKey, code: &InviteCode, actor: [u8; 16], now: i64) -> Self {
        let x25519 = me.x25519_public();
        let proof = code.proof(&me.public_key(), &x25519, &actor);
        let join = SignedStatement::sign(
            me,
            &Statement {
                team: code.team,
                issued_at: now,
                body: StatementBody::Join { invite: code.key(), x25519, actor, proof },
            },
        );
        let transmit = VecDeque::from([
            frame(&Request::Hello { version: PROTOCOL_VERSION, team: code.team }),
            frame(&Request::ClaimInvite { join }),
        ]);
        Self { decoder: FrameDecoder::default(), transmit, welcomed: false, offer: None }
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// Feeds bytes; returns the sealed offer once it has come.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, SyncError> {
        self.decoder.push(bytes);
        while let Some(p) = self.decoder.next_frame()? {
            match decode::<Reply>(&p)? {
                Reply::Refused { code, message } => return Err(SyncError::Refused { code, message }),
                Reply::Welcome { .. } if !self.welcomed => self.welcomed = true,
                Reply::Offer { offer } if self.welcomed => self.offer = Some(offer),
                other => {
                    return Err(SyncError::Protocol(format!("unexpected reply during enrolment: {other:?}")));
                }
            }
        }
        Ok(self.offer.take())
    }
}
