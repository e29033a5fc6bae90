//! Getting a device into the team without an invite's code, after it expired, by using up
//! someone else's invite, or by a relay posing as the team.

use super::{clinician, now};
use hedgerow_core::Workspace;
use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::documents::Role;
use hedgerow_core::sync::enrolment::InviteCode;
use hedgerow_core::sync::registry::{SignedStatement, Statement, StatementBody, join_proof};
use hedgerow_core::sync::wire::{Refusal, Request};
use hedgerow_relay::{RelayState, RelayStorage, SqliteRelayStorage};
use hedgerow_tests::MemoryLink;
use hedgerow_tests::{MemoryTeam, PASSPHRASE, RawConnection, hello, refusal_of};
use std::sync::Arc;

/// A join by `device` for `invite`, with `proof` as the invite key's signature.
fn join(
    device: &DeviceKey,
    team: [u8; 16],
    invite: [u8; 32],
    issued_at: i64,
    proof: Vec<u8>,
) -> SignedStatement {
    SignedStatement::sign(
        device,
        &Statement {
            team,
            issued_at,
            body: StatementBody::Join { invite, x25519: device.x25519_public(), actor: [7; 16], proof },
        },
    )
}

#[tokio::test]
async fn an_invite_claimed_with_only_its_public_key_is_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    // An admin invite, the worst to lose; the invite statement is public to every member
    // and to the relay.
    let invite = team.admin.invite_device(true, chrono::Duration::hours(1)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let registry = team.relay.registry(id).await.unwrap();
    let [public] = registry.open_invites(now())[..] else { panic!("one open invite") };

    // A stranger who read the invite signs a join with its own key in place of the code's.
    let thief = DeviceKey::generate().unwrap();
    let forged_proof =
        thief.sign(&join_proof(&id, &thief.public_key(), &thief.x25519_public(), &[7; 16])).to_vec();
    let claim = join(&thief, id, public, now(), forged_proof);
    let mut conn = RawConnection::open(&team.relay, thief.public_key(), now());
    let replies = conn.send(&[hello(id), Request::ClaimInvite { join: claim.clone() }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::BadStatement), "{replies:?}");
    // Nor by publishing the join as a statement.
    let mut conn = RawConnection::open(&team.relay, thief.public_key(), now());
    let replies = conn.send(&[hello(id), Request::Publish { statements: vec![claim] }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::BadStatement), "{replies:?}");
    assert!(team.relay.registry(id).await.unwrap().device(&thief.public_key()).is_none());

    // The invite is still whole for the clinician holding its code.
    let dir = team.new_dir().unwrap();
    let gp = Workspace::join_via(
        &dir,
        PASSPHRASE,
        clinician("Dr Tomasz Orrell", Role::Gp),
        "surgery laptop",
        &invite.code,
        &mut team.link(),
    )
    .await
    .unwrap();
    team.sync(&gp).await.unwrap();
    assert!(team.relay.registry(id).await.unwrap().is_active(&gp.device_public_key()));
}

#[tokio::test]
async fn a_join_backdated_into_an_expired_invite_is_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let invite = team.admin.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let code: InviteCode = invite.code.parse().unwrap();

    // Two hours on, by the relay's clock, the code holder signs its join as if it were
    // still within the hour.
    let late = DeviceKey::generate().unwrap();
    let backdated = now();
    let proof = code.proof(&late.public_key(), &late.x25519_public(), &[7; 16]);
    let claim = join(&late, code.team, code.key(), backdated, proof);
    let relay_clock = now() + 2 * 3600;
    let mut conn = RawConnection::open(&team.relay, late.public_key(), relay_clock);
    let replies = conn.send(&[hello(code.team), Request::ClaimInvite { join: claim }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::InviteUnknown), "{replies:?}");

    // The same through a device joining the ordinary way with the relay's clock late.
    let dir = team.new_dir().unwrap();
    let mut link = team.link();
    link.now = relay_clock;
    let joined =
        Workspace::join_via(&dir, PASSPHRASE, clinician("Late", Role::Gp), "laptop", &invite.code, &mut link)
            .await;
    let Err(err) = joined else { panic!("an expired invite enrolled a device") };
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(!team.relay.registry(code.team).await.unwrap().is_active(&late.public_key()));
}

