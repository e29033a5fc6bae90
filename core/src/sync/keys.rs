//! Team keys: one AES-256 key per epoch, rotated when a device is revoked, and sealed
//! to each remaining device's X25519 key when they change.

use crate::crypto::{CryptoError, DeviceKey, Sealer, hkdf32, random_bytes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Every team key this device holds, by epoch. New bundles use the newest.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
}

#[derive(Serialize, Deserialize)]
struct StoredKeyring {
    keys: Vec<(u32, [u8; 32])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("epochs", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

impl Keyring {
    /// A new team's first key, epoch 0.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = Self::default();
        k.keys.insert(0, Zeroizing::new(random_bytes::<32>()?));
        Ok(k)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn current_epoch(&self) -> Option<u32> {
        self.keys.keys().next_back().copied()
    }

    pub fn key(&self, epoch: u32) -> Option<&[u8; 32]> {
        self.keys.get(&epoch).map(|k| &**k)
    }

    pub fn insert(&mut self, epoch: u32, key: [u8; 32]) {
        self.keys.insert(epoch, Zeroizing::new(key));
    }

    /// Makes the next epoch's key and returns it.
    pub fn rotate(&mut self) -> Result<(u32, [u8; 32]), CryptoError> {
        let epoch = self.current_epoch().map_or(0, |e| e + 1);
        let key = random_bytes::<32>()?;
        self.insert(epoch, key);
        Ok((epoch, key))
    }

    /// The key for document tags: from epoch 0, so a document keeps its tag across rotations.
    pub fn tag_key(&self) -> Option<Zeroizing<[u8; 32]>> {
        self.key(0).map(|k| hkdf32(k, b"hedgerow team", b"document tag"))
    }

    pub fn bundle_sealer(&self, epoch: u32) -> Option<Sealer> {
        self.key(epoch).map(|k| Sealer::new(&hkdf32(k, b"hedgerow team", b"bundle")))
    }

    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let stored = StoredKeyring { keys: self.keys.iter().map(|(e, k)| (*e, **k)).collect() };
        Zeroizing::new(postcard::to_stdvec(&stored).expect("encoding to a Vec cannot fail"))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let stored: StoredKeyring = postcard::from_bytes(bytes).map_err(|_| CryptoError::Tampered)?;
        let mut k = Self::default();
        for (e, key) in stored.keys {
            k.insert(e, key);
        }
        Ok(k)
    }
}

fn envelope_key(
    shared: &[u8; 32],
    team: &[u8; 16],
    epoch: u32,
    recipient: &[u8; 32],
    eph: &[u8; 32],
) -> Sealer {
    let info = [team.as_slice(), &epoch.to_be_bytes(), recipient, eph].concat();
    Sealer::new(&hkdf32(shared, b"hedgerow team key envelope", &info))
}

/// Seals a team key to one device: an ephemeral X25519 agreement with the device's
/// static key, HKDF, then AES-256-GCM. Output: `[ephemeral public; 32][sealed]`.
pub fn seal_team_key(
    team: &[u8; 16],
    epoch: u32,
    key: &[u8; 32],
    recipient: &[u8; 32],
    recipient_x25519: &[u8; 32],
) -> Result<Vec<u8>, CryptoError> {
    let eph_secret = x25519_dalek::StaticSecret::from(random_bytes::<32>()?);
    let eph_public = x25519_dalek::PublicKey::from(&eph_secret).to_bytes();
    let shared = eph_secret.diffie_hellman(&x25519_dalek::PublicKey::from(*recipient_x25519));
    if !shared.was_contributory() {
        return Err(CryptoError::DeviceKey);
    }
    let sealer = envelope_key(shared.as_bytes(), team, epoch, recipient, &eph_public);
    let mut out = eph_public.to_vec();
    out.extend(sealer.seal(b"hedgerow/team-key/v1", key)?);
    Ok(out)
}

/// Opens a team key sealed to this device.
pub fn open_team_key(
    device: &DeviceKey,
    team: &[u8; 16],
    epoch: u32,
    sealed: &[u8],
) -> Result<[u8; 32], CryptoError> {
    let (eph, body) = sealed.split_first_chunk::<32>().ok_or(CryptoError::Tampered)?;
    let shared = device.x25519_secret().diffie_hellman(&x25519_dalek::PublicKey::from(*eph));
    let sealer = envelope_key(shared.as_bytes(), team, epoch, &device.public_key(), eph);
    let key = Zeroizing::new(sealer.open(b"hedgerow/team-key/v1", body)?);
    key.as_slice().try_into().map_err(|_| CryptoError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_keys_reach_only_their_recipient() {
        let alice = DeviceKey::generate().unwrap();
        let mallory = DeviceKey::generate().unwrap();
        let mut ring = Keyring::generate().unwrap();
        let (epoch, key) = ring.rotate().unwrap();
        assert_eq!(epoch, 1);
        let sealed =
            seal_team_key(&[3; 16], epoch, &key, &alice.public_key(), &alice.x25519_public()).unwrap();
        assert_eq!(open_team_key(&alice, &[3; 16], epoch, &sealed).unwrap(), key);
        assert!(open_team_key(&mallory, &[3; 16], epoch, &sealed).is_err());
        assert!(open_team_key(&alice, &[3; 16], epoch + 1, &sealed).is_err());
        assert!(open_team_key(&alice, &[3; 16], epoch, &sealed[..40]).is_err());
        let back = Keyring::from_bytes(&ring.to_bytes()).unwrap();
        assert_eq!(back.key(1), Some(&key));
        assert_eq!(back.current_epoch(), Some(1));
    }
}
