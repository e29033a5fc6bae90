//! Letters between teams: a referral, or the answer to one, sealed by a device of one team
//! to another team's sharing key (on that team's card) and carried by the relay into the
//! other team's log. What a letter says is the device's business; here it is bytes.
//!
//! A letter carries its author's team registry, so that the receiving team checks the
//! author against the charter its admin trusted (the fingerprint they read to each other),
//! and every device the sending team had enrolled when it wrote.

use crate::bundle::{BundleError, deflate, header, inflate, sign_entry, signature_verifies};
use crate::crypto::{DeviceKey, Sealer, hkdf32, random_bytes};
use crate::keys::{KeyId, Keyring};
use crate::registry::{PositionedStatement, Registry};
use crate::wire::{EntryKind, LogEntry, MAX_BUNDLE};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The most registry statements a letter may carry.
pub const MAX_REGISTRY: usize = 4096;

#[derive(Serialize, Deserialize)]
struct LetterBody {
    registry: Vec<PositionedStatement>,
    #[serde(with = "serde_bytes")]
    content: Vec<u8>,
}

/// A letter that opened: from which team, which device wrote it, the sending team's
/// registry as it came, and what it says.
pub struct OpenedLetter {
    pub from: [u8; 16],
    pub author: [u8; 32],
    /// The digest of the sending team's charter: its fingerprint, for the receiving device
    /// to compare with the partner its admin trusted.
    pub charter: [u8; 32],
    pub registry: Registry,
    pub content: Zeroizing<Vec<u8>>,
}

fn letter_key(
    shared: &[u8; 32],
    to: &[u8; 16],
    from: &[u8; 16],
    author: &[u8; 32],
    eph: &[u8; 32],
) -> Sealer {
    let info = [to.as_slice(), from, author, eph].concat();
    Sealer::new(&hkdf32(shared, b"hedgerow letter v1", &info))
}

/// Seals `content` from `me` (a device of `registry`'s team) to team `to`, whose sharing
/// key `sharing_key` (derived from its team key `sharing_key_id`) is on its card: an
/// ephemeral X25519 agreement, HKDF, AES-256-GCM bound to the entry's header. Output: a
/// signed log entry for team `to`'s log, `sealed = [ephemeral public; 32][sealed]`.
pub fn seal_letter(
    me: &DeviceKey,
    registry: &Registry,
    to: [u8; 16],
    sharing_key: &[u8; 32],
    sharing_key_id: KeyId,
    content: &[u8],
) -> Result<LogEntry, BundleError> {
    let from = registry.team();
    let author = me.public_key();
    let eph_secret = x25519_dalek::StaticSecret::from(random_bytes::<32>()?);
    let eph_public = x25519_dalek::PublicKey::from(&eph_secret).to_bytes();
    let shared = eph_secret.diffie_hellman(&x25519_dalek::PublicKey::from(*sharing_key));
    if !shared.was_contributory() {
        return Err(BundleError::Sealed);
    }
    let kind = EntryKind::Letter { from };
    let aad = header(&to, &author, &sharing_key_id, &[0; 16], &kind);
    let body = LetterBody { registry: registry.statements().to_vec(), content: content.to_vec() };
    let plain = Zeroizing::new(postcard::to_stdvec(&body).expect("encoding to a Vec cannot fail"));
    let sealer = letter_key(shared.as_bytes(), &to, &from, &author, &eph_public);
    let mut sealed = eph_public.to_vec();
    sealed.extend(sealer.seal(&aad, &deflate(&plain))?);
    if sealed.len() > MAX_BUNDLE {
        return Err(BundleError::TooLarge(sealed.len()));
    }
    let entry =
        LogEntry { author, key: sharing_key_id, doc_tag: [0; 16], kind, sealed, signature: Vec::new() };
    Ok(sign_entry(me, &to, entry))
}

