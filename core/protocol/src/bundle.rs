//! Sealed bundles: Automerge changes encrypted with a team key and signed by the device.

use crate::crypto::{CryptoError, DeviceKey, verify_signature};
use crate::heads::ActorHead;
use crate::keys::{KeyId, Keyring, TeamKey, open_team_keys, seal_team_keys};
use crate::registry::Registry;
use crate::wire::{EntryKind, LogEntry, MAX_BUNDLE};
use ring::hmac;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const CONTEXT: &[u8] = b"hedgerow/bundle/v2\0";

/// The largest body one bundle may inflate to.
pub const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// The kinds of document a bundle may carry. The protocol owns the tag; what each kind
/// holds is the device's business (hedgerow-core's `documents`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Patient,
    Visit,
    Team,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Visit => "visit",
            Self::Team => "team",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(Self::Patient),
            "visit" => Some(Self::Visit),
            "team" => Some(Self::Team),
            _ => None,
        }
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit entry as it syncs to the team: its number, its sealed-away JSON and its
/// chain value (the hash chain that shows a gap or an edit).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEntry {
    pub seq: u64,
    #[serde(with = "serde_bytes")]
    pub json: Vec<u8>,
    pub chain: [u8; 32],
}

impl std::fmt::Debug for ChainedEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainedEntry(#{}, {} bytes)", self.seq, self.json.len())
    }
}

/// What a bundle holds once opened.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleBody {
    pub document: [u8; 16],
    pub kind: String,
    /// Automerge bytes: `save_after` for changes, `save` for a snapshot.
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
    /// The signed newest change of each actor whose changes the bundle carries.
    pub heads: Vec<ActorHead>,
}

/// Shows what the bundle is about, never what it says.
impl std::fmt::Debug for BundleBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleBody")
            .field("kind", &self.kind)
            .field("change_bytes", &self.changes.len())
            .field("heads", &self.heads.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("the bundle's signature does not verify")]
    BadSignature,
    #[error("the bundle's author is not a device of this team")]
    UnknownAuthor,
    #[error("the bundle's author was not enrolled (or was revoked) when it was written")]
    AuthorNotActive,
    #[error("this device does not hold the team key of epoch {}", .0.epoch)]
    MissingKey(KeyId),
    #[error("the bundle does not open with the team key (damaged or forged)")]
    Sealed,
    #[error("the bundle's contents do not decode: {0}")]
    Malformed(String),
    #[error("the bundle is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("this device has no team key: create or join a team first")]
    NoTeamKey,
    #[error("team keys handed out by a device that was not an admin when it wrote them")]
    NotFromAdmin,
    #[error("the team keys were refused: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error("a letter from a team this team does not trust, or under another charter")]
    NotPartner,
    #[error("a letter whose author is not an enrolled device of the team it names: {0}")]
    LetterAuthor(String),
}

impl From<CryptoError> for BundleError {
    fn from(_: CryptoError) -> Self {
        BundleError::Sealed
    }
}

/// The bytes a signature covers and the AEAD binds: everything about the entry but the
/// signature itself.
pub(crate) fn header(
    team: &[u8; 16],
    author: &[u8; 32],
    key: &KeyId,
    doc_tag: &[u8; 16],
    kind: &EntryKind,
) -> Vec<u8> {
    let kind = postcard::to_stdvec(kind).expect("encoding to a Vec cannot fail");
    [CONTEXT, team.as_slice(), author, &key.epoch.to_be_bytes(), &key.minter, doc_tag, &kind].concat()
}

fn signed_bytes(team: &[u8; 16], entry: &LogEntry) -> Vec<u8> {
    [header(team, &entry.author, &entry.key, &entry.doc_tag, &entry.kind), entry.sealed.clone()].concat()
}

/// Signs an entry as `key`'s device: its header and sealed bytes.
pub fn sign_entry(key: &DeviceKey, team: &[u8; 16], mut entry: LogEntry) -> LogEntry {
    entry.signature = key.sign(&signed_bytes(team, &entry)).to_vec();
    entry
}

/// Checks the signature alone: what the relay can check of any entry.
pub fn signature_verifies(team: &[u8; 16], entry: &LogEntry) -> bool {
    verify_signature(&entry.author, &signed_bytes(team, entry), &entry.signature)
}

