//! Planting team keys: from a revoked admin, far in the future, over a key already held;
//! two admins rotating at once; a rotation's keys lost with a dropped connection; and the
//! relay's tags linking documents across a rotation.

use super::{now, winifred};
use hedgerow_core::Workspace;
use hedgerow_core::crypto::{DeviceKey, random_bytes};
use hedgerow_core::documents::Role;
use hedgerow_core::sync::bundle::{doc_tag, team_key_entry};
use hedgerow_core::sync::keys::{KeyId, TeamKey};
use hedgerow_core::sync::wire::{EntryKind, LogEntry, Reply, Request};
use hedgerow_relay::{RelayStorage, SqliteRelayStorage};
use hedgerow_tests::{MemoryTeam, RawConnection, ScriptedLink, hello, refusal_of};

/// Pushes `entries` to the team's relay as the device holding `key`.
async fn push_as(team: &MemoryTeam, key: &DeviceKey, entries: Vec<LogEntry>) -> Vec<Reply> {
    let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
    conn.send(&[hello(team.team_id()), Request::Push { entries }]).await
}

/// Team keys sealed by `from` to `to`'s device: `(id, random key)` each.
fn planted(team: &MemoryTeam, from: &DeviceKey, to: &Workspace, ids: &[KeyId]) -> LogEntry {
    let keys: Vec<(KeyId, TeamKey)> =
        ids.iter().map(|id| (*id, TeamKey::new(random_bytes::<32>().unwrap()))).collect();
    let to = to.test_device_key();
    team_key_entry(from, &team.team_id(), &keys, &to.public_key(), &to.x25519_public()).unwrap()
}

async fn key_ids(ws: &Workspace) -> Vec<KeyId> {
    ws.test_keyring().await.unwrap().unwrap().ids().copied().collect()
}

/// A note written by `writer` after everything else reaches `reader`: the keys both hold
/// still work.
async fn note_reaches(team: &MemoryTeam, writer: &Workspace, reader: &Workspace, text: &str) {
    let p = writer.caseload().await.unwrap()[0].id;
    let visit = writer.start_visit(p).await.unwrap();
    writer.add_note(visit, text).await.unwrap();
    team.sync(writer).await.unwrap();
    let report = team.sync(reader).await.unwrap();
    assert_eq!(report.waiting_for_key, None, "{report:?}");
    assert_eq!(reader.open_visit(visit).await.unwrap().narrative, text);
}

#[tokio::test]
async fn a_team_key_from_a_revoked_admin_is_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let lead = team.join_as("Bryony Tregear", Role::HospiceNurse, true).await.unwrap();
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let id = team.team_id();
    team.admin.revoke_device(&lead.identity().device_id.to_hex(), "left the hospice").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&member).await.unwrap();

    // The revoked admin's laptop seals a key of the next epoch to the member, and the
    // relay (which refuses the push itself) is made to store it anyway.
    let lead_key = lead.test_device_key();
    let newest = team.admin.test_keyring().await.unwrap().unwrap().newest_epoch().unwrap();
    let planted_id = KeyId { epoch: newest + 1, minter: lead_key.public_key() };
    let entry = planted(&team, &lead_key, &member, &[planted_id]);
    assert!(refusal_of(&push_as(&team, &lead_key, vec![entry.clone()]).await).is_some());
    team.relay.storage().append_entries(id, &[entry]).await.unwrap();

    let report = team.sync(&member).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(!key_ids(&member).await.contains(&planted_id), "the planted key was taken");
    // The member goes on writing under the team's own key, which the admin opens.
    note_reaches(&team, &member, &team.admin, "Syringe driver checked, site clean.").await;
}

#[tokio::test]
async fn a_far_future_epoch_key_is_refused_even_from_an_admin() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let rogue = team.join_as("Bryony Tregear", Role::HospiceNurse, true).await.unwrap();
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let rogue_key = rogue.test_device_key();
    // Epoch 10^6 so the team writes to the rogue's key after its revocation, and u32::MAX
    // so the next rotation would wrap.
    let far = [1_000_000, u32::MAX].map(|epoch| KeyId { epoch, minter: rogue_key.public_key() });
    let entry = planted(&team, &rogue_key, &member, &far);
    assert_eq!(refusal_of(&push_as(&team, &rogue_key, vec![entry]).await), None, "an admin may push keys");

    let before = key_ids(&member).await;
    let report = team.sync(&member).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(key_ids(&member).await, before);
    // Revoking the rogue rotates to the next epoch, not past the planted ones.
    team.admin.revoke_device(&rogue.identity().device_id.to_hex(), "planted team keys").await.unwrap();
    let newest = team.admin.test_keyring().await.unwrap().unwrap().newest_epoch().unwrap();
    assert_eq!(newest as usize, before.len());
    team.sync(&team.admin).await.unwrap();
    note_reaches(&team, &team.admin, &member, "Reviewed after the rotation.").await;
}

