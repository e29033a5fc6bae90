//! Team keys: one AES-256 key per epoch and minting admin, rotated when a device is
//! revoked, and sealed to each remaining device's X25519 key when they change.
//!
//! A key is named by its epoch and the admin device that made it ([`KeyId`]), so two
//! admins who rotate at the same moment each make their own key of the same epoch; every
//! device keeps both, and every bundle sealed under either still opens. A key already held
//! is never replaced, and a key may only be one epoch ahead of the newest held, so no one
//! can plant a far-future key that the team would then write under.

use crate::crypto::{CryptoError, DeviceKey, Sealer, hkdf32, random_bytes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Which team key: its epoch, and the admin device that made it. Ordered by epoch, then
/// minter, so the newest key is the greatest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId {
    pub epoch: u32,
    pub minter: [u8; 32],
}

/// A team key's bytes, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamKey(Zeroizing<[u8; 32]>);

impl TeamKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for TeamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamKey(..)")
    }
}

/// Why a key was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a different key of epoch {} by the same admin is already held: keys are never replaced", .0.epoch)]
    Conflicting(KeyId),
    #[error("epoch {} is more than one ahead of the newest key held ({newest}): refused", .id.epoch)]
    TooFarAhead { id: KeyId, newest: u32 },
    #[error("the team key epoch is at its maximum: the team must be re-created")]
    Exhausted,
}

/// Every team key this device holds. New bundles use the newest.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<KeyId, TeamKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKeyring {
    keys: Vec<(KeyId, [u8; 32])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> =
            self.keys.keys().map(|k| format!("{}/{}", k.epoch, hex::encode(&k.minter[..4]))).collect();
        f.debug_struct("Keyring").field("keys", &ids).finish()
    }
}