/// Checks the signature, and that the author was an enrolled device, not revoked, when
/// the entry was written at log `position` (bundles written before a revocation stay
/// valid; those after it do not).
pub fn verify_entry(
    team: &[u8; 16],
    registry: &Registry,
    entry: &LogEntry,
    position: u64,
) -> Result<(), BundleError> {
    if !signature_verifies(team, entry) {
        return Err(BundleError::BadSignature);
    }
    let author = registry.device(&entry.author).ok_or(BundleError::UnknownAuthor)?;
    if !author.active_at(position) {
        return Err(BundleError::AuthorNotActive);
    }
    Ok(())
}

/// The body is compressed before sealing (ciphertext does not compress). Only team
/// devices can put content into a bundle, so its size tells the relay nothing it could
/// steer.
pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("writing to a Vec cannot fail");
    e.finish().expect("writing to a Vec cannot fail")
}

/// Inflates at most `limit` bytes, so a hostile bundle cannot exhaust memory.
pub(crate) fn inflate(bytes: &[u8], limit: u64) -> Result<Zeroizing<Vec<u8>>, BundleError> {
    use std::io::Read;
    let mut out = Zeroizing::new(Vec::new());
    flate2::read::DeflateDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| BundleError::Malformed(format!("the body does not inflate: {e}")))?;
    if out.len() as u64 > limit {
        return Err(BundleError::TooLarge(out.len()));
    }
    Ok(out)
}

/// The tag of a document under one team key.
pub fn doc_tag(keyring: &Keyring, key: &KeyId, document: &[u8; 16]) -> Result<[u8; 16], BundleError> {
    let tag_key = keyring.tag_key(key).ok_or(BundleError::MissingKey(*key))?;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, tag_key.as_slice()), document);
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.as_ref()[..16]);
    Ok(out)
}

/// The document's tags under every key but `current`, for a snapshot to replace the
/// author's earlier bundles of it.
pub fn earlier_tags(keyring: &Keyring, current: &KeyId, document: &[u8; 16]) -> Vec<[u8; 16]> {
    keyring.ids().filter(|id| *id != current).filter_map(|id| doc_tag(keyring, id, document).ok()).collect()
}

/// Seals and signs one document's changes (or whole snapshot) with the newest team key.
pub fn seal_bundle(
    key: &DeviceKey,
    team: &[u8; 16],
    keyring: &Keyring,
    body: &BundleBody,
    snapshot: bool,
) -> Result<LogEntry, BundleError> {
    let id = keyring.current().ok_or(BundleError::NoTeamKey)?;
    let sealer = keyring.bundle_sealer(&id).ok_or(BundleError::NoTeamKey)?;
    let doc_tag = doc_tag(keyring, &id, &body.document)?;
    let kind = if snapshot {
        EntryKind::Snapshot { earlier_tags: earlier_tags(keyring, &id, &body.document) }
    } else {
        EntryKind::Changes
    };
    let author = key.public_key();
    let plain = Zeroizing::new(postcard::to_stdvec(body).expect("encoding to a Vec cannot fail"));
    let plain = Zeroizing::new(deflate(&plain));
    let sealed = sealer.seal(&header(team, &author, &id, &doc_tag, &kind), &plain)?;
    if sealed.len() > MAX_BUNDLE {
        return Err(BundleError::TooLarge(sealed.len()));
    }
    Ok(sign_entry(key, team, LogEntry { author, key: id, doc_tag, kind, sealed, signature: Vec::new() }))
}

/// Verifies and opens a changes or snapshot bundle written at log `position`, inflating
/// at most `limit` bytes.
pub fn open_bundle(
    team: &[u8; 16],
    keyring: &Keyring,
    registry: &Registry,
    entry: &LogEntry,
    position: u64,
    limit: u64,
) -> Result<BundleBody, BundleError> {
    verify_entry(team, registry, entry, position)?;
    let sealer = keyring.bundle_sealer(&entry.key).ok_or(BundleError::MissingKey(entry.key))?;
    let plain =
        sealer.open(&header(team, &entry.author, &entry.key, &entry.doc_tag, &entry.kind), &entry.sealed)?;
    let plain = inflate(&plain, limit.min(MAX_INFLATED))?;
    let body: BundleBody = postcard::from_bytes(&plain).map_err(|e| BundleError::Malformed(e.to_string()))?;
    if DocumentKind::parse(&body.kind).is_none() {
        return Err(BundleError::Malformed(format!("unknown document kind '{}'", body.kind)));
    }
    if doc_tag(keyring, &entry.key, &body.document)? != entry.doc_tag {
        return Err(BundleError::Malformed("the document tag does not match the document".into()));
    }
    Ok(body)
}

