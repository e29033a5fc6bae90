//! The team: creating it for sharing, inviting and enrolling devices, listing and
//! revoking them. Membership lives twice, on purpose: in the encrypted team document
//! (names, roles, who enrolled whom) and in the signed registry the relay can check.

use super::{Context, Draft, NewClinician, Workspace, commit_options};
use crate::crypto::DeviceKey;
use crate::documents::team::Revocation;
use crate::documents::{self, ClinicianRef, DocumentKind, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::TeamId;
use crate::store::Reads;
use crate::store::{AuditAction, Store, WriteTx};
use crate::sync::client::Anchor;
use crate::sync::enrolment::{EnrolSession, InviteCode, Offer};
use crate::sync::keys::Keyring;
use crate::sync::registry::{PositionedStatement, Registry, SignedStatement, Statement, StatementBody};
use crate::sync::transport::{IrohLink, Link, RelayAddress};
use automerge::{ActorId, AutoCommit};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

// Protocol version 2's settings: a store enrolled under version 1 is not in a team until
// it is created or joined again (version 1 teams are not carried over).
pub(crate) const KEYRING: &str = "team-keyring-v2";
pub(crate) const REGISTRY: &str = "team-registry-v2";
/// What a newly joined device must find at the start of the relay's registry.
pub(crate) const ANCHOR: &str = "team-anchor";
pub(crate) const OUTBOX_STATEMENT: &str = "statement";
pub(crate) const OUTBOX_OFFER: &str = "offer";
/// A letter for a partner team's log: postcard `(team, LogEntry)`.
pub(crate) const OUTBOX_LETTER: &str = "letter";

/// A device as the team knows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "Device"))]
pub struct DeviceListing {
    pub device_id: String,
    pub label: String,
    pub clinician: String,
    pub public_key: String,
    pub admin: bool,
    pub enrolled_at: Timestamp,
    pub enrolled_by: Option<String>,
    pub revoked: Option<Revocation>,
    /// Whether the relay has confirmed this device's enrolment (or revocation).
    pub confirmed_by_relay: bool,
    pub this_device: bool,
    /// Enrolled in the registry but missing from the team document: no admin seals team
    /// keys to such a device, and it should be revoked unless someone knows it.
    pub unknown_to_team: bool,
}

/// An invite, ready to hand to the new device's user.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Invitation {
    pub code: String,
    pub expires_at: Timestamp,
    pub admin: bool,
}

pub(crate) fn statement(key: &DeviceKey, team: TeamId, body: StatementBody) -> SignedStatement {
    SignedStatement::sign(key, &Statement { team: team.0, issued_at: chrono::Utc::now().timestamp(), body })
}

fn encode_statements(s: &[PositionedStatement]) -> Vec<u8> {
    postcard::to_stdvec(s).expect("encoding to a Vec cannot fail")
}

pub(super) async fn join(
    dir: &Path,
    passphrase: &str,
    clinician: NewClinician,
    label: &str,
    code: &str,
    relay: &RelayAddress,
) -> Result<Workspace> {
    let ws = join_via(dir, passphrase, clinician, label, code, &mut IrohLink { relay }).await?;
    ws.sync(relay, |_| {}).await?;
    Ok(ws)
}

