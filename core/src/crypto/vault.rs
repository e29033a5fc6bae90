//! The passphrase unlocks a key-encryption key (Argon2id) that unwraps the store's data key.
//! Changing the passphrase re-wraps one key; nothing else is re-encrypted.

use super::{CryptoError, DataKey, Sealer, random_bytes};
use zeroize::Zeroizing;

const WRAP_AAD: &[u8] = b"hedgerow vault data key v1";

/// Argon2id cost parameters, stored beside the salt so they can be raised later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Default for KdfParams {
    /// RFC 9106's memory-constrained Argon2id choice (64 MiB, 3 passes), on one lane:
    /// costly for an attacker with a stolen laptop, about a tenth of a second to unlock.
    fn default() -> Self {
        Self { memory_kib: 64 * 1024, iterations: 3, lanes: 1 }
    }
}

/// What the store keeps to unlock itself: no secret, only the means to check one.
#[derive(Clone, Debug)]
pub struct Vault {
    pub salt: [u8; 16],
    pub params: KdfParams,
    pub wrapped_key: Vec<u8>,
}

impl Vault {
    /// Makes a new vault around a fresh data key.
    pub fn create(passphrase: &str, params: KdfParams) -> Result<(Self, DataKey), CryptoError> {
        let salt = random_bytes::<16>()?;
        let kek = derive(passphrase, &salt, params)?;
        let data_key = DataKey::generate()?;
        let wrapped_key = Sealer::new(&kek).seal(WRAP_AAD, data_key.as_bytes())?;
        Ok((Self { salt, params, wrapped_key }, data_key))
    }

    /// Unwraps the data key; a wrong passphrase fails the AEAD check.
    pub fn unlock(&self, passphrase: &str) -> Result<DataKey, CryptoError> {
        let kek = derive(passphrase, &self.salt, self.params)?;
        let plain = Zeroizing::new(
            Sealer::new(&kek).open(WRAP_AAD, &self.wrapped_key).map_err(|_| CryptoError::WrongPassphrase)?,
        );
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| CryptoError::WrongPassphrase)?;
        Ok(DataKey::from_bytes(bytes))
    }
}

fn derive(passphrase: &str, salt: &[u8; 16], p: KdfParams) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let params = argon2::Params::new(p.memory_kib, p.iterations, p.lanes, Some(32))
        .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut_slice())
        .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_passphrase_unlocks_wrong_one_does_not() {
        let params = KdfParams { memory_kib: 1024, iterations: 1, lanes: 1 };
        let (vault, key) = Vault::create("correct horse", params).unwrap();
        assert_eq!(vault.unlock("correct horse").unwrap().as_bytes(), key.as_bytes());
        assert!(matches!(vault.unlock("correct hors"), Err(CryptoError::WrongPassphrase)));
        assert!(matches!(vault.unlock(""), Err(CryptoError::WrongPassphrase)));
    }

    #[test]
    fn default_params_are_accepted() {
        let (vault, _) = Vault::create("pass", KdfParams::default()).unwrap();
        assert!(vault.unlock("pass").is_ok());
    }
}