/// Where a device's audit entries go in the log: a tag no one without the team key can
/// tie to the device's other entries.
fn audit_tag(keyring: &Keyring, key: &KeyId, author: &[u8; 32]) -> Result<[u8; 16], BundleError> {
    let digest =
        ring::digest::digest(&ring::digest::SHA256, &[b"hedgerow/audit-log\0".as_slice(), author].concat());
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest.as_ref()[..16]);
    doc_tag(keyring, key, &id)
}

/// A run of this device's audit entries, sealed with the newest team key, for the team's
/// information governance lead to see on an admin's device.
pub fn seal_audit(
    key: &DeviceKey,
    team: &[u8; 16],
    keyring: &Keyring,
    entries: &[ChainedEntry],
) -> Result<LogEntry, BundleError> {
    let id = keyring.current().ok_or(BundleError::NoTeamKey)?;
    let sealer = keyring.bundle_sealer(&id).ok_or(BundleError::NoTeamKey)?;
    let author = key.public_key();
    let doc_tag = audit_tag(keyring, &id, &author)?;
    let first = entries.first().map_or(0, |e| e.seq);
    let kind = EntryKind::Audit { first, count: entries.len() as u32 };
    let plain = Zeroizing::new(postcard::to_stdvec(entries).expect("encoding to a Vec cannot fail"));
    let plain = Zeroizing::new(deflate(&plain));
    let sealed = sealer.seal(&header(team, &author, &id, &doc_tag, &kind), &plain)?;
    if sealed.len() > MAX_BUNDLE {
        return Err(BundleError::TooLarge(sealed.len()));
    }
    Ok(sign_entry(key, team, LogEntry { author, key: id, doc_tag, kind, sealed, signature: Vec::new() }))
}

/// Verifies and opens a device's audit entries written at log `position`.
pub fn open_audit(
    team: &[u8; 16],
    keyring: &Keyring,
    registry: &Registry,
    entry: &LogEntry,
    position: u64,
    limit: u64,
) -> Result<Vec<ChainedEntry>, BundleError> {
    let EntryKind::Audit { first, count } = entry.kind else {
        return Err(BundleError::Malformed("not an audit entry".into()));
    };
    verify_entry(team, registry, entry, position)?;
    let sealer = keyring.bundle_sealer(&entry.key).ok_or(BundleError::MissingKey(entry.key))?;
    let plain =
        sealer.open(&header(team, &entry.author, &entry.key, &entry.doc_tag, &entry.kind), &entry.sealed)?;
    let plain = inflate(&plain, limit.min(MAX_INFLATED))?;
    let entries: Vec<ChainedEntry> =
        postcard::from_bytes(&plain).map_err(|e| BundleError::Malformed(e.to_string()))?;
    // In order from `first`; a gap is the device's own log's, and shows in the team's copy.
    let numbered =
        entries.first().is_none_or(|e| e.seq == first) && entries.windows(2).all(|w| w[0].seq < w[1].seq);
    if entries.len() != count as usize || !numbered {
        return Err(BundleError::Malformed("the audit entries are not the run the entry names".into()));
    }
    Ok(entries)
}

/// Team keys for one device, as a log entry only that device can open. `keys` is every
/// key the admin holds: the recipient may have missed any of them.
pub fn team_key_entry(
    key: &DeviceKey,
    team: &[u8; 16],
    keys: &[(KeyId, TeamKey)],
    recipient: &[u8; 32],
    recipient_x25519: &[u8; 32],
) -> Result<LogEntry, BundleError> {
    let newest = keys.iter().map(|(id, _)| *id).max().ok_or(BundleError::NoTeamKey)?;
    let sealed = seal_team_keys(team, keys, recipient, recipient_x25519)?;
    let entry = LogEntry {
        author: key.public_key(),
        key: newest,
        doc_tag: [0; 16],
        kind: EntryKind::TeamKey { recipient: *recipient },
        sealed,
        signature: Vec::new(),
    };
    Ok(sign_entry(key, team, entry))
}

