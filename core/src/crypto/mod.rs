//! Keys and sealing. Every primitive comes from ring (AES-256-GCM, HKDF, HMAC, Ed25519,
//! random numbers) or RustCrypto's argon2; none is written here.

mod device_key;
mod sealing;
mod vault;

pub use device_key::{DeviceKey, verify_signature};
pub use sealing::{BlindIndex, DataKey, Sealer};
pub use vault::{KdfParams, Vault};

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
