//! Moving the device's sessions' bytes: over any async byte stream (an iroh QUIC stream,
//! or an in-memory pipe in tests), and the iroh endpoint set-up for devices. The relay's
//! own transport is hedgerow-relay's `serve`.

use super::client::{ClientSession, SyncError, SyncEvent};
use super::enrolment::EnrolSession;
use super::wire::RELAY_ALPN;
use crate::crypto::DeviceKey;
use iroh::endpoint::{QuicTransportConfig, presets};
use std::time::Duration;

/// How long a connection may go without hearing from the other end.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
use iroh::{Endpoint, EndpointAddr, EndpointId, SecretKey};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("the connection to the relay failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not reach the relay at {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error("could not start the network endpoint: {0}")]
    Bind(String),
    /// This device's own handling failed (its store, its disk): the core's error, kept whole.
    #[error(transparent)]
    Handler(Box<crate::Error>),
}

/// Where a relay listens: its endpoint id (its public key) and its socket addresses,
/// written `ENDPOINT_ID@IP:PORT[,IP:PORT...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayAddress {
    pub id: EndpointId,
    pub addrs: Vec<SocketAddr>,
}

impl fmt::Display for RelayAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addrs: Vec<String> = self.addrs.iter().map(|a| a.to_string()).collect();
        write!(f, "{}@{}", self.id, addrs.join(","))
    }
}

impl FromStr for RelayAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let help = "a relay address looks like ENDPOINT_ID@IP:PORT, as hedgerow-relay prints it";
        let (id, addrs) = s.trim().split_once('@').ok_or_else(|| format!("'{s}' has no '@': {help}"))?;
        let id =
            EndpointId::from_str(id).map_err(|e| format!("'{id}' is not an endpoint id ({e}): {help}"))?;
        let addrs = addrs
            .split(',')
            .map(|a| a.parse().map_err(|e| format!("'{a}' is not IP:PORT ({e}): {help}")))
            .collect::<Result<Vec<SocketAddr>, String>>()?;
        if addrs.is_empty() {
            return Err(help.into());
        }
        Ok(Self { id, addrs })
    }
}

impl RelayAddress {
    pub fn endpoint_addr(&self) -> EndpointAddr {
        self.addrs.iter().fold(EndpointAddr::new(self.id), |a, s| a.with_ip_addr(*s))
    }
}

/// An iroh endpoint for a device or relay: its key is the device's seed, so its endpoint
/// id is the device's public key. No relay servers and no address lookup: it works on a
/// closed network, dialled by address.
pub async fn endpoint(
    seed: &[u8; 32],
    bind: SocketAddr,
    alpns: Vec<Vec<u8>>,
) -> Result<Endpoint, TransportError> {
    // Keep-alives hold a quiet connection open; a peer silent for IDLE_TIMEOUT is gone,
    // and the sync fails cleanly to resume next time.
    let quic = QuicTransportConfig::builder()
        .keep_alive_interval(Duration::from_secs(2))
        .max_idle_timeout(Some(IDLE_TIMEOUT.try_into().expect("a valid idle timeout")))
        .build();
    Endpoint::builder(presets::Minimal)
        .transport_config(quic)
        .secret_key(SecretKey::from_bytes(seed))
        .alpns(alpns)
        .clear_ip_transports()
        .bind_addr(bind)
        .map_err(|e| TransportError::Bind(e.to_string()))?
        .bind()
        .await
        .map_err(|e| TransportError::Bind(e.to_string()))
}

/// The address devices dial to reach this endpoint.
pub fn address_of(endpoint: &Endpoint) -> RelayAddress {
    RelayAddress { id: endpoint.id(), addrs: endpoint.bound_sockets() }
}

/// What the device does with a session's events: apply bundles, keep keys, decide what
/// to push once the pull is over.
pub trait SessionHandler {
    fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> impl Future<Output = Result<(), TransportError>>;
}

/// Closes our side of a stream, then waits (briefly) for the other end to close its own,
/// so that neither end sees the connection drop mid-stream.
pub async fn close_both_ways(r: &mut (impl AsyncRead + Unpin), w: &mut (impl AsyncWrite + Unpin)) {
    let _ = w.shutdown().await;
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while r.read(&mut buf).await.is_ok_and(|n| n > 0) {}
    })
    .await;
}

