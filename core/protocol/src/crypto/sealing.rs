//! Authenticated encryption of everything the store writes, bound to where it is written.

use super::{CryptoError, random_bytes};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::{hkdf, hmac};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;

/// The store's random 256-bit data key, wrapped in the vault under the passphrase key.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Derives a purpose-specific subkey, so that one key never serves two jobs.
    fn subkey(&self, purpose: &'static [u8]) -> Zeroizing<[u8; 32]> {
        struct Len32;
        impl hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"hedgerow store v1").extract(self.0.as_slice());
        let mut out = Zeroizing::new([0u8; 32]);
        let info = [purpose];
        let okm = prk.expand(&info, Len32).expect("32 bytes is a valid HKDF-SHA256 length");
        okm.fill(out.as_mut_slice()).expect("length matches");
        out
    }

    pub fn sealer(&self) -> Sealer {
        Sealer::new(&self.subkey(b"seal"))
    }

    pub fn blind_index(&self) -> BlindIndex {
        BlindIndex(hmac::Key::new(hmac::HMAC_SHA256, self.subkey(b"blind index").as_slice()))
    }
}

/// AES-256-GCM with a random 96-bit nonce. Sealed form: `[1][nonce; 12][ciphertext + tag]`.
/// The associated data names the slot the bytes belong to, so sealed values cannot be
/// swapped between rows without detection.
pub struct Sealer(LessSafeKey);

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte AES-256 key")))
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(1 + NONCE_LEN);
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(aad), &mut body)
            .map_err(|_| CryptoError::Tampered)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The plaintext, in a buffer wiped when dropped (as is the working copy).
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (&format, rest) = sealed.split_first().ok_or(CryptoError::Tampered)?;
        if format != FORMAT_V1 {
            return Err(CryptoError::UnknownFormat(format));
        }
        if rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CryptoError::Tampered);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Tampered)?;
        // Opened in place and handed back in the same buffer: one copy to wipe, not two.
        let mut body = Zeroizing::new(body.to_vec());
        let len =
            self.0.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| CryptoError::Tampered)?.len();
        body.truncate(len);
        Ok(body)
    }
}

/// A keyed hash for exact-match lookups (an NHS number) without storing the value.
pub struct BlindIndex(hmac::Key);

impl BlindIndex {
    pub fn of(&self, purpose: &str, value: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(purpose.as_bytes());
        ctx.update(&[0]);
        ctx.update(value.as_bytes());
        ctx.sign().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let key = DataKey::generate().unwrap();
        let s = key.sealer();
        let sealed = s.seal(b"slot-1", b"Edith Marsh").unwrap();
        assert_eq!(s.open(b"slot-1", &sealed).unwrap().as_slice(), b"Edith Marsh");
        assert!(!sealed.windows(5).any(|w| w == b"Edith"));
        // Another slot, a flipped bit, a truncation, another key: all refused.
        assert!(matches!(s.open(b"slot-2", &sealed), Err(CryptoError::Tampered)));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(s.open(b"slot-1", &flipped).is_err());
        assert!(s.open(b"slot-1", &sealed[..sealed.len() - 1]).is_err());
        assert!(s.open(b"slot-1", &[]).is_err());
        assert!(DataKey::generate().unwrap().sealer().open(b"slot-1", &sealed).is_err());
        let mut future = sealed.clone();
        future[0] = 9;
        assert!(matches!(s.open(b"slot-1", &future), Err(CryptoError::UnknownFormat(9))));
    }

    #[test]
    fn nonces_differ_between_seals() {
        let s = DataKey::generate().unwrap().sealer();
        assert_ne!(s.seal(b"a", b"same").unwrap(), s.seal(b"a", b"same").unwrap());
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let k = DataKey::generate().unwrap();
        let a = k.blind_index().of("nhs", "9434765919");
        assert_eq!(a, k.blind_index().of("nhs", "9434765919"));
        assert_ne!(a, k.blind_index().of("nhs", "9434765910"));
        assert_ne!(a, DataKey::generate().unwrap().blind_index().of("nhs", "9434765919"));
    }
}