impl Keyring {
    /// A new team's first key, epoch 0, made by the founding device.
    pub fn generate(founder: [u8; 32]) -> Result<Self, CryptoError> {
        let mut k = Self::default();
        k.keys.insert(KeyId { epoch: 0, minter: founder }, TeamKey::new(random_bytes::<32>()?));
        Ok(k)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key new bundles are sealed with.
    pub fn current(&self) -> Option<KeyId> {
        self.keys.keys().next_back().copied()
    }

    pub fn newest_epoch(&self) -> Option<u32> {
        self.current().map(|k| k.epoch)
    }

    pub fn key(&self, id: &KeyId) -> Option<&TeamKey> {
        self.keys.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// Every key, oldest first, for sealing to a device that may lack any of them.
    pub fn all(&self) -> Vec<(KeyId, TeamKey)> {
        self.keys.iter().map(|(id, k)| (*id, k.clone())).collect()
    }

    /// Takes a key received from an admin. A key already held with the same bytes is
    /// nothing new (`Ok(false)`); one with other bytes, or more than one epoch ahead, is
    /// refused.
    pub fn insert_checked(&mut self, id: KeyId, key: TeamKey) -> Result<bool, KeyError> {
        if let Some(held) = self.keys.get(&id) {
            return if *held == key { Ok(false) } else { Err(KeyError::Conflicting(id)) };
        }
        if let Some(newest) = self.newest_epoch()
            && id.epoch > newest.saturating_add(1)
        {
            return Err(KeyError::TooFarAhead { id, newest });
        }
        self.keys.insert(id, key);
        Ok(true)
    }

    /// Takes keys in epoch order (as an admin sends them), each checked.
    pub fn merge(&mut self, mut keys: Vec<(KeyId, TeamKey)>) -> Result<Vec<KeyId>, KeyError> {
        keys.sort_by_key(|(id, _)| *id);
        let mut added = Vec::new();
        for (id, key) in keys {
            if self.insert_checked(id, key)? {
                added.push(id);
            }
        }
        Ok(added)
    }

    /// Makes the next epoch's key, minted by this admin device, and returns its id.
    pub fn rotate(&mut self, minter: [u8; 32]) -> Result<KeyId, KeyError> {
        let epoch = match self.newest_epoch() {
            None => 0,
            Some(e) => e.checked_add(1).ok_or(KeyError::Exhausted)?,
        };
        let id = KeyId { epoch, minter };
        let key = random_bytes::<32>().map_err(|_| KeyError::Exhausted)?;
        self.keys.insert(id, TeamKey::new(key));
        Ok(id)
    }

    /// The key for document tags under one team key: tags change when the key rotates, so a
    /// revoked device cannot link a document's new uploads to the ones it saw.
    pub fn tag_key(&self, id: &KeyId) -> Option<Zeroizing<[u8; 32]>> {
        self.key(id).map(|k| hkdf32(k.bytes(), b"hedgerow team", b"document tag"))
    }

    /// The team's X25519 secret under one team key, which other teams seal referrals to
    /// (its public half is on the team's card): every device holding the team key can
    /// derive it, and nobody else.
    pub fn sharing_secret(&self, id: &KeyId) -> Option<x25519_dalek::StaticSecret> {
        self.key(id).map(|k| {
            x25519_dalek::StaticSecret::from(*hkdf32(k.bytes(), b"hedgerow team", b"sharing x25519"))
        })
    }

    pub fn sharing_public(&self, id: &KeyId) -> Option<[u8; 32]> {
        self.sharing_secret(id).map(|s| x25519_dalek::PublicKey::from(&s).to_bytes())
    }

    pub fn bundle_sealer(&self, id: &KeyId) -> Option<Sealer> {
        self.key(id).map(|k| Sealer::new(&hkdf32(k.bytes(), b"hedgerow team", b"bundle")))
    }

    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let stored = StoredKeyring { keys: self.keys.iter().map(|(id, k)| (*id, *k.bytes())).collect() };
        Zeroizing::new(postcard::to_stdvec(&stored).expect("encoding to a Vec cannot fail"))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let stored: StoredKeyring = postcard::from_bytes(bytes).map_err(|_| CryptoError::Tampered)?;
        let mut k = Self::default();
        for (id, key) in stored.keys {
            k.keys.insert(id, TeamKey::new(key));
        }
        Ok(k)
    }
}

fn envelope_key(shared: &[u8; 32], team: &[u8; 16], recipient: &[u8; 32], eph: &[u8; 32]) -> Sealer {
    let info = [team.as_slice(), recipient, eph].concat();
    Sealer::new(&hkdf32(shared, b"hedgerow team key envelope v2", &info))
}

const ENVELOPE_AAD: &[u8] = b"hedgerow/team-keys/v2";

/// Seals team keys to one device: an ephemeral X25519 agreement with the device's static
/// key, HKDF, then AES-256-GCM. Output: `[ephemeral public; 32][sealed]`.
pub fn seal_team_keys(
    team: &[u8; 16],
    keys: &[(KeyId, TeamKey)],
    recipient: &[u8; 32],
    recipient_x25519: &[u8; 32],
) -> Result<Vec<u8>, CryptoError> {
    let eph_secret = x25519_dalek::StaticSecret::from(random_bytes::<32>()?);
    let eph_public = x25519_dalek::PublicKey::from(&eph_secret).to_bytes();
    let shared = eph_secret.diffie_hellman(&x25519_dalek::PublicKey::from(*recipient_x25519));
    if !shared.was_contributory() {
        return Err(CryptoError::DeviceKey);
    }
    let sealer = envelope_key(shared.as_bytes(), team, recipient, &eph_public);
    let plain: Vec<(KeyId, [u8; 32])> = keys.iter().map(|(id, k)| (*id, *k.bytes())).collect();
    let plain = Zeroizing::new(postcard::to_stdvec(&plain).expect("encoding to a Vec cannot fail"));
    let mut out = eph_public.to_vec();
    out.extend(sealer.seal(ENVELOPE_AAD, &plain)?);
    Ok(out)
}

/// Opens team keys sealed to this device.
pub fn open_team_keys(
    device: &DeviceKey,
    team: &[u8; 16],
    sealed: &[u8],
) -> Result<Vec<(KeyId, TeamKey)>, CryptoError> {
    let (eph, body) = sealed.split_first_chunk::<32>().ok_or(CryptoError::Tampered)?;
    let shared = device.x25519_secret().diffie_hellman(&x25519_dalek::PublicKey::from(*eph));
    let sealer = envelope_key(shared.as_bytes(), team, &device.public_key(), eph);
    let plain = sealer.open(ENVELOPE_AAD, body)?;
    let keys: Vec<(KeyId, [u8; 32])> = postcard::from_bytes(&plain).map_err(|_| CryptoError::Tampered)?;
    Ok(keys.into_iter().map(|(id, k)| (id, TeamKey::new(k))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: [u8; 32] = [1; 32];
    const BOB: [u8; 32] = [2; 32];

    #[test]
    fn team_keys_reach_only_their_recipient() {
        let alice = DeviceKey::generate().unwrap();
        let mallory = DeviceKey::generate().unwrap();
        let mut ring = Keyring::generate(ALICE).unwrap();
        let id = ring.rotate(ALICE).unwrap();
        assert_eq!(id.epoch, 1);
        let sealed =
            seal_team_keys(&[3; 16], &ring.all(), &alice.public_key(), &alice.x25519_public()).unwrap();
        let opened = open_team_keys(&alice, &[3; 16], &sealed).unwrap();
        assert_eq!(opened.len(), 2);
        assert_eq!(opened[1].1, *ring.key(&id).unwrap());
        assert!(open_team_keys(&mallory, &[3; 16], &sealed).is_err());
        assert!(open_team_keys(&alice, &[4; 16], &sealed).is_err(), "bound to the team");
        assert!(open_team_keys(&alice, &[3; 16], &sealed[..40]).is_err());
        let back = Keyring::from_bytes(&ring.to_bytes()).unwrap();
        assert_eq!(back.key(&id), ring.key(&id));
        assert_eq!(back.current(), Some(id));
        assert!(!format!("{back:?}").contains(&hex::encode(ring.key(&id).unwrap().bytes())));
    }

    #[test]
    fn a_held_key_is_never_replaced_and_a_far_future_epoch_is_refused() {
        let mut ring = Keyring::generate(ALICE).unwrap();
        let first = ring.current().unwrap();
        let held = ring.key(&first).unwrap().clone();
        assert_eq!(ring.insert_checked(first, held), Ok(false), "the same key again is nothing new");
        assert_eq!(ring.insert_checked(first, TeamKey::new([9; 32])), Err(KeyError::Conflicting(first)));
        let planted = KeyId { epoch: 1_000_000, minter: BOB };
        assert!(matches!(
            ring.insert_checked(planted, TeamKey::new([9; 32])),
            Err(KeyError::TooFarAhead { .. })
        ));
        let next = KeyId { epoch: 1, minter: BOB };
        assert_eq!(ring.insert_checked(next, TeamKey::new([5; 32])), Ok(true));
        assert_eq!(ring.current(), Some(next));
    }

    #[test]
    fn two_admins_rotating_at_once_both_keys_are_kept() {
        let mut alice = Keyring::generate(ALICE).unwrap();
        let mut bob = alice.clone();
        let a = alice.rotate(ALICE).unwrap();
        let b = bob.rotate(BOB).unwrap();
        assert_eq!((a.epoch, b.epoch), (1, 1));
        alice.merge(bob.all()).unwrap();
        bob.merge(alice.all()).unwrap();
        assert!(alice.key(&a).is_some() && alice.key(&b).is_some());
        assert_eq!(alice.current(), bob.current(), "both seal with the same newest key");
    }

    #[test]
    fn rotating_at_the_last_epoch_is_an_error_not_a_wrap() {
        let mut ring = Keyring::default();
        ring.keys.insert(KeyId { epoch: u32::MAX, minter: ALICE }, TeamKey::new([1; 32]));
        assert_eq!(ring.rotate(ALICE), Err(KeyError::Exhausted));
        assert_eq!(ring.newest_epoch(), Some(u32::MAX));
    }
}
