//! Who wrote a change: each device signs the newest change it made to a document (its
//! *actor head*). Automerge changes by one actor form a chain (each depends on the one
//! before), so one signature on the newest covers every earlier change by that actor. A
//! change whose actor is registered to a device is accepted only under a head that
//! device signed, so no one can write, or take the place of, a colleague's change.

use crate::crypto::{DeviceKey, verify_signature};
use serde::{Deserialize, Serialize};

const CONTEXT: &[u8] = b"hedgerow/actor-head/v1\0";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorHead {
    /// The Automerge actor id.
    pub actor: [u8; 16],
    /// The change's sequence number among that actor's changes.
    pub seq: u64,
    /// The change's hash.
    pub change: [u8; 32],
    /// Ed25519 by the device the registry gives the actor to (see [`ActorHead::bytes`]).
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for ActorHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActorHead({} #{})", hex::encode(&self.actor[..4]), self.seq)
    }
}

impl ActorHead {
    fn bytes(team: &[u8; 16], document: &[u8; 16], actor: &[u8; 16], seq: u64, change: &[u8; 32]) -> Vec<u8> {
        [CONTEXT, team.as_slice(), document, actor, &seq.to_be_bytes(), change].concat()
    }

    pub fn sign(
        key: &DeviceKey,
        team: &[u8; 16],
        document: &[u8; 16],
        actor: [u8; 16],
        seq: u64,
        change: [u8; 32],
    ) -> Self {
        let signature = key.sign(&Self::bytes(team, document, &actor, seq, &change)).to_vec();
        Self { actor, seq, change, signature }
    }

    /// Whether `device` signed this head of `document` in `team`.
    pub fn verifies(&self, team: &[u8; 16], document: &[u8; 16], device: &[u8; 32]) -> bool {
        verify_signature(
            device,
            &Self::bytes(team, document, &self.actor, self.seq, &self.change),
            &self.signature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_verifies_only_for_its_signer_team_and_document() {
        let k = DeviceKey::generate().unwrap();
        let other = DeviceKey::generate().unwrap();
        let h = ActorHead::sign(&k, &[1; 16], &[2; 16], [3; 16], 7, [4; 32]);
        assert!(h.verifies(&[1; 16], &[2; 16], &k.public_key()));
        assert!(!h.verifies(&[1; 16], &[2; 16], &other.public_key()));
        assert!(!h.verifies(&[9; 16], &[2; 16], &k.public_key()));
        assert!(!h.verifies(&[1; 16], &[9; 16], &k.public_key()));
        let mut later = h.clone();
        later.seq = 8;
        assert!(!later.verifies(&[1; 16], &[2; 16], &k.public_key()));
    }
}
