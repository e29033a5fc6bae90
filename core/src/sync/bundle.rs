//! Sealed bundles: Automerge changes encrypted with the team key and signed by the device.

use super::keys::{Keyring, open_team_key, seal_team_key};
use super::registry::Registry;
use super::wire::{EntryKind, LogEntry, MAX_BUNDLE};
use crate::crypto::{CryptoError, DeviceKey, verify_signature};
use crate::documents::DocumentKind;
use ring::hmac;
use serde::{Deserialize, Serialize};

const CONTEXT: &[u8] = b"hedgerow/bundle/v1\0";

/// What a bundle holds once opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleBody {
    pub document: [u8; 16],
    pub kind: String,
    /// Automerge bytes: `save_after` for changes, `save` for a snapshot.
    pub changes: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("the bundle's signature does not verify")]
    BadSignature,
    #[error("the bundle's author is not a device of this team")]
    UnknownAuthor,
    #[error("this device does not hold the team key of epoch {0}")]
    MissingKey(u32),
    #[error("the bundle does not open with the team key (damaged or forged)")]
    Sealed,
    #[error("the bundle's contents do not decode: {0}")]
    Malformed(String),
    #[error("the bundle is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("this device has no team key: create or join a team first")]
    NoTeamKey,
}

impl From<CryptoError> for BundleError {
    fn from(_: CryptoError) -> Self {
        BundleError::Sealed
    }
}

/// The bytes a signature covers and the AEAD binds: everything about the entry but the
/// signature itself.
fn header(team: &[u8; 16], author: &[u8; 32], epoch: u32, doc_tag: &[u8; 16], kind: &EntryKind) -> Vec<u8> {
    let kind = postcard::to_stdvec(kind).expect("encoding to a Vec cannot fail");
    [CONTEXT, team.as_slice(), author, &epoch.to_be_bytes(), doc_tag, &kind].concat()
}

fn sign(key: &DeviceKey, team: &[u8; 16], mut entry: LogEntry) -> LogEntry {
    let msg = [header(team, &entry.author, entry.epoch, &entry.doc_tag, &entry.kind), entry.sealed.clone()]
        .concat();
    entry.signature = key.sign(&msg).to_vec();
    entry
}

/// Checks the signature and that the author was ever enrolled (bundles written before a
/// revocation stay valid).
pub fn verify_entry(team: &[u8; 16], registry: &Registry, entry: &LogEntry) -> Result<(), BundleError> {
    let msg = [header(team, &entry.author, entry.epoch, &entry.doc_tag, &entry.kind), entry.sealed.clone()]
        .concat();
    if !verify_signature(&entry.author, &msg, &entry.signature) {
        return Err(BundleError::BadSignature);
    }
    if registry.device(&entry.author).is_none() {
        return Err(BundleError::UnknownAuthor);
    }
    Ok(())
}

/// The body is compressed before sealing (ciphertext does not compress). Only team
/// devices can put content into a bundle, so its size tells the relay nothing it could
/// steer.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("writing to a Vec cannot fail");
    e.finish().expect("writing to a Vec cannot fail")
}

/// Inflates at most `MAX_INFLATED` bytes, so a hostile bundle cannot exhaust memory.
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, BundleError> {
    use std::io::Read;
    const MAX_INFLATED: u64 = 64 * 1024 * 1024;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)
        .map_err(|e| BundleError::Malformed(format!("the body does not inflate: {e}")))?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(BundleError::TooLarge(out.len()));
    }
    Ok(out)
}

pub fn doc_tag(keyring: &Keyring, document: &[u8; 16]) -> Result<[u8; 16], BundleError> {
    let key = keyring.tag_key().ok_or(BundleError::NoTeamKey)?;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key.as_slice()), document);
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.as_ref()[..16]);
    Ok(out)
}

/// Seals and signs one document's changes (or whole snapshot) with the newest team key.
pub fn seal_bundle(
    key: &DeviceKey,
    team: &[u8; 16],
    keyring: &Keyring,
    body: &BundleBody,
    snapshot_through: Option<u64>,
) -> Result<LogEntry, BundleError> {
    let epoch = keyring.current_epoch().ok_or(BundleError::NoTeamKey)?;
    let sealer = keyring.bundle_sealer(epoch).ok_or(BundleError::NoTeamKey)?;
    let doc_tag = doc_tag(keyring, &body.document)?;
    let kind = match snapshot_through {
        Some(through) => EntryKind::Snapshot { through },
        None => EntryKind::Changes,
    };
    let author = key.public_key();
    let plain = deflate(&postcard::to_stdvec(body).expect("encoding to a Vec cannot fail"));
    let sealed = sealer.seal(&header(team, &author, epoch, &doc_tag, &kind), &plain)?;
    if sealed.len() > MAX_BUNDLE {
        return Err(BundleError::TooLarge(sealed.len()));
    }
    Ok(sign(key, team, LogEntry { author, epoch, doc_tag, kind, sealed, signature: Vec::new() }))
}

