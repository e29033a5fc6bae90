//! The relay's transport, kept thin: an iroh endpoint, the accept loop with its connection
//! limit, and one task per connection that moves bytes between the QUIC stream and the
//! connection's [`RelaySession`], doing the storage work it asks for.

use crate::session::{Output, RelaySession};
use crate::state::RelayState;
use crate::storage::RelayStorage;
use hedgerow_protocol::wire::{RELAY_ALPN, Refusal};
use iroh::endpoint::{QuicTransportConfig, presets};
use iroh::{Endpoint, SecretKey};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long a connection may go without hearing from the other end at the QUIC level.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a device's connection is kept open with no sync in it. It holds one of the
/// relay's `max_connections` places meanwhile, so not long: a device that syncs every
/// minute or so while it has signal reuses it, one put away is forgotten soon.
pub const KEPT_FOR: Duration = Duration::from_secs(60);

/// The relay's iroh endpoint: its key is the relay's own, so its endpoint id stays the
/// same across restarts. No relay servers and no address lookup: devices dial it by address.
pub async fn endpoint(seed: &[u8; 32], bind: SocketAddr) -> Result<Endpoint, BindError> {
    let quic = QuicTransportConfig::builder()
        .keep_alive_interval(Duration::from_secs(2))
        .max_idle_timeout(Some(IDLE_TIMEOUT.try_into().expect("a valid idle timeout")))
        .build();
    let bind_error = |e: &dyn std::fmt::Display| BindError { address: bind, reason: e.to_string() };
    Endpoint::builder(presets::Minimal)
        .transport_config(quic)
        .secret_key(SecretKey::from_bytes(seed))
        .alpns(vec![RELAY_ALPN.to_vec()])
        .clear_ip_transports()
        .bind_addr(bind)
        .map_err(|e| bind_error(&e))?
        .bind()
        .await
        .map_err(|e| bind_error(&e))
}

/// The relay could not listen where it was told to.
#[derive(Debug, thiserror::Error)]
#[error("could not listen on {address}: {reason}")]
pub struct BindError {
    pub address: SocketAddr,
    pub reason: String,
}

/// The address devices dial, written as they read it: `ENDPOINT_ID@IP:PORT[,IP:PORT...]`.
pub fn address_of(endpoint: &Endpoint) -> String {
    let addrs: Vec<String> = endpoint.bound_sockets().iter().map(|a| a.to_string()).collect();
    format!("{}@{}", endpoint.id(), addrs.join(","))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Serves relay connections until the endpoint closes.
pub async fn serve_relay<S: RelayStorage>(endpoint: Endpoint, state: Arc<RelayState<S>>) {
    // At most `max_connections` connections at once, kept ones included: one more is told the
    // relay is busy.
    let permits = Arc::new(tokio::sync::Semaphore::new(state.limits().max_connections));
    while let Some(incoming) = endpoint.accept().await {
        let state = state.clone();
        let permit = permits.clone().try_acquire_owned().ok();
        tokio::spawn(async move {
            let conn = match incoming.await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "a connection failed its handshake");
                    return;
                }
            };
            let peer = *conn.remote_id().as_bytes();
            let Some(_permit) = permit else {
                tracing::warn!(peer = %hex::encode(&peer[..8]), "relay busy: a connection was turned away");
                state.count_refusal(Refusal::Busy);
                if let Ok((mut send, _recv)) = conn.accept_bi().await {
                    let _ = send.write_all(&RelaySession::busy()).await;
                    let _ = send.finish();
                }
                // Let the device read the reply before the connection goes.
                let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
                return;
            };
            crate::metrics::connection_opened();
            // One session per stream: a device keeps its connection between syncs and opens a
            // stream for each, so the handshake is paid once. A connection with no new
            // stream for KEPT_FOR is closed, and its place given to another device.
            loop {
                let (send, recv) = match tokio::time::timeout(KEPT_FOR, conn.accept_bi()).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "a device closed its connection");
                        break;
                    }
                    Err(_) => {
                        conn.close(0u32.into(), b"idle");
                        break;
                    }
                };
                match state.new_session(peer, unix_now()).await {
                    Ok(mut session) => {
                        if let Err(e) = serve_stream(&state, &mut session, recv, send).await {
                            tracing::warn!(peer = %hex::encode(&peer[..8]), error = %e, "relay connection ended with an error");
                        }
                        crate::metrics::session_ended(&session.stats);
                        if session.refusal().is_some() {
                            // A refused device (revoked, say) keeps no connection here.
                            let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "relay storage failed");
                        break;
                    }
                }
            }
            crate::metrics::connection_closed();
        });
    }
}

/// Runs one relay session over a byte stream.
pub async fn serve_stream<S: RelayStorage>(
    state: &RelayState<S>,
    session: &mut RelaySession,
    mut r: impl AsyncRead + Unpin,
    mut w: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    // When the bytes being answered arrived, for the time the relay took over them.
    let mut heard: Option<std::time::Instant> = None;
    loop {
        match session.poll() {
            Output::Send(f) => {
                crate::metrics::sent(f.len());
                w.write_all(&f).await?
            }
            Output::Storage(request) => session.handle_storage(state.perform(request).await),
            Output::Close(f) => {
                if let Some(code) = session.refusal() {
                    state.count_refusal(code);
                }
                crate::metrics::sent(f.len());
                w.write_all(&f).await?;
                w.shutdown().await?;
                return Ok(());
            }
            Output::Hangup => {
                let _ = w.shutdown().await;
                return Ok(());
            }
            Output::NeedInput => {
                w.flush().await?;
                if let Some(t) = heard.take() {
                    crate::metrics::flight(t.elapsed());
                }
                let wait = session
                    .poll_timeout()
                    .map_or(crate::IDLE_SECONDS, |deadline| (deadline - unix_now()).max(0));
                match tokio::time::timeout(Duration::from_secs(wait as u64), r.read(&mut buf)).await {
                    Ok(n) => {
                        let n = n?;
                        if n == 0 {
                            if let Err(e) = session.input_ended() {
                                tracing::warn!(error = %e, "a device's stream ended mid-frame");
                            }
                            let _ = w.shutdown().await;
                            return Ok(());
                        }
                        crate::metrics::received(n);
                        heard.get_or_insert_with(std::time::Instant::now);
                        session.receive(&buf[..n], unix_now());
                    }
                    Err(_) => session.handle_timeout(unix_now()),
                }
            }
        }
    }
}