pub(super) async fn join_via<L: Link>(
    dir: &Path,
    passphrase: &str,
    clinician: NewClinician,
    label: &str,
    code: &str,
    link: &mut L,
) -> Result<Workspace> {
    let kdf = crate::crypto::KdfParams::default();
    if clinician.name.trim().is_empty() {
        return Err(Error::Input("the clinician's name must not be empty".into()));
    }
    if dir.join(crate::store::DB_FILE).exists() {
        return Err(Error::AlreadyExists(dir.to_owned()));
    }
    let code: InviteCode = code.parse().map_err(Error::Input)?;
    let device_key = DeviceKey::generate()?;
    let (me, actor_bytes) = super::lifecycle::new_identity(clinician, TeamId(code.team), false)?;
    let mut session = EnrolSession::new(&device_key, &code, actor_bytes, chrono::Utc::now().timestamp());
    let sealed = link.enrol(&device_key, &mut session).await?;
    let offer = code.open_offer(&sealed).map_err(|_| {
        Error::Input("the enrolment offer does not open with this code: check the code with the admin".into())
    })?;
    let keyring = Keyring::from_bytes(&offer.keyring)?;
    let invited_by: ClinicianRef = serde_json::from_str(&offer.invited_by)
        .map_err(|e| Error::from_relay(format!("the enrolment offer: {e}")))?;
    let mut team_doc = AutoCommit::load(&offer.team_document)
        .map_err(|e| Error::from_relay(format!("the offer's team document does not load: {e}")))?;
    let mut team: Team = documents::read(&team_doc, DocumentKind::Team)?;

    if offer.team != code.team {
        return Err(Error::from_relay("the enrolment offer is for another team"));
    }
    let store = Store::create(dir, passphrase, kdf).await?;
    let label = if label.trim().is_empty() { "device" } else { label.trim() };
    super::lifecycle::add_member(&mut team, &me, &device_key, offer.admin, label, Some(invited_by.clone()));
    team_doc.set_actor(ActorId::from(actor_bytes.as_slice()));
    // Taken before reconciling: reading heads closes the open change.
    let before = team_doc.get_heads();
    autosurgeon::reconcile(&mut documents::KeepConflicts(&mut team_doc), &team)
        .map_err(documents::DocumentError::from)?;
    team_doc.commit_with(commit_options("join team", &me));

    let ws = super::lifecycle::assemble(store, ActorId::from(actor_bytes.as_slice()), me, device_key);
    let cx = &ws.cx;
    let mut tx = cx.store.begin_write().await?;
    super::lifecycle::save_identity(cx, &mut tx).await?;
    tx.put_setting(KEYRING, &keyring.to_bytes()).await?;
    tx.insert_document(&cx.me.team_id.0, DocumentKind::Team, &mut team_doc).await?;
    // The team document came sealed with the code: its authors' heads come at the first
    // sync; this device's own change is signed now.
    let team_id = cx.me.team_id.0;
    if let Some(head) =
        crate::authorship::own_head(&mut team_doc, &before, &cx.device_key, &team_id, &team_id)
    {
        tx.put_actor_head(&team_id, &head).await?;
    }
    let anchor = postcard::to_stdvec(&(offer.charter, offer.invite.clone())).expect("encodes");
    tx.put_setting(ANCHOR, &anchor).await?;
    tx.set_caseload(&super::merge::caseload_of(&team)).await?;
    cx.audit(
        &mut tx,
        AuditAction::Team,
        None,
        format!("joined team {} (invited by {})", team.name, invited_by.name),
    )
    .await?;
    tx.commit().await?;
    Ok(ws)
}

pub(crate) async fn keyring(tx: &mut impl Reads) -> Result<Option<Keyring>> {
    tx.setting(KEYRING).await?.map(|b| Keyring::from_bytes(&b).map_err(Error::from)).transpose()
}

pub(crate) async fn confirmed_registry(tx: &mut impl Reads) -> Result<Vec<PositionedStatement>> {
    match tx.setting(REGISTRY).await? {
        None => Ok(Vec::new()),
        Some(b) => postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("the team registry: {e}"))),
    }
}

/// The registry as the relay confirmed it, replayed: what cards and letters prove from.
pub(crate) async fn replayed_registry(cx: &Context, tx: &mut impl Reads) -> Result<Registry> {
    let confirmed = confirmed_registry(tx).await?;
    Registry::replay(cx.me.team_id.0, &confirmed)
        .map_err(|e| Error::Corrupt(format!("the team registry does not check: {e}")))
}

pub(crate) async fn save_registry(tx: &mut WriteTx<'_>, statements: &[PositionedStatement]) -> Result<()> {
    tx.put_setting(REGISTRY, &encode_statements(statements)).await
}

pub(crate) async fn anchor(tx: &mut impl Reads) -> Result<Option<Anchor>> {
    match tx.setting(ANCHOR).await? {
        None => Ok(None),
        Some(b) => {
            let (charter, invite): ([u8; 32], SignedStatement) =
                postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("the team anchor: {e}")))?;
            Ok(Some(Anchor { charter, invite }))
        }
    }
}

