//! What the relay must refuse, and what it must never hold: patient data in the clear,
//! outsiders, revoked devices, broken frames and forged bundles.

mod common;

use common::{address, enrol, founder, relay, winifred};
use hedgerow_core::Error;
use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::documents::Role;
use hedgerow_core::sync::bundle::{BundleBody, BundleError, seal_bundle};
use hedgerow_core::sync::client::{ClientSession, SessionPlan, SyncError, SyncEvent};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::registry::{PositionedStatement, SignedStatement, Statement, StatementBody};
use hedgerow_core::sync::transport::{self, RelayAddress, SessionHandler, TransportError};
use hedgerow_core::sync::wire::{self, RELAY_ALPN, Refusal, Reply};
use hedgerow_relay::{RelayStorage, SqliteRelayStorage};
use hedgerow_tests::plaintext_hits;

/// A bare device that only runs the protocol, with no store behind it.
struct Bare {
    key: DeviceKey,
    push: Option<Vec<wire::LogEntry>>,
}

impl SessionHandler for Bare {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        if let SyncEvent::PullDone { .. } = event {
            session.push(self.push.take().unwrap_or_default());
        }
        Ok(())
    }
}

async fn bare_sync(
    bare: &mut Bare,
    relay: &RelayAddress,
    team: [u8; 16],
    publish: Vec<SignedStatement>,
    keyring: Keyring,
) -> Result<(), TransportError> {
    let plan = SessionPlan {
        team,
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry: Vec::new(),
        anchor: None,
        publish,
        offers: Vec::new(),
        letters: Vec::new(),
    };
    let me = DeviceKey::from_seed(*bare.key.seed()).unwrap();
    let mut session = ClientSession::new(me, keyring, plan).unwrap();
    let seed = *bare.key.seed();
    transport::sync_with_relay(&seed, relay, &mut session, bare).await
}