/// Verifies and opens a changes or snapshot bundle.
pub fn open_bundle(
    team: &[u8; 16],
    keyring: &Keyring,
    registry: &Registry,
    entry: &LogEntry,
) -> Result<BundleBody, BundleError> {
    verify_entry(team, registry, entry)?;
    let sealer = keyring.bundle_sealer(entry.epoch).ok_or(BundleError::MissingKey(entry.epoch))?;
    let plain =
        sealer.open(&header(team, &entry.author, entry.epoch, &entry.doc_tag, &entry.kind), &entry.sealed)?;
    let plain = inflate(&plain)?;
    let body: BundleBody = postcard::from_bytes(&plain).map_err(|e| BundleError::Malformed(e.to_string()))?;
    if DocumentKind::parse(&body.kind).is_none() {
        return Err(BundleError::Malformed(format!("unknown document kind '{}'", body.kind)));
    }
    if doc_tag(keyring, &body.document)? != entry.doc_tag {
        return Err(BundleError::Malformed("the document tag does not match the document".into()));
    }
    Ok(body)
}

/// A new team key for one device, as a log entry only that device can open.
pub fn team_key_entry(
    key: &DeviceKey,
    team: &[u8; 16],
    epoch: u32,
    team_key: &[u8; 32],
    recipient: &[u8; 32],
    recipient_x25519: &[u8; 32],
) -> Result<LogEntry, BundleError> {
    let sealed = seal_team_key(team, epoch, team_key, recipient, recipient_x25519)?;
    let entry = LogEntry {
        author: key.public_key(),
        epoch,
        doc_tag: [0; 16],
        kind: EntryKind::TeamKey { recipient: *recipient },
        sealed,
        signature: Vec::new(),
    };
    Ok(sign(key, team, entry))
}

/// Opens a team key addressed to this device. Only an admin (at the time of reading) may
/// hand out keys.
pub fn open_team_key_entry(
    me: &DeviceKey,
    team: &[u8; 16],
    registry: &Registry,
    entry: &LogEntry,
) -> Result<Option<(u32, [u8; 32])>, BundleError> {
    let EntryKind::TeamKey { recipient } = entry.kind else { return Ok(None) };
    if recipient != me.public_key() {
        return Ok(None);
    }
    verify_entry(team, registry, entry)?;
    if !registry.device(&entry.author).is_some_and(|d| d.admin) {
        return Err(BundleError::UnknownAuthor);
    }
    Ok(Some((entry.epoch, open_team_key(me, team, entry.epoch, &entry.sealed)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::registry::{SignedStatement, Statement, StatementBody};

    #[test]
    fn bundles_open_only_when_untampered_and_by_a_team_device() {
        let dev = DeviceKey::generate().unwrap();
        let outsider = DeviceKey::generate().unwrap();
        let team = [5; 16];
        let mut reg = Registry::new(team);
        reg.apply(SignedStatement::sign(
            &dev,
            &Statement { team, issued_at: 0, body: StatementBody::Charter { x25519: dev.x25519_public() } },
        ))
        .unwrap();
        let ring = Keyring::generate().unwrap();
        let body = BundleBody { document: [8; 16], kind: "patient".into(), changes: b"changes".to_vec() };
        let e = seal_bundle(&dev, &team, &ring, &body, None).unwrap();
        assert_eq!(open_bundle(&team, &ring, &reg, &e).unwrap(), body);
        assert!(!e.sealed.windows(7).any(|w| w == b"changes"));

        let mut bent = e.clone();
        *bent.sealed.last_mut().unwrap() ^= 1;
        assert_eq!(open_bundle(&team, &ring, &reg, &bent), Err(BundleError::BadSignature));
        let mut relabelled = e.clone();
        relabelled.kind = EntryKind::Snapshot { through: 1 };
        assert_eq!(open_bundle(&team, &ring, &reg, &relabelled), Err(BundleError::BadSignature));
        let foreign = seal_bundle(&outsider, &team, &ring, &body, None).unwrap();
        assert_eq!(open_bundle(&team, &ring, &reg, &foreign), Err(BundleError::UnknownAuthor));
        let other_ring = Keyring::generate().unwrap();
        assert_eq!(open_bundle(&team, &other_ring, &reg, &e), Err(BundleError::Sealed));
        assert_eq!(open_bundle(&[6; 16], &ring, &reg, &e), Err(BundleError::BadSignature));
    }
}