/// The registry as this device sees it: what the relay confirmed, then this device's
/// own statements still waiting to be published.
pub(crate) async fn registry_view(cx: &Context, tx: &mut impl Reads) -> Result<(Registry, usize)> {
    let confirmed = confirmed_registry(tx).await?;
    let mut r = Registry::replay(cx.me.team_id.0, &confirmed)
        .map_err(|e| Error::Corrupt(format!("the team registry does not check: {e}")))?;
    let n = confirmed.len();
    // Not yet accepted: they count as coming after everything confirmed.
    let position = r.position();
    for item in tx.outbox().await? {
        if item.kind == OUTBOX_STATEMENT
            && let Ok(s) = postcard::from_bytes::<SignedStatement>(&item.payload)
        {
            let _ = r.apply(s, position);
        }
    }
    Ok((r, n))
}

pub(super) async fn in_shared_team(cx: &Context) -> Result<bool> {
    Ok(cx.store.begin_read().await?.setting(KEYRING).await?.is_some())
}

pub(crate) async fn require_admin(cx: &Context, tx: &mut impl Reads, what: &str) -> Result<Registry> {
    if keyring(tx).await?.is_none() {
        return Err(Error::Input(format!(
            "this device is not in a shared team yet: make it one (Team and devices in the app, or `hedgerow team create NAME`), or join one, before you {what}"
        )));
    }
    let (registry, _) = registry_view(cx, tx).await?;
    match registry.device(&cx.device_key.public_key()) {
        Some(d) if d.active() && d.admin => Ok(registry),
        Some(d) if !d.active() => Err(Error::Input("this device has been revoked from the team".into())),
        _ => Err(Error::Input(format!("only a team admin's device may {what}"))),
    }
}

pub(super) async fn create_team(cx: &Context, name: &str) -> Result<Team> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Input("the team needs a name".into()));
    }
    let mut tx = cx.store.begin_write().await?;
    if keyring(&mut tx).await?.is_some() {
        return Err(Error::Input("this device already belongs to a shared team".into()));
    }
    let keyring = Keyring::generate(cx.device_key.public_key())?;
    tx.put_setting(KEYRING, &keyring.to_bytes()).await?;
    let charter = statement(
        &cx.device_key,
        cx.me.team_id,
        StatementBody::Charter { x25519: cx.device_key.x25519_public(), actor: cx.actor_bytes() },
    );
    tx.add_to_outbox(OUTBOX_STATEMENT, &postcard::to_stdvec(&charter).expect("encodes")).await?;
    // The first sync must find this charter at the start of the relay's registry, so no
    // relay can answer with a team of its own making.
    let anchor = postcard::to_stdvec(&(charter.digest(), charter.clone())).expect("encodes");
    tx.put_setting(ANCHOR, &anchor).await?;
    let mut team: Draft<Team> = draft_team(cx, &mut tx).await?;
    team.value.name = name.to_owned();
    cx.save(&mut tx, &mut team, "create team").await?;
    cx.audit(&mut tx, AuditAction::Team, None, format!("created team {name}")).await?;
    tx.commit().await?;
    Ok(team.value)
}

pub(crate) async fn draft_team(cx: &Context, tx: &mut WriteTx<'_>) -> Result<Draft<Team>> {
    cx.draft(tx, cx.me.team_id.0, DocumentKind::Team, || {
        Error::Corrupt("the team document is missing".into())
    })
    .await
}

