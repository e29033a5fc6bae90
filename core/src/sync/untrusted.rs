//! Every decoder that reads bytes from the network or from a file another party wrote,
//! each behind one entry point, for the fuzz targets (`fuzz/`) and the stable-Rust test
//! that runs the same inputs in CI. Each returns whether the input was taken; none may
//! panic, hang or allocate without bound, whatever it is given.

use super::bundle::open_bundle;
use super::client::{ClientSession, SessionPlan};
use super::enrolment::{EnrolSession, InviteCode};
use super::keys::Keyring;
use super::peer::PeerSession;
use super::registry::{PositionedStatement, Registry, SignedStatement};
use super::wire::{self, LogEntry, Request};
use crate::crypto::DeviceKey;

/// A fixed device and team, so that inputs can reach the checks past the signatures.
pub struct Fixture {
    pub device: DeviceKey,
    pub team: [u8; 16],
    pub keyring: Keyring,
    pub registry: Registry,
    pub code: InviteCode,
}

impl Fixture {
    pub fn new() -> Self {
        let device = DeviceKey::from_seed([7; 32]).expect("a fixed seed");
        let team = [3; 16];
        let keyring = Keyring::from_bytes(&Keyring::generate(device.public_key()).expect("keys").to_bytes())
            .expect("a keyring reads back");
        let charter = SignedStatement::sign(
            &device,
            &super::registry::Statement {
                team,
                issued_at: 0,
                body: super::registry::StatementBody::Charter {
                    x25519: device.x25519_public(),
                    actor: [1; 16],
                },
            },
        );
        let registry = Registry::replay(team, &[PositionedStatement { statement: charter, position: 0 }])
            .expect("a charter replays");
        let code = "HR1-030303030303030303030303030303030707070707070707070707070707070707070707070707070707070707070707"
            .parse()
            .expect("a well-formed code");
        Self { device, team, keyring, registry, code }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Frames and requests, as the relay reads them from a device.
pub fn request_frames(bytes: &[u8]) -> bool {
    let mut frames = wire::FrameDecoder::default();
    frames.push(bytes);
    let mut any = false;
    while let Ok(Some(payload)) = frames.next_frame() {
        any |= wire::decode::<Request>(&payload).is_ok();
    }
    any
}

/// Frames and replies, as a device's session reads them from a relay.
pub fn reply_frames(f: &Fixture, bytes: &[u8]) -> bool {
    let plan = SessionPlan {
        team: f.team,
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry: f.registry.statements().to_vec(),
        anchor: None,
        publish: vec![],
        offers: vec![],
        letters: Vec::new(),
    };
    let me = DeviceKey::from_seed(*f.device.seed()).expect("a fixed seed");
    let Ok(mut session) = ClientSession::new(me, f.keyring.clone(), plan) else { return false };
    while session.poll_transmit().is_some() {}
    let ok = session.handle_input(bytes).is_ok();
    while session.poll_event().is_some() {}
    ok
}

/// A registry statement, and a registry replayed from statements.
pub fn statements(f: &Fixture, bytes: &[u8]) -> bool {
    let one = postcard::from_bytes::<SignedStatement>(bytes).is_ok_and(|s| s.verified().is_ok());
    let many = postcard::from_bytes::<Vec<PositionedStatement>>(bytes)
        .is_ok_and(|s| Registry::replay(f.team, &s).is_ok());
    one || many
}

/// A log entry, opened as a bundle with the fixture's keys.
pub fn bundle(f: &Fixture, bytes: &[u8]) -> bool {
    match postcard::from_bytes::<LogEntry>(bytes) {
        Ok(entry) => {
            let opened =
                open_bundle(&f.team, &f.keyring, &f.registry, &entry, 1, super::bundle::MAX_INFLATED);
            let audit = super::bundle::open_audit(&f.team, &f.keyring, &f.registry, &entry, 1, 1 << 20);
            let keys = super::bundle::open_team_key_entry(&f.device, &f.team, &f.registry, &entry, 1);
            opened.is_ok() || audit.is_ok() || keys.is_ok_and(|k| k.is_some())
        }
        Err(_) => false,
    }
}

/// A sealed enrolment offer, and a relay's answer during enrolment.
pub fn offer(f: &Fixture, bytes: &[u8]) -> bool {
    let opened = f.code.open_offer(bytes).is_ok();
    let mut session = EnrolSession::new(&f.device, &f.code, [1; 16], 0);
    while session.poll_transmit().is_some() {}
    opened | session.handle_input(bytes).is_ok()
}

/// An enrolment code as typed or scanned.
pub fn invite_code(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| s.parse::<InviteCode>().is_ok())
}

/// A direct-sync stream from another device.
pub fn peer_messages(f: &Fixture, bytes: &[u8]) -> bool {
    let mut session = PeerSession::new(f.team, Vec::new(), None);
    while session.poll_transmit().is_some() {}
    let ok = session.handle_input(bytes).is_ok();
    while session.poll_event().is_some() {}
    ok
}

/// A document export file (`hedgerow export document`).
pub fn document_export(bytes: &[u8]) -> bool {
    crate::workspace::SignedExport::parse(bytes).is_ok_and(|e| e.is_some())
}