#[tokio::test]
async fn a_team_key_cannot_overwrite_one_already_held() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let rogue = team.join_as("Bryony Tregear", Role::HospiceNurse, true).await.unwrap();
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let current = team.admin.test_keyring().await.unwrap().unwrap().current().unwrap();
    let genuine = *team.admin.test_keyring().await.unwrap().unwrap().key(&current).unwrap().bytes();

    // Other bytes under the key the team uses now: the member would no longer open the
    // team's bundles, and would write what only the rogue reads.
    let rogue_key = rogue.test_device_key();
    let entry = planted(&team, &rogue_key, &member, &[current]);
    assert_eq!(refusal_of(&push_as(&team, &rogue_key, vec![entry]).await), None);
    team.sync(&member).await.unwrap();
    let held = member.test_keyring().await.unwrap().unwrap();
    assert_eq!(held.key(&current).unwrap().bytes(), &genuine, "the held key was overwritten");
    note_reaches(&team, &team.admin, &member, "Dressing renewed.").await;
    note_reaches(&team, &member, &team.admin, "Family updated by phone.").await;
}

#[tokio::test]
async fn two_admins_rotating_at_once_leave_every_bundle_openable() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let lead = team.join_as("Bryony Tregear", Role::HospiceNurse, true).await.unwrap();
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let lost = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let stolen = team.join("Eleri Vaughan", Role::HealthcareAssistant).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&lead).await.unwrap();

    // Both admins revoke a device offline, each minting the next epoch, and each writes.
    team.admin.revoke_device(&lost.identity().device_id.to_hex(), "tablet lost on a visit").await.unwrap();
    lead.revoke_device(&stolen.identity().device_id.to_hex(), "laptop stolen from car").await.unwrap();
    let p = team.admin.caseload().await.unwrap()[0].id;
    let by_admin = team.admin.start_visit(p).await.unwrap();
    team.admin.add_note(by_admin, "Written under the nurse's new key.").await.unwrap();
    let by_lead = lead.start_visit(p).await.unwrap();
    lead.add_note(by_lead, "Written under the hospice lead's new key.").await.unwrap();
    let (a, b) = (key_ids(&team.admin).await, key_ids(&lead).await);
    assert_eq!(a.last().unwrap().epoch, b.last().unwrap().epoch, "the same epoch, minted twice");
    assert_ne!(a.last(), b.last());

    for ws in [&team.admin, &lead, &team.admin, &lead, &member] {
        team.sync(ws).await.unwrap();
    }
    for ws in [&team.admin, &lead, &member] {
        let report = team.sync(ws).await.unwrap();
        assert_eq!(report.waiting_for_key, None, "{report:?}");
        assert!(report.rejected.is_empty(), "{report:?}");
        assert_eq!(ws.open_visit(by_admin).await.unwrap().narrative, "Written under the nurse's new key.");
        assert_eq!(
            ws.open_visit(by_lead).await.unwrap().narrative,
            "Written under the hospice lead's new key."
        );
    }
    // Each revoked device holds neither new key.
    for revoked in [&lost, &stolen] {
        let held = key_ids(revoked).await;
        assert!(held.iter().all(|k| k.epoch == 0), "{held:?}");
    }
}

#[tokio::test]
async fn a_connection_dropped_after_a_rotation_sends_the_new_key_again() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let member = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let lost = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    team.admin.revoke_device(&lost.identity().device_id.to_hex(), "tablet lost").await.unwrap();

    // The connection drops just as the admin pushes the new key (and its changes).
    let mut broken = ScriptedLink::new(team.relay.clone());
    broken.drop_push = true;
    assert!(team.admin.sync_via(&mut broken, |_| {}).await.is_err());
    let report = team.sync(&team.admin).await.unwrap();
    assert!(report.bundles_pushed >= 1, "{report:?}");
    let report = team.sync(&member).await.unwrap();
    assert_eq!(report.team_keys_received, vec![1], "{report:?}");
    note_reaches(&team, &team.admin, &member, "Written after the rotation.").await;
}

#[tokio::test]
async fn a_revoked_device_cannot_link_new_tags_to_documents_it_knew() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let revoked = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    let old_ring = revoked.test_keyring().await.unwrap().unwrap();
    team.admin.revoke_device(&revoked.identity().device_id.to_hex(), "left the team").await.unwrap();
    team.admin.add_note(team.admin.start_visit(p).await.unwrap(), "After the revocation.").await.unwrap();
    team.sync(&team.admin).await.unwrap();

    // The record's entries written after the rotation carry a tag the old keys cannot make.
    let ring = team.admin.test_keyring().await.unwrap().unwrap();
    let current = ring.current().unwrap();
    let new_tag = doc_tag(&ring, &current, &p.0).unwrap();
    let old_tags: Vec<[u8; 16]> = old_ring.ids().map(|k| doc_tag(&old_ring, k, &p.0).unwrap()).collect();
    assert!(!old_tags.contains(&new_tag));
    let storage: &SqliteRelayStorage = team.relay.storage();
    let log = storage.entries_after(id, 0, [0; 32], usize::MAX).await.unwrap().entries;
    let under_new: Vec<_> =
        log.iter().filter(|(_, e)| e.key == current && e.kind == EntryKind::Changes).collect();
    assert!(under_new.iter().any(|(_, e)| e.doc_tag == new_tag), "the record was pushed under the new key");
    assert!(under_new.iter().all(|(_, e)| !old_tags.contains(&e.doc_tag)));
}
