//! Direct sync over the network: the exchange over a byte stream with an authenticated team
//! device, dialling one by address, listening for them, and finding them on the local
//! network by mDNS. What is exchanged, and how it is stored, is `peer.rs`; with a device
//! of a team this team shares records with, `partner_link.rs`.

use super::Context;
use super::peer::PeerReport;
use crate::error::{Error, Result};
use crate::sync::partner::{PARTNER_ALPN, Side};
use std::collections::BTreeMap;

/// How long a direct sync waits for the other device before giving up on it.
pub const PEER_STALL: std::time::Duration = std::time::Duration::from_secs(15);

fn peer_err(e: impl std::fmt::Display) -> Error {
    Error::Peer(e.to_string())
}

/// What the other device sent breaks the protocol: refused, naming the device. A device in
/// another team, or one that ended the sync, is not a fault in what it sent.
fn peer_session_err(peer: &[u8; 32], e: crate::sync::peer::PeerError) -> Error {
    use crate::sync::peer::PeerError;
    match e {
        PeerError::Wire(_) | PeerError::Protocol(_) => Error::from_device(peer, e.to_string()),
        PeerError::WrongTeam | PeerError::Goodbye(_) => peer_err(e),
    }
}

pub(super) async fn sync_with_peer_stream(
    cx: &Context,
    peer: [u8; 32],
    mut r: impl tokio::io::AsyncRead + Unpin,
    mut w: impl tokio::io::AsyncWrite + Unpin,
) -> Result<PeerReport> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut session = super::peer::peer_session(cx, &peer).await?;
    let mut driver = super::peer::peer_driver(cx, peer);
    let outcome: Result<()> = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            while let Some(f) = session.poll_transmit() {
                w.write_all(&f).await.map_err(peer_err)?;
            }
            w.flush().await.map_err(peer_err)?;
            while let Some(ev) = session.poll_event() {
                // Boxed: applying a bundle is a deep future; on the stack it overflows
                // a 2 MiB thread in debug builds.
                Box::pin(driver.on_event(ev, &mut session)).await?;
            }
            if session.poll_transmit_pending() {
                continue;
            }
            if session.is_done() {
                crate::sync::transport::close_both_ways(&mut r, &mut w).await;
                return Ok(());
            }
            let n = tokio::time::timeout(PEER_STALL, r.read(&mut buf))
                .await
                .map_err(|_| peer_err("the other device stopped answering"))?
                .map_err(peer_err)?;
            if n == 0 {
                return Err(peer_err("the other device closed the connection before the sync finished"));
            }
            session.handle_input(&buf[..n]).map_err(|e| peer_session_err(&peer, e))?;
        }
    }
    .await;
    driver.report.bytes_sent = session.bytes_sent as u64;
    driver.report.bytes_received = session.bytes_received as u64;
    if outcome.is_ok() {
        super::peer::agree_with_peer(cx, &peer).await?;
    }
    super::peer::audit_peer_sync(cx, &driver.report, &outcome).await?;
    outcome?;
    Ok(driver.report)
}

pub(super) async fn sync_with_peer(
    cx: &Context,
    peer: &crate::sync::transport::RelayAddress,
) -> Result<PeerReport> {
    let id = *peer.id.as_bytes();
    if super::peer::is_team_device(cx, &id).await? {
        return crate::sync::transport::dial(
            cx.device_key.seed(),
            peer,
            crate::sync::peer::PEER_ALPN,
            async |recv, send| sync_with_peer_stream(cx, id, recv, send).await,
        )
        .await;
    }
    if super::sharing::partner_teams(cx).await.unwrap_or_default().is_empty() {
        return Err(Error::Peer(
            "that device is not an enrolled, unrevoked device of your team (sync with the relay to learn of new devices), and your team shares records with no other team".into(),
        ));
    }
    crate::sync::transport::dial(cx.device_key.seed(), peer, PARTNER_ALPN, async |recv, send| {
        super::partner_link::exchange_letters_stream(cx, id, Side::Dialler, recv, send).await
    })
    .await
}

