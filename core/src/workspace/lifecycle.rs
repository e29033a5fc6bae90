//! Making a workspace on a new device (a clinician, a device key, a team of one), and
//! unlocking one with the passphrase.

use super::{
    CURRENT_INDEX_VERSION, Context, DEVICE_KEY, IDENTITY, INDEX_VERSION, Identity, NewClinician, Workspace,
};
use crate::crypto::{DeviceKey, KdfParams};
use crate::documents::team::{Clinician, Device};
use crate::documents::{ClinicianRef, DocumentKind, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{ClinicianId, DeviceId, TeamId};
use crate::store::{Store, WriteTx};
use automerge::ActorId;
use std::path::Path;

pub(super) fn exists_in(dir: &Path) -> bool {
    dir.join(crate::store::DB_FILE).exists()
}

pub(super) async fn create(
    dir: &Path,
    passphrase: &str,
    clinician: NewClinician,
    team_name: Option<String>,
) -> Result<Workspace> {
    create_with_kdf(dir, passphrase, clinician, team_name, KdfParams::default()).await
}

pub(super) async fn create_demo(dir: &Path, passphrase: &str, clinician: NewClinician) -> Result<Workspace> {
    create_inner(
        dir,
        passphrase,
        clinician,
        Some("Hartsmoor District Nursing (demo)".into()),
        KdfParams::default(),
        true,
    )
    .await
}

pub(super) async fn create_with_kdf(
    dir: &Path,
    passphrase: &str,
    clinician: NewClinician,
    team_name: Option<String>,
    kdf: KdfParams,
) -> Result<Workspace> {
    create_inner(dir, passphrase, clinician, team_name, kdf, false).await
}

async fn create_inner(
    dir: &Path,
    passphrase: &str,
    clinician: NewClinician,
    team_name: Option<String>,
    kdf: KdfParams,
    demo: bool,
) -> Result<Workspace> {
    if clinician.name.trim().is_empty() {
        return Err(Error::Input("the clinician's name must not be empty".into()));
    }
    let store = Store::create(dir, passphrase, kdf).await?;
    let device_key = DeviceKey::generate()?;
    let (me, actor_bytes) = new_identity(clinician, TeamId::random(), demo)?;
    let mut team = Team::new(me.team_id.to_hex(), team_name.unwrap_or_else(|| format!("{}'s team", me.name)));
    add_member(&mut team, &me, &device_key, true, "first device", None);
    let ws = assemble(store, ActorId::from(actor_bytes.as_slice()), me, device_key);
    let cx = &ws.cx;
    let mut tx = cx.store.begin_write().await?;
    save_identity(cx, &mut tx).await?;
    cx.insert_document(&mut tx, cx.me.team_id.0, DocumentKind::Team, &team, "create team").await?;
    tx.commit().await?;
    Ok(ws)
}

pub(crate) fn assemble(store: Store, actor: ActorId, me: Identity, device_key: DeviceKey) -> Workspace {
    let grants = Default::default();
    let (audit_check, relay_connection) = Default::default();
    Workspace { cx: Context { store, me, device_key, actor, grants, audit_check, relay_connection } }
}

pub(super) async fn open(dir: &Path, passphrase: &str) -> Result<Workspace> {
    let store = Store::open(dir, passphrase).await?;
    let mut rx = store.begin_read().await?;
    let identity = rx.setting(IDENTITY).await?.ok_or_else(|| Error::Incomplete(dir.to_owned()))?;
    let key = rx.setting(DEVICE_KEY).await?.ok_or_else(|| Error::Incomplete(dir.to_owned()))?;
    let index_current =
        rx.setting(INDEX_VERSION).await?.as_deref().map(Vec::as_slice) == Some(CURRENT_INDEX_VERSION);
    drop(rx);
    let me: Identity = serde_json::from_slice(&identity)
        .map_err(|e| Error::Corrupt(format!("the device identity does not parse: {e}")))?;
    let device_key = DeviceKey::from_stored(&key)?;
    let actor_bytes = hex::decode(&me.actor_id).map_err(|_| Error::Corrupt("actor id is not hex".into()))?;
    let mut ws = assemble(store, ActorId::from(actor_bytes.as_slice()), me, device_key);
    if !index_current {
        ws.reindex().await?;
    }
    ws.cx.audit_check = super::audit_trail::check_audit_log(&ws.cx).await?;
    Ok(ws)
}

/// Keeps this device's key and identity in the (sealed) settings of a new store.
pub(super) async fn save_identity(cx: &Context, tx: &mut WriteTx<'_>) -> Result<()> {
    tx.put_setting(DEVICE_KEY, cx.device_key.seed()).await?;
    let identity = serde_json::to_vec(&cx.me).map_err(|e| Error::Input(e.to_string()))?;
    tx.put_setting(IDENTITY, &identity).await?;
    tx.put_setting(INDEX_VERSION, CURRENT_INDEX_VERSION).await
}

/// A new clinician's identity on a new device, with the Automerge actor it will write with.
pub(super) fn new_identity(
    clinician: NewClinician,
    team_id: TeamId,
    demo: bool,
) -> Result<(Identity, [u8; 16])> {
    if clinician.name.trim().is_empty() {
        return Err(Error::Input("the clinician's name must not be empty".into()));
    }
    let actor_bytes = crate::crypto::random_bytes::<16>()?;
    let me = Identity {
        clinician_id: ClinicianId::random(),
        name: clinician.name.trim().to_owned(),
        role: clinician.role,
        registration: clinician.registration,
        device_id: DeviceId::random(),
        actor_id: hex::encode(actor_bytes),
        team_id,
        demo,
    };
    Ok((me, actor_bytes))
}

/// Adds a clinician and their device to the team document.
pub(super) fn add_member(
    team: &mut Team,
    me: &Identity,
    key: &DeviceKey,
    admin: bool,
    label: &str,
    enrolled_by: Option<ClinicianRef>,
) {
    let now = Timestamp::now();
    let clinician = Clinician {
        name: me.name.clone(),
        role: me.role,
        registration: me.registration.clone(),
        admin,
        added_at: now,
    };
    team.clinicians.insert(me.clinician_id.to_hex(), clinician);
    let device = Device {
        clinician_id: me.clinician_id.to_hex(),
        label: label.to_owned(),
        public_key: hex::encode(key.public_key()),
        actor_id: me.actor_id.clone(),
        enrolled_by,
        enrolled_at: now,
        revoked: None,
    };
    team.devices.insert(me.device_id.to_hex(), device);
}

/// Locks the workspace: the relay connection kept between syncs is closed, then the store,
/// once its last write is on disk.
pub(super) async fn close(ws: Workspace) {
    ws.cx.relay_connection.close().await;
    ws.cx.store.close().await;
}
