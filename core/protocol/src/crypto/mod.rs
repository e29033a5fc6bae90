//! Keys and sealing. Every primitive comes from ring (AES-256-GCM, HKDF, HMAC, Ed25519,
//! random numbers) or x25519-dalek; none is written here.

use zeroize::Zeroizing;

mod device_key;
mod sealing;

pub use device_key::{DeviceKey, verify_signature};
pub use sealing::{BlindIndex, DataKey, Sealer};

/// What can go wrong with keys and sealed data.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    #[error("sealed data failed its integrity check (damaged, or written with another key)")]
    Tampered,
    #[error("sealed data is in an unknown format (version {0})")]
    UnknownFormat(u8),
    #[error("the key derivation parameters are invalid: {0}")]
    KdfParams(String),
    #[error("the device key is unreadable")]
    DeviceKey,
    #[error("the system random number generator failed")]
    Random,
}

/// Fills a fresh array from the system's secure random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// HKDF-SHA256 of `ikm` to 32 bytes, for one named purpose.
pub fn hkdf32(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    struct Len32;
    impl ring::hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    let info = [info];
    let okm = prk.expand(&info, Len32).expect("32 bytes is a valid HKDF-SHA256 length");
    okm.fill(out.as_mut_slice()).expect("length matches");
    out
}