#[tokio::test]
async fn a_member_cannot_use_up_an_open_invite() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let id = team.team_id();
    let invite = team.admin.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let code: InviteCode = invite.code.parse().unwrap();

    // The member claims the invite with its own device and no proof from the code, and a
    // fresh key the member made does the same.
    let member_key = member.test_device_key();
    let proof = vec![0u8; 64];
    for key in [member_key, DeviceKey::generate().unwrap()] {
        let claim = join(&key, id, code.key(), now(), proof.clone());
        let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
        let replies = conn.send(&[hello(id), Request::ClaimInvite { join: claim }]).await;
        assert!(refusal_of(&replies).is_some(), "{replies:?}");
    }
    // The offer is still waiting, and the nurse being enrolled gets it.
    assert!(team.relay.storage().has_offer(id, code.key()).await.unwrap());
    let dir = team.new_dir().unwrap();
    let joiner = Workspace::join_via(
        &dir,
        PASSPHRASE,
        clinician("Bryony Tregear", Role::HospiceNurse),
        "hospice tablet",
        &invite.code,
        &mut team.link(),
    )
    .await
    .unwrap();
    team.sync(&joiner).await.unwrap();
    assert!(!team.relay.storage().has_offer(id, code.key()).await.unwrap(), "an invite is used once");
}

#[tokio::test]
async fn unclaimed_offers_are_deleted_once_their_invite_expires() {
    let team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    let first = team.admin.invite_device(false, chrono::Duration::minutes(10)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let first: InviteCode = first.code.parse().unwrap();
    assert!(team.relay.storage().has_offer(id, first.key()).await.unwrap());

    // An hour later the admin invites someone else: the first offer, never claimed, goes.
    let second = team.admin.invite_device(false, chrono::Duration::hours(2)).await.unwrap();
    let mut link = team.link();
    link.now = now() + 3600;
    team.admin.sync_via(&mut link, |_| {}).await.unwrap();
    let second: InviteCode = second.code.parse().unwrap();
    assert!(!team.relay.storage().has_offer(id, first.key()).await.unwrap(), "the expired offer is kept");
    assert!(team.relay.storage().has_offer(id, second.key()).await.unwrap());
}

#[tokio::test]
async fn a_relay_posing_as_the_charter_admin_is_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    let invite = team.admin.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let dir = team.new_dir().unwrap();
    let gp = Workspace::join_via(
        &dir,
        PASSPHRASE,
        clinician("Dr Tomasz Orrell", Role::Gp),
        "laptop",
        &invite.code,
        &mut team.link(),
    )
    .await
    .unwrap();

    // Before the new device's first sync, it meets a relay that has made itself the team's
    // founder, with its own charter and a grant for the new device, so the device would
    // trust the impostor's keys and statements.
    let evil_dir = tempfile::tempdir().unwrap();
    let evil = Arc::new(RelayState::new(SqliteRelayStorage::open(evil_dir.path()).await.unwrap()));
    let impostor = DeviceKey::generate().unwrap();
    let sign = |body| SignedStatement::sign(&impostor, &Statement { team: id, issued_at: now(), body });
    let charter = sign(StatementBody::Charter { x25519: impostor.x25519_public(), actor: [9; 16] });
    let gp_key = gp.test_device_key();
    let grant = sign(StatementBody::Grant {
        device: gp_key.public_key(),
        x25519: gp_key.x25519_public(),
        actor: [8; 16],
        admin: false,
    });
    let mut conn = RawConnection::open(&evil, impostor.public_key(), now());
    let replies = conn.send(&[hello(id), Request::Publish { statements: vec![charter, grant] }]).await;
    assert_eq!(refusal_of(&replies), None, "{replies:?}");

    let err = gp.sync_via(&mut MemoryLink::new(evil.clone()), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("charter") || err.to_string().contains("registry"), "{err}");
    // Nothing of the impostor's was kept: the real relay still syncs the device.
    let report = team.sync(&gp).await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert!(gp.test_registry().await.unwrap().is_active(&team.admin.device_public_key()));
    assert!(gp.test_registry().await.unwrap().device(&impostor.public_key()).is_none());
}

