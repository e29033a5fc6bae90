//! A relay session in the same process, driven flight by flight with no sockets: the
//! device sends all it has, the relay answers all it can, and so on. The relay's real
//! session and state over any storage (SQLite in a temporary directory, or memory).

use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::sync::client::{ClientSession, SyncError, SyncEvent};
use hedgerow_core::sync::enrolment::EnrolSession;
use hedgerow_core::sync::transport::{Link, SessionHandler, TransportError};
use hedgerow_relay::{RelayState, RelayStorage, StorageError};
use std::sync::Arc;

/// Counts of one in-memory sync: flights the device sent (round trips) and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub round_trips: usize,
    pub bytes_up: usize,
    pub bytes_down: usize,
}

pub struct MemoryLink<S> {
    relay: Arc<RelayState<S>>,
    /// The relay's clock.
    pub now: i64,
    pub stats: LinkStats,
}

impl<S: RelayStorage> MemoryLink<S> {
    pub fn new(relay: Arc<RelayState<S>>) -> Self {
        Self { relay, now: chrono::Utc::now().timestamp(), stats: LinkStats::default() }
    }
}

/// The relay's storage failing, as the device sees it: the connection goes.
pub(crate) fn storage_failed(e: StorageError) -> TransportError {
    TransportError::Io(std::io::Error::other(e.to_string()))
}

impl<S: RelayStorage> Link for MemoryLink<S> {
    fn describe(&self) -> String {
        "in-memory relay".into()
    }

    async fn enrol(
        &mut self,
        device: &DeviceKey,
        session: &mut EnrolSession,
    ) -> Result<Vec<u8>, TransportError> {
        // The device's key stands in for the endpoint id iroh would have authenticated.
        let mut relay =
            self.relay.new_session(device.public_key(), self.now).await.map_err(storage_failed)?;
        let mut up = Vec::new();
        while let Some(f) = session.poll_transmit() {
            up.extend_from_slice(&f);
        }
        relay.receive(&up, self.now);
        let down = self.relay.run_until_input(&mut relay).await.bytes;
        session
            .handle_input(&down)?
            .ok_or_else(|| SyncError::Protocol("the relay sent no offer".into()).into())
    }

    async fn run<H: SessionHandler>(
        &mut self,
        device: &DeviceKey,
        session: &mut ClientSession,
        handler: &mut H,
    ) -> Result<(), TransportError> {
        let mut relay =
            self.relay.new_session(device.public_key(), self.now).await.map_err(storage_failed)?;
        self.stats = LinkStats::default();
        loop {
            let mut up = Vec::new();
            while let Some(f) = session.poll_transmit() {
                up.extend_from_slice(&f);
            }
            if !up.is_empty() {
                self.stats.round_trips += 1;
                self.stats.bytes_up += up.len();
                relay.receive(&up, self.now);
            }
            let down = self.relay.run_until_input(&mut relay).await.bytes;
            self.stats.bytes_down += down.len();
            if up.is_empty() && down.is_empty() {
                return Err(SyncError::Protocol("the session stalled".into()).into());
            }
            session.handle_input(&down)?;
            while let Some(ev) = session.poll_event() {
                let done = matches!(ev, SyncEvent::Done);
                Box::pin(handler.on_event(ev, session)).await?;
                if done {
                    return Ok(());
                }
            }
        }
    }
}