/// Opens team keys addressed to this device, written at log `position`. Only a device
/// that was an admin when it wrote them may hand out keys; `Ok(None)` for keys addressed to
/// another device.
pub fn open_team_key_entry(
    me: &DeviceKey,
    team: &[u8; 16],
    registry: &Registry,
    entry: &LogEntry,
    position: u64,
) -> Result<Option<Vec<(KeyId, TeamKey)>>, BundleError> {
    let EntryKind::TeamKey { recipient } = entry.kind else { return Ok(None) };
    if recipient != me.public_key() {
        return Ok(None);
    }
    verify_entry(team, registry, entry, position)?;
    if !registry.admin_at(&entry.author, position) {
        return Err(BundleError::NotFromAdmin);
    }
    Ok(Some(open_team_keys(me, team, &entry.sealed)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{SignedStatement, Statement, StatementBody};

    #[test]
    fn bundles_open_only_when_untampered_and_by_a_team_device() {
        let dev = DeviceKey::generate().unwrap();
        let outsider = DeviceKey::generate().unwrap();
        let team = [5; 16];
        let mut reg = Registry::new(team);
        reg.apply(
            SignedStatement::sign(
                &dev,
                &Statement {
                    team,
                    issued_at: 0,
                    body: StatementBody::Charter { x25519: dev.x25519_public(), actor: [1; 16] },
                },
            ),
            0,
        )
        .unwrap();
        let ring = Keyring::generate(dev.public_key()).unwrap();
        let body = BundleBody {
            document: [8; 16],
            kind: "patient".into(),
            changes: b"changes".to_vec(),
            heads: vec![],
        };
        let e = seal_bundle(&dev, &team, &ring, &body, false).unwrap();
        assert_eq!(open_bundle(&team, &ring, &reg, &e, 1, MAX_INFLATED).unwrap(), body);
        assert!(!e.sealed.windows(7).any(|w| w == b"changes"));
        assert!(!format!("{body:?}").contains("changes\""), "Debug never shows the contents");

        let mut bent = e.clone();
        *bent.sealed.last_mut().unwrap() ^= 1;
        assert_eq!(open_bundle(&team, &ring, &reg, &bent, 1, MAX_INFLATED), Err(BundleError::BadSignature));
        let mut relabelled = e.clone();
        relabelled.kind = EntryKind::Snapshot { earlier_tags: vec![] };
        assert_eq!(
            open_bundle(&team, &ring, &reg, &relabelled, 1, MAX_INFLATED),
            Err(BundleError::BadSignature)
        );
        let foreign = seal_bundle(&outsider, &team, &ring, &body, false).unwrap();
        assert_eq!(
            open_bundle(&team, &ring, &reg, &foreign, 1, MAX_INFLATED),
            Err(BundleError::UnknownAuthor)
        );
        let other_ring = Keyring::generate(dev.public_key()).unwrap();
        assert_eq!(open_bundle(&team, &other_ring, &reg, &e, 1, MAX_INFLATED), Err(BundleError::Sealed));
        assert_eq!(open_bundle(&[6; 16], &ring, &reg, &e, 1, MAX_INFLATED), Err(BundleError::BadSignature));
    }

    #[test]
    fn a_body_that_inflates_past_the_limit_is_refused() {
        let dev = DeviceKey::generate().unwrap();
        let team = [5; 16];
        let mut reg = Registry::new(team);
        reg.apply(
            SignedStatement::sign(
                &dev,
                &Statement {
                    team,
                    issued_at: 0,
                    body: StatementBody::Charter { x25519: dev.x25519_public(), actor: [1; 16] },
                },
            ),
            0,
        )
        .unwrap();
        let ring = Keyring::generate(dev.public_key()).unwrap();
        let body = BundleBody {
            document: [8; 16],
            kind: "patient".into(),
            changes: vec![0; 1 << 20],
            heads: vec![],
        };
        let e = seal_bundle(&dev, &team, &ring, &body, false).unwrap();
        assert!(e.sealed.len() < 10_000, "a megabyte of zeros deflates to almost nothing");
        assert!(matches!(open_bundle(&team, &ring, &reg, &e, 1, 1000), Err(BundleError::TooLarge(_))));
        assert!(open_bundle(&team, &ring, &reg, &e, 1, 2 << 20).is_ok());
    }
}
