//! Wearing the relay out without being enrolled: Hellos for made-up teams, Hello again on
//! one connection, teams founded past the relay's limit, one team's storage past its
//! allowance; and a device or relay of the old protocol.

use super::{clinician, now, winifred};
use hedgerow_core::Workspace;
use hedgerow_core::crypto::{DeviceKey, random_bytes};
use hedgerow_core::documents::Role;
use hedgerow_core::sync::client::{ClientSession, SessionPlan};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::registry::{SignedStatement, Statement, StatementBody};
use hedgerow_core::sync::wire::{self, Refusal, Reply, Request};
use hedgerow_relay::{RelayLimits, RelayState, SqliteRelayStorage};
use hedgerow_tests::MemoryLink;
use hedgerow_tests::{PASSPHRASE, RawConnection, hello, refusal_of};
use std::sync::Arc;

async fn relay(dir: &std::path::Path, limits: RelayLimits) -> Arc<RelayState<SqliteRelayStorage>> {
    Arc::new(RelayState::with_limits(SqliteRelayStorage::open(dir).await.unwrap(), limits))
}

/// A team founded by a bare key: its charter published.
async fn found(relay: &Arc<RelayState<SqliteRelayStorage>>) -> Vec<Reply> {
    let key = DeviceKey::generate().unwrap();
    let team = random_bytes::<16>().unwrap();
    let charter = SignedStatement::sign(
        &key,
        &Statement {
            team,
            issued_at: now(),
            body: StatementBody::Charter {
                x25519: key.x25519_public(),
                actor: random_bytes::<16>().unwrap(),
            },
        },
    );
    let mut conn = RawConnection::open(relay, key.public_key(), now());
    conn.send(&[hello(team), Request::Publish { statements: vec![charter] }]).await
}

#[tokio::test]
async fn a_flood_of_hellos_for_made_up_teams_does_not_grow_the_relays_memory() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(dir.path(), RelayLimits { registry_cache: 20, ..RelayLimits::default() }).await;
    for _ in 0..2_000 {
        let mut conn = RawConnection::open(&relay, random_bytes::<32>().unwrap(), now());
        let replies = conn.send(&[hello(random_bytes::<16>().unwrap())]).await;
        assert!(matches!(replies[..], [Reply::Welcome { enrolled: false, .. }]), "{replies:?}");
    }
    assert_eq!(relay.cached_registries(), 0, "registries of teams that do not exist were kept");
    // Real teams are cached, up to the bound.
    for _ in 0..50 {
        assert_eq!(refusal_of(&found(&relay).await), None);
    }
    assert!(relay.cached_registries() <= 20, "{}", relay.cached_registries());
}

#[tokio::test]
async fn a_second_hello_on_one_connection_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(dir.path(), RelayLimits::default()).await;
    let mut conn = RawConnection::open(&relay, random_bytes::<32>().unwrap(), now());
    let replies = conn.send(&[hello([1; 16]), hello([2; 16])]).await;
    assert!(matches!(replies[0], Reply::Welcome { .. }), "{replies:?}");
    assert_eq!(refusal_of(&replies), Some(Refusal::OutOfOrder));
    assert!(conn.is_closing());
    // Anything before Hello, too.
    let mut conn = RawConnection::open(&relay, random_bytes::<32>().unwrap(), now());
    let replies = conn.send(&[Request::GetRegistry { known: 0 }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::OutOfOrder));
}

#[tokio::test]
async fn founding_teams_past_the_relays_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(dir.path(), RelayLimits { max_teams: 3, ..RelayLimits::default() }).await;
    for _ in 0..3 {
        assert_eq!(refusal_of(&found(&relay).await), None);
    }
    assert_eq!(refusal_of(&found(&relay).await), Some(Refusal::Quota));
    // A clinician founding a team there is told so.
    let ws_dir = tempfile::tempdir().unwrap();
    let ws =
        Workspace::create(ws_dir.path(), PASSPHRASE, clinician("Nia Penhallow", Role::DistrictNurse), None)
            .await
            .unwrap();
    ws.create_team("Hartsmoor District Nursing").await.unwrap();
    let err = ws.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("as many teams as it may"), "{err}");
}

#[tokio::test]
async fn a_team_past_its_storage_allowance_is_refused_and_told_why() {
    let dir = tempfile::tempdir().unwrap();
    let relay =
        relay(dir.path(), RelayLimits { team_quota_bytes: 64 * 1024, ..RelayLimits::default() }).await;
    let ws_dir = tempfile::tempdir().unwrap();
    let ws =
        Workspace::create(ws_dir.path(), PASSPHRASE, clinician("Nia Penhallow", Role::DistrictNurse), None)
            .await
            .unwrap();
    ws.create_team("Hartsmoor District Nursing").await.unwrap();
    let p = winifred(&ws).await;
    ws.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    // A long visit note of random text (which does not compress) takes it past 64 KiB.
    let visit = ws.start_visit(p).await.unwrap();
    let text: String = (0..2_500).map(|_| hex::encode(random_bytes::<32>().unwrap())).collect();
    ws.add_note(visit, &text).await.unwrap();
    let err = ws.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("may keep"), "{err}");
    // Nothing is lost: the note waits on the device.
    assert_eq!(ws.open_visit(visit).await.unwrap().narrative, text);
}

#[tokio::test]
async fn a_device_or_relay_of_the_old_protocol_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(dir.path(), RelayLimits::default()).await;
    // A version 1 device at this relay.
    let mut conn = RawConnection::open(&relay, random_bytes::<32>().unwrap(), now());
    let replies = conn.send(&[Request::Hello { version: 1, team: [1; 16] }]).await;
    match &replies[..] {
        [Reply::Refused { code: Refusal::Version, message }] => {
            assert!(message.contains("update"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // This device at a version 1 relay.
    let key = DeviceKey::generate().unwrap();
    let plan = SessionPlan {
        team: [1; 16],
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry: vec![],
        anchor: None,
        publish: vec![],
        offers: vec![],
        letters: Vec::new(),
    };
    let mut session = ClientSession::new(key, Keyring::generate([1; 32]).unwrap(), plan).unwrap();
    while session.poll_transmit().is_some() {}
    let welcome = wire::frame(&Reply::Welcome { version: 1, enrolled: true, log_id: [0; 16] });
    let err = session.handle_input(&welcome).unwrap_err();
    assert!(err.to_string().contains("update the older"), "{err}");
}