fn refusal(r: Result<(), TransportError>) -> Refusal {
    match r {
        Err(TransportError::Sync(SyncError::Refused { code, .. })) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_holds_no_patient_data_in_the_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let p = winifred(&nurse.ws).await;
    let visit = nurse.ws.start_visit(p).await.unwrap();
    let note = "Dressing changed; exudate moderate, no odour. Daughter Eleri present.";
    nurse.ws.add_note(visit, note).await.unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    let r = gp.ws.sync(&addr, |_| {}).await.unwrap();
    assert!(r.bundles_received >= 2, "{r:?}");
    assert_eq!(gp.ws.open_visit(visit).await.unwrap().narrative, note);

    let needles: Vec<String> = [
        "Winifred Ashdown",
        "Winifred",
        "Ashdown",
        "9990001235",
        "999 000 1235",
        "Lower Barn",
        "Hartsmoor",
        "exudate",
        "Eleri",
        "Nia Penhallow",
        "Tomasz Orrell",
    ]
    .map(String::from)
    .to_vec();
    let files = hedgerow_tests::files_below(&relay.data);
    assert!(
        files.iter().any(|f| std::fs::metadata(f).unwrap().len() > 4096),
        "the relay stored something: {files:?}"
    );
    assert_eq!(plaintext_hits(&relay.data, &needles), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outsiders_unenrolled_and_revoked_devices_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let team = nurse.ws.identity().team_id.0;

    // A device of another team, which the relay knows, asking for this team's log.
    let other_team = founder(&relay, "Ffion Carrow", Role::DistrictNurse).await;
    assert_ne!(other_team.ws.identity().team_id.0, team);
    let mut outsider = Bare { key: DeviceKey::generate().unwrap(), push: None };
    // Its own team works...
    let other_id = [9u8; 16];
    let charter = SignedStatement::sign(
        &outsider.key,
        &Statement {
            team: other_id,
            issued_at: 0,
            body: StatementBody::Charter { x25519: outsider.key.x25519_public(), actor: [3; 16] },
        },
    );
    bare_sync(&mut outsider, &addr, other_id, vec![charter], Keyring::generate([9; 32]).unwrap())
        .await
        .unwrap();
    // ...and this team's is closed to it, as to a device nobody enrolled.
    assert_eq!(
        refusal(bare_sync(&mut outsider, &addr, team, vec![], Keyring::generate([9; 32]).unwrap()).await),
        Refusal::NotEnrolled
    );
    let mut stranger = Bare { key: DeviceKey::generate().unwrap(), push: None };
    assert_eq!(
        refusal(bare_sync(&mut stranger, &addr, team, vec![], Keyring::generate([9; 32]).unwrap()).await),
        Refusal::NotEnrolled
    );
    // A stranger cannot make itself a member either.
    let self_grant = SignedStatement::sign(
        &stranger.key,
        &Statement {
            team,
            issued_at: 0,
            body: StatementBody::Grant {
                device: stranger.key.public_key(),
                x25519: [1; 32],
                actor: [4; 16],
                admin: true,
            },
        },
    );
    assert_eq!(
        refusal(
            bare_sync(&mut stranger, &addr, team, vec![self_grant], Keyring::generate([9; 32]).unwrap())
                .await
        ),
        Refusal::NotEnrolled
    );

    // Revocation: refused at once, and what is written after it is closed to the device.
    let p = winifred(&nurse.ws).await;
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    gp.ws.sync(&addr, |_| {}).await.unwrap();
    let gp_device = gp.ws.identity().device_id.to_hex();
    nurse.ws.revoke_device(&gp_device, "laptop stolen from car").await.unwrap();
    let visit = nurse.ws.start_visit(p).await.unwrap();
    nurse.ws.add_note(visit, "Written after the revocation.").await.unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    // The GP's device still has the connection kept from its last sync: the revocation holds
    // on it, and again when it dials afresh.
    for attempt in ["on the kept connection", "on a new connection"] {
        match gp.ws.sync(&addr, |_| {}).await {
            Err(Error::Sync(e)) => assert!(
                matches!(*e, TransportError::Sync(SyncError::Refused { code: Refusal::Revoked, .. })),
                "{attempt}: {e}"
            ),
            other => panic!("a revoked device synced {attempt}: {other:?}"),
        }
    }
    assert!(gp.ws.open_visit(visit).await.is_err(), "the revoked device has the new visit");

    // Even holding every bundle in the relay's store, it opens none written after rotation.
    let storage = SqliteRelayStorage::open_shared(&relay.data).await.unwrap();
    let all = storage.entries_after(team, 0, [0; 32], usize::MAX).await.unwrap().entries;
    let (mut before, mut after) = (0, 0);
    for (seq, e) in all
        .iter()
        .filter(|(_, e)| matches!(e.kind, wire::EntryKind::Changes | wire::EntryKind::Snapshot { .. }))
    {
        if e.key.epoch == 0 {
            before += 1;
            assert!(gp.ws.open_relay_bundle(e, *seq).await.is_ok());
        } else {
            after += 1;
            assert_eq!(gp.ws.open_relay_bundle(e, *seq).await, Err(BundleError::MissingKey(e.key)));
            assert!(nurse.ws.open_relay_bundle(e, *seq).await.is_ok());
        }
    }
    assert!(before > 0 && after >= 2, "before {before}, after {after}");
    storage.close().await;
}

/// Opens a raw stream to the relay as a fresh device and sends `bytes`.
async fn raw(relay: &RelayAddress, bytes: &[u8], finish: bool) -> Vec<u8> {
    let key = DeviceKey::generate().unwrap();
    let ep = transport::endpoint(key.seed(), "127.0.0.1:0".parse().unwrap(), vec![]).await.unwrap();
    let addr = relay.addrs.iter().fold(iroh::EndpointAddr::new(relay.id), |a, s| a.with_ip_addr(*s));
    let conn = ep.connect(addr, RELAY_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(bytes).await.unwrap();
    if finish {
        send.finish().unwrap();
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), recv.read_to_end(1 << 20))
        .await
        .expect("the relay answers or closes")
        .unwrap_or_default();
    conn.close(0u32.into(), b"");
    ep.close().await;
    out
}

fn refusal_in(bytes: &[u8]) -> Option<Refusal> {
    let mut d = wire::FrameDecoder::default();
    d.push(bytes);
    while let Ok(Some(p)) = d.next_frame() {
        if let Ok(Reply::Refused { code, .. }) = wire::decode::<Reply>(&p) {
            return Some(code);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_frames_and_forged_bundles_are_refused_and_the_relay_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;

    // Garbage, an oversized length, a frame cut short, a wrong version.
    assert_eq!(
        refusal_in(&raw(&addr, &[0, 0, 0, 3, 0xff, 0xff, 0xff], false).await),
        Some(Refusal::Malformed)
    );
    assert_eq!(
        refusal_in(&raw(&addr, &[0xff, 0xff, 0xff, 0xff, 1, 2, 3], false).await),
        Some(Refusal::Malformed)
    );
    assert_eq!(refusal_in(&raw(&addr, &[0, 0, 0, 200, 1, 2, 3], true).await), None);
    let hello = wire::frame(&wire::Request::Hello { version: 99, team: [0; 16] });
    assert_eq!(refusal_in(&raw(&addr, &hello, false).await), Some(Refusal::Version));
    // A message before Hello.
    let pull = wire::frame(&wire::Request::Pull { after: 0, log_id: None });
    assert_eq!(refusal_in(&raw(&addr, &pull, false).await), Some(Refusal::OutOfOrder));

    // An enrolled device pushing a bundle whose signature does not verify, and one
    // claiming another author.
    let team = [7u8; 16];
    let mut admin = Bare { key: DeviceKey::generate().unwrap(), push: None };
    let charter = SignedStatement::sign(
        &admin.key,
        &Statement {
            team,
            issued_at: 0,
            body: StatementBody::Charter { x25519: admin.key.x25519_public(), actor: [5; 16] },
        },
    );
    let ring = Keyring::generate([9; 32]).unwrap();
    bare_sync(&mut admin, &addr, team, vec![charter.clone()], ring.clone()).await.unwrap();
    let body =
        BundleBody { document: [1; 16], kind: "patient".into(), changes: vec![1, 2, 3], heads: vec![] };
    let mut forged = seal_bundle(&admin.key, &team, &ring, &body, false).unwrap();
    forged.signature[0] ^= 1;
    admin.push = Some(vec![forged]);
    let registry = vec![PositionedStatement { statement: charter, position: 0 }];
    let plan = |reg: Vec<PositionedStatement>| SessionPlan {
        team,
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry: reg,
        anchor: None,
        publish: vec![],
        offers: vec![],
        letters: Vec::new(),
    };
    let mut s = ClientSession::new(
        DeviceKey::from_seed(*admin.key.seed()).unwrap(),
        ring.clone(),
        plan(registry.clone()),
    )
    .unwrap();
    let seed = *admin.key.seed();
    assert_eq!(
        refusal(transport::sync_with_relay(&seed, &addr, &mut s, &mut admin).await),
        Refusal::BadSignature
    );
    let other = DeviceKey::generate().unwrap();
    admin.push = Some(vec![seal_bundle(&other, &team, &ring, &body, false).unwrap()]);
    let mut s = ClientSession::new(DeviceKey::from_seed(seed).unwrap(), ring.clone(), plan(registry.clone()))
        .unwrap();
    assert_eq!(
        refusal(transport::sync_with_relay(&seed, &addr, &mut s, &mut admin).await),
        Refusal::BadSignature
    );
    // A bundle over the size limit.
    // Random bytes, which do not compress.
    let noise: Vec<u8> = (0..wire::MAX_BUNDLE / 32)
        .flat_map(|_| hedgerow_core::crypto::random_bytes::<32>().unwrap())
        .collect();
    let big = BundleBody { document: [1; 16], kind: "patient".into(), changes: noise, heads: vec![] };
    assert!(matches!(seal_bundle(&admin.key, &team, &ring, &big, false), Err(BundleError::TooLarge(_))));

    // Nothing forged was stored, each refusal was logged, and the relay still serves.
    let storage = SqliteRelayStorage::open_shared(&relay.data).await.unwrap();
    assert!(storage.entries_after(team, 0, [0; 32], usize::MAX).await.unwrap().entries.is_empty());
    storage.close().await;
    let log = relay.log();
    assert!(log.matches("relay refused a request").count() >= 6, "{log}");
    assert!(log.contains("stream ended mid-frame"), "{log}");
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
}