/// Opens a letter in team `to`'s log with the team's keys: its signature, the seal, at
/// most `limit` inflated bytes, and that its author is an active device of the registry
/// it carries for the team it names. Whether that team is a partner is the caller's check
/// (`OpenedLetter::charter` against the registry's `Partner` statement).
pub fn open_letter(
    to: &[u8; 16],
    keyring: &Keyring,
    entry: &LogEntry,
    limit: u64,
) -> Result<OpenedLetter, BundleError> {
    let EntryKind::Letter { from } = entry.kind else {
        return Err(BundleError::Malformed("not a letter".into()));
    };
    if !signature_verifies(to, entry) {
        return Err(BundleError::BadSignature);
    }
    let secret = keyring.sharing_secret(&entry.key).ok_or(BundleError::MissingKey(entry.key))?;
    let (eph, body) = entry.sealed.split_first_chunk::<32>().ok_or(BundleError::Sealed)?;
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*eph));
    let sealer = letter_key(shared.as_bytes(), to, &from, &entry.author, eph);
    let aad = header(to, &entry.author, &entry.key, &entry.doc_tag, &entry.kind);
    let plain = inflate(&sealer.open(&aad, body)?, limit)?;
    let body: LetterBody = postcard::from_bytes(&plain).map_err(|e| BundleError::Malformed(e.to_string()))?;
    if body.registry.len() > MAX_REGISTRY {
        return Err(BundleError::TooLarge(body.registry.len()));
    }
    let registry =
        Registry::replay(from, &body.registry).map_err(|e| BundleError::LetterAuthor(e.to_string()))?;
    let charter = registry.charter_digest().ok_or_else(|| BundleError::LetterAuthor("no charter".into()))?;
    if !registry.is_active(&entry.author) {
        return Err(BundleError::LetterAuthor("not enrolled, or revoked, in the registry it carries".into()));
    }
    Ok(OpenedLetter { from, author: entry.author, charter, registry, content: Zeroizing::new(body.content) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{SignedStatement, Statement, StatementBody};

    fn team_of(key: &DeviceKey, team: [u8; 16]) -> Registry {
        let mut r = Registry::new(team);
        let body = StatementBody::Charter { x25519: key.x25519_public(), actor: [team[0]; 16] };
        r.apply(SignedStatement::sign(key, &Statement { team, issued_at: 1, body }), 1).unwrap();
        r
    }

    #[test]
    fn a_letter_opens_only_for_the_team_it_was_sealed_to_and_names_its_author() {
        let ward_nurse = DeviceKey::generate().unwrap();
        let ward = team_of(&ward_nurse, [1; 16]);
        let hospice_ring = Keyring::generate([2; 32]).unwrap();
        let key_id = hospice_ring.current().unwrap();
        let sharing = hospice_ring.sharing_public(&key_id).unwrap();
        let entry = seal_letter(&ward_nurse, &ward, [3; 16], &sharing, key_id, b"please see Harold").unwrap();
        assert!(!entry.sealed.windows(6).any(|w| w == b"Harold"), "sealed");

        let opened = open_letter(&[3; 16], &hospice_ring, &entry, 1 << 20).unwrap();
        assert_eq!(&opened.content[..], b"please see Harold");
        assert_eq!((opened.from, opened.author), ([1; 16], ward_nurse.public_key()));
        assert_eq!(Some(opened.charter), ward.charter_digest());

        // Another team's keys, or the letter put into another team's log: nothing opens.
        let other_ring = Keyring::generate([4; 32]).unwrap();
        assert!(matches!(
            open_letter(&[3; 16], &other_ring, &entry, 1 << 20),
            Err(BundleError::MissingKey(_))
        ));
        assert_eq!(
            open_letter(&[5; 16], &hospice_ring, &entry, 1 << 20).err(),
            Some(BundleError::BadSignature)
        );

        // Naming another sending team after signing breaks the signature.
        let mut renamed = entry.clone();
        renamed.kind = EntryKind::Letter { from: [9; 16] };
        assert_eq!(
            open_letter(&[3; 16], &hospice_ring, &renamed, 1 << 20).err(),
            Some(BundleError::BadSignature)
        );
    }

    #[test]
    fn a_letter_from_a_device_outside_the_registry_it_carries_is_refused() {
        let ward_nurse = DeviceKey::generate().unwrap();
        let stranger = DeviceKey::generate().unwrap();
        let ward = team_of(&ward_nurse, [1; 16]);
        let ring = Keyring::generate([2; 32]).unwrap();
        let key_id = ring.current().unwrap();
        let sharing = ring.sharing_public(&key_id).unwrap();
        let entry = seal_letter(&stranger, &ward, [3; 16], &sharing, key_id, b"let me in").unwrap();
        assert!(matches!(open_letter(&[3; 16], &ring, &entry, 1 << 20), Err(BundleError::LetterAuthor(_))));
    }
}