/// Runs a device's session over a byte stream to the end.
pub async fn run_client_stream<H: SessionHandler>(
    session: &mut ClientSession,
    mut r: impl AsyncRead + Unpin,
    mut w: impl AsyncWrite + Unpin,
    handler: &mut H,
) -> Result<(), TransportError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(f) = session.poll_transmit() {
            w.write_all(&f).await?;
        }
        w.flush().await?;
        while let Some(ev) = session.poll_event() {
            tracing::debug!(?ev, "sync event");
            let done = matches!(ev, SyncEvent::Done);
            // Boxed so a deep apply future stays off the caller's stack.
            Box::pin(handler.on_event(ev, session)).await?;
            if done {
                close_both_ways(&mut r, &mut w).await;
                return Ok(());
            }
        }
        if session.poll_transmit_pending() {
            continue;
        }
        let n = r.read(&mut buf).await?;
        if n == 0 {
            session.input_ended()?;
            return Err(SyncError::Protocol("the relay closed the connection early".into()).into());
        }
        session.handle_input(&buf[..n])?;
    }
}

/// A way to reach a relay: over iroh, or in memory for tests and benchmarks.
pub trait Link {
    fn describe(&self) -> String;
    /// Runs a sync session as `device`.
    fn run<H: SessionHandler>(
        &mut self,
        device: &DeviceKey,
        session: &mut ClientSession,
        handler: &mut H,
    ) -> impl Future<Output = Result<(), TransportError>>;
    /// Claims an invite as the new `device`; returns the sealed offer.
    fn enrol(
        &mut self,
        device: &DeviceKey,
        session: &mut EnrolSession,
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>>;
}

/// A relay reached over iroh by address; the device's key is its endpoint key.
pub struct IrohLink<'a> {
    pub relay: &'a RelayAddress,
}

impl Link for IrohLink<'_> {
    fn describe(&self) -> String {
        self.relay.to_string()
    }

    async fn run<H: SessionHandler>(
        &mut self,
        device: &DeviceKey,
        session: &mut ClientSession,
        handler: &mut H,
    ) -> Result<(), TransportError> {
        sync_with_relay(device.seed(), self.relay, session, handler).await
    }

    async fn enrol(
        &mut self,
        device: &DeviceKey,
        session: &mut EnrolSession,
    ) -> Result<Vec<u8>, TransportError> {
        enrol_with_relay(device.seed(), self.relay, session).await
    }
}

/// A connection to a relay kept open between syncs, so that the relay does the QUIC and TLS
/// handshake once per device, not once per sync (the handshake is most of what a no-change
/// sync costs it). Each sync is a new stream on it; a connection that has failed, or one to
/// another relay, is dialled again.
#[derive(Default)]
pub struct KeptRelayConnection {
    kept: tokio::sync::Mutex<Option<Kept>>,
}

struct Kept {
    relay: RelayAddress,
    endpoint: Endpoint,
    conn: iroh::endpoint::Connection,
}

impl KeptRelayConnection {
    /// Closes the kept connection, if any, and its endpoint.
    pub async fn close(&self) {
        if let Some(k) = self.kept.lock().await.take() {
            k.conn.close(0u32.into(), b"done");
            k.endpoint.close().await;
        }
    }
}

/// A relay reached over the device's kept connection (see [`KeptRelayConnection`]).
pub struct KeptLink<'a> {
    pub relay: &'a RelayAddress,
    pub kept: &'a KeptRelayConnection,
    /// Set when the kept connection turned out closed before the relay said anything (it
    /// restarted, say): nothing happened, and the caller may start a new session, which
    /// dials afresh.
    pub stale: bool,
}