#[tokio::test]
async fn a_device_enrolled_without_joining_the_team_document_is_flagged_and_gets_no_new_keys() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let id = team.team_id();
    // Someone who photographed the QR code claims it with a device of their own, and never
    // adds the device to the team document, so it would not show in the device list.
    let invite = team.admin.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let code: InviteCode = invite.code.parse().unwrap();
    let rogue = DeviceKey::generate().unwrap();
    let proof = code.proof(&rogue.public_key(), &rogue.x25519_public(), &[7; 16]);
    let mut conn = RawConnection::open(&team.relay, rogue.public_key(), now());
    let replies = conn
        .send(&[hello(id), Request::ClaimInvite { join: join(&rogue, id, code.key(), now(), proof) }])
        .await;
    assert_eq!(refusal_of(&replies), None, "holding the code, it may enrol: {replies:?}");

    // The admin sees it, flagged.
    team.sync(&team.admin).await.unwrap();
    let devices = team.admin.devices().await.unwrap();
    let listed = devices.iter().find(|d| d.public_key == hex::encode(rogue.public_key())).expect("listed");
    assert!(listed.unknown_to_team, "{listed:?}");
    assert!(devices.iter().filter(|d| d.public_key != listed.public_key).all(|d| !d.unknown_to_team));

    // A rotation (the GP's laptop is revoked) hands the new key to no device the team
    // document lacks.
    team.admin.revoke_device(&gp.identity().device_id.to_hex(), "laptop lost").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    let log = team.relay.storage().entries_after(id, 0, [0; 32], usize::MAX).await.unwrap().entries;
    let to_rogue = log.iter().filter(|(_, e)| {
        matches!(e.kind, hedgerow_core::sync::wire::EntryKind::TeamKey { recipient } if recipient == rogue.public_key())
    });
    assert_eq!(to_rogue.count(), 0, "a team key was sealed to a device outside the team document");
    // The admin can revoke it like any other.
    team.admin.revoke_device(&listed.device_id, "not known to the team").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    assert!(!team.relay.registry(id).await.unwrap().is_active(&rogue.public_key()));
}

#[tokio::test]
async fn a_statement_sent_again_after_a_cut_connection_does_not_block_the_device() {
    let team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    let key = team.admin.test_device_key();
    let invite = SignedStatement::sign(
        &key,
        &Statement {
            team: id,
            issued_at: now(),
            body: StatementBody::Invite { key: [5; 32], expires_at: now() + 3600, admin: false },
        },
    );
    for _ in 0..2 {
        let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
        let replies = conn.send(&[hello(id), Request::Publish { statements: vec![invite.clone()] }]).await;
        assert_eq!(refusal_of(&replies), None, "{replies:?}");
    }
    let held = team.relay.registry(id).await.unwrap();
    assert_eq!(held.statements().iter().filter(|s| s.statement == invite).count(), 1);
}

#[tokio::test]
async fn an_invite_that_expired_before_its_offer_reached_the_relay_does_not_block_sync() {
    let team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    team.admin.invite_device(false, chrono::Duration::seconds(1)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    team.sync(&team.admin).await.unwrap();
    team.sync(&team.admin).await.unwrap();
}

#[tokio::test]
async fn a_relay_answering_the_founder_with_a_charter_of_its_own_is_refused() {
    use hedgerow_core::sync::registry::PositionedStatement;
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Arc::new(RelayState::new(SqliteRelayStorage::open(relay_dir.path()).await.unwrap()));
    let founder =
        Workspace::create(dir.path(), PASSPHRASE, clinician("Nia Penhallow", Role::DistrictNurse), None)
            .await
            .unwrap();
    founder.create_team("Hartsmoor District Nursing").await.unwrap();
    // The relay takes the founder's charter, and serves back a team of its own making.
    let impostor = DeviceKey::generate().unwrap();
    let charter = SignedStatement::sign(
        &impostor,
        &Statement {
            team: founder.identity().team_id.0,
            issued_at: now(),
            body: StatementBody::Charter { x25519: impostor.x25519_public(), actor: [1; 16] },
        },
    );
    let mut lying = hedgerow_tests::ScriptedLink::new(relay.clone());
    lying.serve_registry = Some(vec![PositionedStatement { statement: charter, position: 0 }]);
    let err = founder.sync_via(&mut lying, |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("not the team"), "{err}");
    // The honest relay is fine.
    founder.sync_via(&mut MemoryLink::new(relay), |_| {}).await.unwrap();
}