pub(super) async fn invite_device(
    cx: &Context,
    admin: bool,
    valid_for: chrono::Duration,
) -> Result<Invitation> {
    let mut tx = cx.store.begin_write().await?;
    require_admin(cx, &mut tx, "invite a device").await?;
    let keyring = keyring(&mut tx)
        .await?
        .ok_or_else(|| Error::Internal("this team device holds no team key".into()))?;
    let code = InviteCode::generate(cx.me.team_id.0)?;
    let expires = chrono::Utc::now() + valid_for;
    let invite = statement(
        &cx.device_key,
        cx.me.team_id,
        StatementBody::Invite { key: code.key(), expires_at: expires.timestamp(), admin },
    );
    let mut team_doc = tx
        .load_document(&cx.me.team_id.0, DocumentKind::Team)
        .await?
        .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
    // The team's first statement, confirmed or still to be published, pins the team
    // for the new device.
    let charter = match confirmed_registry(&mut tx).await?.first() {
        Some(c) => c.statement.digest(),
        None => tx
            .outbox()
            .await?
            .iter()
            .filter(|i| i.kind == OUTBOX_STATEMENT)
            .find_map(|i| postcard::from_bytes::<SignedStatement>(&i.payload).ok())
            .map(|s| s.digest())
            .ok_or_else(|| Error::Corrupt("the team has no charter".into()))?,
    };
    let offer = Offer {
        team: cx.me.team_id.0,
        keyring: keyring.to_bytes().to_vec(),
        team_document: team_doc.save(),
        invited_by: serde_json::to_string(&cx.me.clinician_ref())
            .map_err(|e| Error::Internal(e.to_string()))?,
        admin,
        charter,
        invite: invite.clone(),
    };
    let sealed = code.seal_offer(&offer)?;
    tx.add_to_outbox(OUTBOX_STATEMENT, &postcard::to_stdvec(&invite).expect("encodes")).await?;
    let mut item = code.key().to_vec();
    item.extend_from_slice(&sealed);
    tx.add_to_outbox(OUTBOX_OFFER, &item).await?;
    cx.audit(&mut tx, AuditAction::Team, None, format!("invited a device (admin: {admin})")).await?;
    tx.commit().await?;
    Ok(Invitation { code: code.to_string(), expires_at: Timestamp(expires.timestamp_millis()), admin })
}

pub(super) async fn devices(cx: &Context) -> Result<Vec<DeviceListing>> {
    let mut tx = cx.store.begin_read().await?;
    let team: Team = tx
        .read_document(&cx.me.team_id.0, DocumentKind::Team)
        .await?
        .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
    let (registry, _) = registry_view(cx, &mut tx).await?;
    let confirmed = Registry::replay(cx.me.team_id.0, &confirmed_registry(&mut tx).await?)
        .map_err(|e| Error::Corrupt(e.to_string()))?;
    drop(tx);
    let mut out: Vec<DeviceListing> = team
        .devices
        .iter()
        .map(|(id, d)| {
            let key: Option<[u8; 32]> = hex::decode(&d.public_key).ok().and_then(|b| b.try_into().ok());
            let reg = key.and_then(|k| registry.device(&k));
            let conf = key.and_then(|k| confirmed.device(&k));
            DeviceListing {
                device_id: id.clone(),
                label: d.label.clone(),
                clinician: team.clinicians.get(&d.clinician_id).map(|c| c.name.clone()).unwrap_or_default(),
                public_key: d.public_key.clone(),
                admin: reg.is_some_and(|r| r.admin),
                enrolled_at: d.enrolled_at,
                enrolled_by: d.enrolled_by.as_ref().map(|c| c.name.clone()),
                revoked: d.revoked.clone(),
                confirmed_by_relay: conf.is_some_and(|c| c.active() == d.revoked.is_none()),
                this_device: *id == cx.me.device_id.to_hex(),
                unknown_to_team: false,
            }
        })
        .collect();
    // Every device the registry enrols, even one the team document does not name.
    for d in registry.devices() {
        let key = hex::encode(d.device);
        if out.iter().any(|l| l.public_key == key) {
            continue;
        }
        out.push(DeviceListing {
            device_id: format!("unknown-{}", &key[..16]),
            label: if d.active() {
                "(not in the team document)".into()
            } else {
                "(not in the team document; revoked)".into()
            },
            clinician: String::new(),
            public_key: key,
            admin: d.admin,
            enrolled_at: Timestamp(d.enrolled_at * 1000),
            enrolled_by: None,
            revoked: None,
            confirmed_by_relay: confirmed.device(&d.device).is_some(),
            this_device: false,
            unknown_to_team: true,
        });
    }
    out.sort_by_key(|d| d.enrolled_at.0);
    Ok(out)
}