impl Link for KeptLink<'_> {
    fn describe(&self) -> String {
        self.relay.to_string()
    }

    async fn run<H: SessionHandler>(
        &mut self,
        device: &DeviceKey,
        session: &mut ClientSession,
        handler: &mut H,
    ) -> Result<(), TransportError> {
        let mut kept = self.kept.kept.lock().await;
        let reused = kept.as_ref().is_some_and(|k| k.relay == *self.relay && k.conn.close_reason().is_none());
        if !reused && let Some(old) = kept.take() {
            old.endpoint.close().await;
        }
        let conn = match kept.as_ref() {
            Some(k) => k.conn.clone(),
            None => {
                let (endpoint, conn) = connect(device.seed(), self.relay, RELAY_ALPN).await?;
                kept.insert(Kept { relay: self.relay.clone(), endpoint, conn }).conn.clone()
            }
        };
        let result = match conn.open_bi().await {
            Ok((send, recv)) => run_client_stream(session, recv, send, handler).await,
            Err(e) => Err(TransportError::Connect { address: self.relay.to_string(), reason: e.to_string() }),
        };
        let closed = conn.close_reason().is_some();
        // Only a sync that went well keeps its connection: after a refusal, a protocol error
        // or a broken link the next sync starts clean, and the relay is not left waiting.
        if (closed || result.is_err())
            && let Some(k) = kept.take()
        {
            k.conn.close(0u32.into(), b"failed");
            k.endpoint.close().await;
        }
        // A refusal, or any reply, is the relay's answer and is never tried again.
        self.stale = reused
            && closed
            && session.bytes_received == 0
            && matches!(result, Err(TransportError::Io(_) | TransportError::Connect { .. }));
        result
    }

    async fn enrol(
        &mut self,
        device: &DeviceKey,
        session: &mut EnrolSession,
    ) -> Result<Vec<u8>, TransportError> {
        enrol_with_relay(device.seed(), self.relay, session).await
    }
}

/// A new endpoint with this device's key, connected to `to` over `alpn`; the endpoint is
/// closed again if the connection fails.
async fn connect(
    seed: &[u8; 32],
    to: &RelayAddress,
    alpn: &[u8],
) -> Result<(Endpoint, iroh::endpoint::Connection), TransportError> {
    let ep = endpoint(seed, SocketAddr::from(([0, 0, 0, 0], 0)), vec![]).await?;
    match ep.connect(to.endpoint_addr(), alpn).await {
        Ok(conn) => Ok((ep, conn)),
        Err(e) => {
            ep.close().await;
            Err(TransportError::Connect { address: to.to_string(), reason: e.to_string() })
        }
    }
}

/// Dials `to` with this device's key over `alpn`, opens one stream and runs `talk` on it.
/// The connection and the endpoint are closed afterwards, whatever `talk` returns.
pub async fn dial<T, E: From<TransportError>>(
    seed: &[u8; 32],
    to: &RelayAddress,
    alpn: &[u8],
    talk: impl AsyncFnOnce(iroh::endpoint::RecvStream, iroh::endpoint::SendStream) -> Result<T, E>,
) -> Result<T, E> {
    let (ep, conn) = connect(seed, to, alpn).await?;
    let result = async {
        let unreachable = |e: String| TransportError::Connect { address: to.to_string(), reason: e };
        let (send, recv) = conn.open_bi().await.map_err(|e| unreachable(e.to_string()))?;
        let out = talk(recv, send).await;
        conn.close(0u32.into(), b"done");
        out
    }
    .await;
    ep.close().await;
    result
}

/// Connects to a relay and runs a session.
pub async fn sync_with_relay<H: SessionHandler>(
    seed: &[u8; 32],
    relay: &RelayAddress,
    session: &mut ClientSession,
    handler: &mut H,
) -> Result<(), TransportError> {
    dial(seed, relay, RELAY_ALPN, async |recv, send| run_client_stream(session, recv, send, handler).await)
        .await
}

/// Connects to a relay and claims an invite; returns the sealed offer.
pub async fn enrol_with_relay(
    seed: &[u8; 32],
    relay: &RelayAddress,
    session: &mut EnrolSession,
) -> Result<Vec<u8>, TransportError> {
    dial(seed, relay, RELAY_ALPN, async |mut recv, mut send| {
        while let Some(f) = session.poll_transmit() {
            AsyncWriteExt::write_all(&mut send, &f).await?;
        }
        let mut buf = vec![0u8; 64 * 1024];
        let out = loop {
            let n = AsyncReadExt::read(&mut recv, &mut buf).await?;
            if n == 0 {
                break Err(
                    SyncError::Protocol("the relay closed the connection during enrolment".into()).into()
                );
            }
            if let Some(offer) = session.handle_input(&buf[..n])? {
                break Ok(offer);
            }
        };
        close_both_ways(&mut recv, &mut send).await;
        out
    })
    .await
}
