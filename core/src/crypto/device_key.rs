//! The device's Ed25519 identity: it signs visit notes now, and authenticates sync later.

use super::CryptoError;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

pub struct DeviceKey {
    pair: Ed25519KeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl DeviceKey {
    pub fn generate() -> Result<Self, CryptoError> {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
        Self::from_pkcs8(doc.as_ref())
    }

    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| CryptoError::DeviceKey)?;
        Ok(Self { pair, pkcs8: Zeroizing::new(bytes.to_vec()) })
    }

    /// The private key, for sealing into the store.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
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
        let again = DeviceKey::from_pkcs8(k.pkcs8()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        assert!(DeviceKey::from_pkcs8(b"not a key").is_err());
    }
}
