//! The device's Ed25519 identity. One 32-byte seed gives the signing key for visit notes
//! and sync bundles, the iroh endpoint key (so the endpoint id *is* the device's public
//! key), and, through HKDF, the X25519 key that new team keys are sealed to.

use super::CryptoError;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

/// The fixed prefix of the PKCS#8 v2 documents that ring generates for Ed25519; the seed
/// follows it. Stores written before devices kept their seed hold such a document.
const RING_PKCS8_V2_PREFIX: [u8; 16] =
    [0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

pub struct DeviceKey {
    pair: Ed25519KeyPair,
    seed: Zeroizing<[u8; 32]>,
}

impl DeviceKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Self::from_seed(super::random_bytes::<32>()?)
    }

    pub fn from_seed(seed: [u8; 32]) -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| CryptoError::DeviceKey)?;
        Ok(Self { pair, seed: Zeroizing::new(seed) })
    }

    /// Reads the key as the store keeps it: the seed, or (older stores) ring's PKCS#8.
    pub fn from_stored(bytes: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(seed) = <[u8; 32]>::try_from(bytes) {
            return Self::from_seed(seed);
        }
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| CryptoError::DeviceKey)?;
        let seed: [u8; 32] = bytes
            .strip_prefix(&RING_PKCS8_V2_PREFIX)
            .and_then(|rest| rest.get(..32))
            .and_then(|s| s.try_into().ok())
            .ok_or(CryptoError::DeviceKey)?;
        let key = Self::from_seed(seed)?;
        // The seed must give the same key the document holds.
        if key.public_key().as_slice() != pair.public_key().as_ref() {
            return Err(CryptoError::DeviceKey);
        }
        Ok(key)
    }

    /// The private seed, for sealing into the store.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// The static X25519 secret that team keys are sealed to, derived from the seed.
    pub fn x25519_secret(&self) -> x25519_dalek::StaticSecret {
        let bytes = super::hkdf32(self.seed.as_slice(), b"hedgerow device", b"x25519");
        x25519_dalek::StaticSecret::from(*bytes)
    }

    pub fn x25519_public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.x25519_secret()).to_bytes()
    }
}

pub fn verify_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key).verify(message, signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_reload() {
        let k = DeviceKey::generate().unwrap();
        let sig = k.sign(b"visit body");
        assert!(verify_signature(&k.public_key(), b"visit body", &sig));
        assert!(!verify_signature(&k.public_key(), b"visit body!", &sig));
        let again = DeviceKey::from_stored(k.seed()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        assert_eq!(again.x25519_public(), k.x25519_public());
        assert!(DeviceKey::from_stored(b"not a key").is_err());
    }

    #[test]
    fn older_stores_pkcs8_gives_the_same_key() {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ring_pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let k = DeviceKey::from_stored(doc.as_ref()).unwrap();
        assert_eq!(k.public_key().as_slice(), ring_pair.public_key().as_ref());
        let mut bent = doc.as_ref().to_vec();
        bent[20] ^= 1;
        assert!(DeviceKey::from_stored(&bent).is_err());
    }
}
