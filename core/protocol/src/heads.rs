//! Who wrote a change: each device signs the newest change it made to a document (its
//! *actor head*). Automerge changes by one actor form a chain (each depends on the one
//! before), so one signature on the newest covers every earlier change by that actor. A
//! change whose actor is registered to a device is accepted only under a head that
//! device signed, so no one can write, or take the place of, a colleague's change.

use crate::crypto::{DeviceKey, verify_signature};
use serde::{Deserialize, Serialize};

const CONTEXT: &[u8] = b"hedgerow/actor-head/v1\0";
const VOUCH_CONTEXT: &[u8] = b"hedgerow/actor-vouch/v1\0";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorHead {
    /// The Automerge actor id.
    pub actor: [u8; 16],
    /// The change's sequence number among that actor's changes.
    pub seq: u64,
    /// The change's hash.
    pub change: [u8; 32],
    /// Ed25519 by the device the registry gives the actor to (see [`ActorHead::bytes`]);
    /// or, for a vouch, the vouching device's key followed by its signature.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for ActorHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActorHead({} #{})", hex::encode(&self.actor[..4]), self.seq)
    }
}

impl ActorHead {
    fn bytes_with(
        context: &[u8],
        team: &[u8; 16],
        document: &[u8; 16],
        actor: &[u8; 16],
        seq: u64,
        change: &[u8; 32],
    ) -> Vec<u8> {
        [context, team.as_slice(), document, actor, &seq.to_be_bytes(), change].concat()
    }

    fn bytes(team: &[u8; 16], document: &[u8; 16], actor: &[u8; 16], seq: u64, change: &[u8; 32]) -> Vec<u8> {
        Self::bytes_with(CONTEXT, team, document, actor, seq, change)
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

    /// A device's word for changes by an actor that is no device of the team: history it
    /// brings with it (the demo's fictional colleagues). Never stands for a registered
    /// actor, whose own device must sign; the authors stay "not confirmed by the team".
    pub fn vouch(
        key: &DeviceKey,
        team: &[u8; 16],
        document: &[u8; 16],
        actor: [u8; 16],
        seq: u64,
        change: [u8; 32],
    ) -> Self {
        let signed = key.sign(&Self::bytes_with(VOUCH_CONTEXT, team, document, &actor, seq, &change));
        let signature = [key.public_key().as_slice(), &signed[..]].concat();
        Self { actor, seq, change, signature }
    }

    /// The device that vouched for this head, if it is a vouch whose signature checks.
    pub fn vouched_by(&self, team: &[u8; 16], document: &[u8; 16]) -> Option<[u8; 32]> {
        let (by, signature) = self.signature.split_first_chunk::<32>()?;
        let bytes = Self::bytes_with(VOUCH_CONTEXT, team, document, &self.actor, self.seq, &self.change);
        verify_signature(by, &bytes, signature).then_some(*by)
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

    #[test]
    fn a_vouch_names_its_signer_and_is_never_an_own_head() {
        let k = DeviceKey::generate().unwrap();
        let v = ActorHead::vouch(&k, &[1; 16], &[2; 16], [3; 16], 7, [4; 32]);
        assert_eq!(v.vouched_by(&[1; 16], &[2; 16]), Some(k.public_key()));
        assert_eq!(v.vouched_by(&[1; 16], &[9; 16]), None);
        assert!(!v.verifies(&[1; 16], &[2; 16], &k.public_key()));
        let own = ActorHead::sign(&k, &[1; 16], &[2; 16], [3; 16], 7, [4; 32]);
        assert_eq!(own.vouched_by(&[1; 16], &[2; 16]), None);
        // Another key put in front of the signature does not pass for it.
        let mut stolen = v.clone();
        stolen.signature[..32].copy_from_slice(&DeviceKey::generate().unwrap().public_key());
        assert_eq!(stolen.vouched_by(&[1; 16], &[2; 16]), None);
    }
}