pub(super) async fn listen(
    cx: &Context,
    bind: std::net::SocketAddr,
    ready: impl FnOnce(&crate::sync::transport::RelayAddress),
    mut on_sync: impl FnMut(Result<PeerReport>),
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let ep = crate::sync::transport::endpoint(
        cx.device_key.seed(),
        bind,
        vec![crate::sync::peer::PEER_ALPN.to_vec(), PARTNER_ALPN.to_vec()],
    )
    .await?;
    // Found by team devices on the same network; a network that forbids multicast
    // still allows dialling by address.
    if let Err(e) = advertise(&ep) {
        tracing::warn!(error = %e, "not advertising on the local network");
    }
    ready(&crate::sync::transport::address_of(&ep));
    tokio::pin!(stop);
    loop {
        let incoming = tokio::select! {
            _ = &mut stop => break,
            i = ep.accept() => match i { Some(i) => i, None => break },
        };
        let conn = match incoming.await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "a device failed the handshake");
                continue;
            }
        };
        let peer = *conn.remote_id().as_bytes();
        // Another team's device: only letters, and only if the teams share records.
        let partner = conn.alpn() == PARTNER_ALPN;
        if !partner && !super::peer::is_team_device(cx, &peer).await? {
            tracing::warn!(peer = %hex::encode(&peer[..8]), "refused a device that is not an active device of this team");
            conn.close(1u32.into(), b"not a device of this team");
            on_sync(Err(Error::Peer(format!(
                "refused device {}: not an active device of this team",
                hex::encode(&peer[..8])
            ))));
            continue;
        }
        let result = async {
            let (send, recv) = tokio::time::timeout(PEER_STALL, conn.accept_bi())
                .await
                .map_err(|_| peer_err("the other device connected but never started the sync"))?
                .map_err(peer_err)?;
            match partner {
                true => {
                    super::partner_link::exchange_letters_stream(cx, peer, Side::Listener, recv, send).await
                }
                false => sync_with_peer_stream(cx, peer, recv, send).await,
            }
        }
        .await;
        if let Err(e) = &result {
            tracing::warn!(peer = %hex::encode(&peer[..8]), error = %e, "a direct sync failed");
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), conn.closed()).await;
        on_sync(result);
    }
    ep.close().await;
    Ok(())
}

/// The mDNS service name team devices advertise under.
const MDNS_SERVICE: &str = "hedgerow";

pub(super) async fn nearby_devices(
    cx: &Context,
    wait: std::time::Duration,
) -> Result<Vec<crate::sync::transport::RelayAddress>> {
    use n0_future::StreamExt;
    let ep = crate::sync::transport::endpoint(
        cx.device_key.seed(),
        std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        vec![],
    )
    .await?;
    let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
        .service_name(MDNS_SERVICE)
        .advertise(false)
        .build(ep.id())
        .map_err(|e| Error::Peer(format!("local network discovery could not start: {e}")))?;
    let mut events = mdns.subscribe().await;
    // Checked once: discovery repeats itself for every device it hears.
    let registry = super::peer::confirmed_team_registry(cx).await?;
    let me = cx.device_key.public_key();
    let mut found: BTreeMap<[u8; 32], crate::sync::transport::RelayAddress> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.next()).await {
        if let iroh_mdns_address_lookup::DiscoveryEvent::Discovered { endpoint_info, .. } = event {
            let addr = endpoint_info.to_endpoint_addr();
            let id = *addr.id.as_bytes();
            let addrs: Vec<std::net::SocketAddr> = addr.ip_addrs().copied().collect();
            if !addrs.is_empty() && id != me && registry.is_active(&id) {
                found.insert(id, crate::sync::transport::RelayAddress { id: addr.id, addrs });
            }
        }
    }
    ep.close().await;
    Ok(found.into_values().collect())
}

/// Advertises a listening endpoint on the local network.
pub(crate) fn advertise(ep: &iroh::Endpoint) -> Result<()> {
    let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
        .service_name(MDNS_SERVICE)
        .build(ep.id())
        .map_err(|e| Error::Peer(format!("local network discovery could not start: {e}")))?;
    ep.address_lookup().map_err(|e| Error::Peer(e.to_string()))?.add(mdns);
    Ok(())
}