pub(super) async fn revoke_device(cx: &Context, device: &str, reason: &str) -> Result<DeviceListing> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input("say why the device is revoked (lost, stolen, left the team...)".into()));
    }
    let needle = device.trim().to_ascii_lowercase();
    let mut tx = cx.store.begin_write().await?;
    let registry = require_admin(cx, &mut tx, "revoke a device").await?;
    let mut team = draft_team(cx, &mut tx).await?;
    let matches: Vec<String> =
        team.value.devices.keys().filter(|k| k.starts_with(&needle) && !needle.is_empty()).cloned().collect();
    // A device the registry enrols but the team document lacks is revoked by its key
    // (its listing's id is "unknown-" and the key's start).
    let named: BTreeSet<&str> = team.value.devices.values().map(|d| d.public_key.as_str()).collect();
    let key_needle = needle.strip_prefix("unknown-").unwrap_or(&needle);
    let unnamed: Vec<[u8; 32]> = registry
        .devices()
        .filter(|d| d.active() && !named.contains(hex::encode(d.device).as_str()))
        .filter(|d| key_needle.len() >= 8 && hex::encode(d.device).starts_with(key_needle))
        .map(|d| d.device)
        .collect();
    let (id, key) = match (matches.as_slice(), unnamed.as_slice()) {
        ([one], []) => {
            let id = one.clone();
            if id == cx.me.device_id.to_hex() {
                return Err(Error::Input("you cannot revoke the device you are using".into()));
            }
            let d = team.value.devices.get_mut(&id).expect("matched above");
            if d.revoked.is_some() {
                return Err(Error::Input("that device is already revoked".into()));
            }
            let key: [u8; 32] = hex::decode(&d.public_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Corrupt("a device's public key is malformed".into()))?;
            d.revoked = Some(Revocation {
                revoked_by: cx.me.clinician_ref(),
                revoked_at: Timestamp::now(),
                reason: reason.to_owned(),
            });
            cx.save(&mut tx, &mut team, "revoke device").await?;
            (id, key)
        }
        ([], [key]) => (format!("unknown-{}", &hex::encode(key)[..16]), *key),
        ([], []) => return Err(Error::Input(format!("no device of this team starts with '{device}'"))),
        _ => {
            return Err(Error::Input(format!(
                "'{device}' matches {} devices: give more of the id",
                matches.len() + unnamed.len()
            )));
        }
    };
    let revoke = statement(&cx.device_key, cx.me.team_id, StatementBody::Revoke { device: key });
    tx.add_to_outbox(OUTBOX_STATEMENT, &postcard::to_stdvec(&revoke).expect("encodes")).await?;
    let mut keyring = keyring(&mut tx)
        .await?
        .ok_or_else(|| Error::Internal("this team device holds no team key".into()))?;
    let epoch = keyring.rotate(cx.device_key.public_key()).map_err(|e| Error::Internal(e.to_string()))?.epoch;
    tx.put_setting(KEYRING, &keyring.to_bytes()).await?;
    cx.audit(
        &mut tx,
        AuditAction::Team,
        None,
        format!("revoked device {id}: {reason}; team key now epoch {epoch}"),
    )
    .await?;
    tx.commit().await?;
    let listing =
        devices(cx).await?.into_iter().find(|l| l.device_id == id || l.public_key == hex::encode(key));
    listing.ok_or_else(|| Error::Corrupt("the revoked device vanished".into()))
}

#[cfg(feature = "test-support")]
pub(super) async fn test_keyring(cx: &Context) -> Result<Option<Keyring>> {
    let mut tx = cx.store.begin_read().await?;
    keyring(&mut tx).await
}

#[cfg(feature = "test-support")]
pub(super) fn test_device_key(cx: &Context) -> DeviceKey {
    DeviceKey::from_seed(*cx.device_key.seed()).expect("a stored seed")
}

#[cfg(feature = "test-support")]
pub(super) async fn test_registry(cx: &Context) -> Result<Registry> {
    let mut tx = cx.store.begin_read().await?;
    let statements = confirmed_registry(&mut tx).await?;
    Registry::replay(cx.me.team_id.0, &statements).map_err(|e| Error::Corrupt(e.to_string()))
}
