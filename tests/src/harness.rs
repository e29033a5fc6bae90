//! The relay in memory, driven by a test: request by request as an attacker would, or
//! over a connection the test breaks or holds up at a chosen moment.

/// One connection to a relay held in memory, driven request by request, as a device (or
/// someone attacking the relay) would over the network. `now` is the relay's clock.
pub struct RawConnection<S> {
    relay: std::sync::Arc<hedgerow_relay::RelayState<S>>,
    peer: [u8; 32],
    now: i64,
    /// Opened at the first send (a session learns the storage's log id).
    session: Option<hedgerow_relay::RelaySession>,
}

impl<S: hedgerow_relay::RelayStorage> RawConnection<S> {
    pub fn open(relay: &std::sync::Arc<hedgerow_relay::RelayState<S>>, peer: [u8; 32], now: i64) -> Self {
        Self { relay: relay.clone(), peer, now, session: None }
    }

    /// Sends `requests` in one flight; returns every reply until the relay waits for more
    /// or closes the connection.
    pub async fn send(
        &mut self,
        requests: &[hedgerow_core::sync::wire::Request],
    ) -> Vec<hedgerow_core::sync::wire::Reply> {
        use hedgerow_core::sync::wire;
        let session = match &mut self.session {
            Some(s) => s,
            None => self.session.insert(
                self.relay.new_session(self.peer, self.now).await.expect("the relay's storage answers"),
            ),
        };
        for r in requests {
            session.receive(&wire::frame(r), self.now);
        }
        let flight = self.relay.run_until_input(session).await;
        let mut decoder = wire::FrameDecoder::default();
        decoder.push(&flight.bytes);
        let mut replies = Vec::new();
        while let Ok(Some(payload)) = decoder.next_frame() {
            replies.push(wire::decode(&payload).expect("the relay sends well-formed replies"));
        }
        replies
    }

    pub fn is_closing(&self) -> bool {
        self.session.as_ref().is_some_and(hedgerow_relay::RelaySession::is_closing)
    }
}

/// The refusal among `replies`, if the relay refused.
pub fn refusal_of(
    replies: &[hedgerow_core::sync::wire::Reply],
) -> Option<hedgerow_core::sync::wire::Refusal> {
    replies.iter().find_map(|r| match r {
        hedgerow_core::sync::wire::Reply::Refused { code, .. } => Some(*code),
        _ => None,
    })
}

/// A Hello in the current protocol version.
pub fn hello(team: [u8; 16]) -> hedgerow_core::sync::wire::Request {
    hedgerow_core::sync::wire::Request::Hello { version: hedgerow_core::sync::wire::PROTOCOL_VERSION, team }
}

/// A relay held in memory, reached over a connection the test can break or hold up at a
/// chosen moment: the harness for races and dropped connections, deterministic.
pub struct ScriptedLink<S> {
    relay: std::sync::Arc<hedgerow_relay::RelayState<S>>,
    /// The relay's clock.
    pub now: i64,
    /// The connection drops as the device sends a push, before the relay has it.
    pub drop_push: bool,
    /// Once the relay has answered everything before the device's first Pull, this link
    /// says so on the first channel and waits on the second before the relay reads it.
    pub pause_before_pull: Option<(tokio::sync::oneshot::Sender<()>, tokio::sync::oneshot::Receiver<()>)>,
    /// A lying relay: every registry it serves is this one instead.
    pub serve_registry: Option<Vec<hedgerow_core::sync::registry::PositionedStatement>>,
}

impl<S: hedgerow_relay::RelayStorage> ScriptedLink<S> {
    pub fn new(relay: std::sync::Arc<hedgerow_relay::RelayState<S>>) -> Self {
        Self {
            relay,
            now: chrono::Utc::now().timestamp(),
            drop_push: false,
            pause_before_pull: None,
            serve_registry: None,
        }
    }
}

impl<S: hedgerow_relay::RelayStorage> hedgerow_core::sync::transport::Link for ScriptedLink<S> {
    fn describe(&self) -> String {
        "scripted in-memory relay".into()
    }

    async fn enrol(
        &mut self,
        device: &hedgerow_core::crypto::DeviceKey,
        session: &mut hedgerow_core::sync::enrolment::EnrolSession,
    ) -> Result<Vec<u8>, hedgerow_core::sync::transport::TransportError> {
        let mut link = crate::MemoryLink::new(self.relay.clone());
        link.now = self.now;
        link.enrol(device, session).await
    }

    async fn run<H: hedgerow_core::sync::transport::SessionHandler>(
        &mut self,
        device: &hedgerow_core::crypto::DeviceKey,
        session: &mut hedgerow_core::sync::client::ClientSession,
        handler: &mut H,
    ) -> Result<(), hedgerow_core::sync::transport::TransportError> {
        use hedgerow_core::sync::client::SyncEvent;
        use hedgerow_core::sync::transport::TransportError;
        use hedgerow_core::sync::wire::{self, Request};
        let mut relay =
            self.relay.new_session(device.public_key(), self.now).await.map_err(crate::storage_failed)?;
        loop {
            let mut down = Vec::new();
            let mut sent = false;
            while let Some(f) = session.poll_transmit() {
                let mut frames = wire::FrameDecoder::default();
                frames.push(&f);
                while let Some(payload) =
                    frames.next_frame().map_err(hedgerow_core::sync::client::SyncError::from)?
                {
                    let request: Request =
                        wire::decode(&payload).map_err(hedgerow_core::sync::client::SyncError::from)?;
                    if matches!(request, Request::Push { .. }) && self.drop_push {
                        return Err(TransportError::Io(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "the connection dropped",
                        )));
                    }
                    if matches!(request, Request::Pull { .. })
                        && let Some((paused, resume)) = self.pause_before_pull.take()
                    {
                        down.extend(self.relay.run_until_input(&mut relay).await.bytes);
                        let _ = paused.send(());
                        let _ = resume.await;
                    }
                    relay.receive(&payload_frame(&payload), self.now);
                    sent = true;
                }
            }
            down.extend(self.relay.run_until_input(&mut relay).await.bytes);
            if let Some(registry) = &self.serve_registry {
                down = substitute_registry(&down, registry)?;
            }
            if !sent && down.is_empty() {
                return Err(
                    hedgerow_core::sync::client::SyncError::Protocol("the session stalled".into()).into()
                );
            }
            session.handle_input(&down)?;
            while let Some(ev) = session.poll_event() {
                let done = matches!(ev, SyncEvent::Done);
                handler.on_event(ev, session).await?;
                if done {
                    return Ok(());
                }
            }
        }
    }
}

/// The relay's replies with every registry swapped for `registry`.
fn substitute_registry(
    down: &[u8],
    registry: &[hedgerow_core::sync::registry::PositionedStatement],
) -> Result<Vec<u8>, hedgerow_core::sync::client::SyncError> {
    use hedgerow_core::sync::wire::{self, Reply};
    let mut frames = wire::FrameDecoder::default();
    frames.push(down);
    let mut out = Vec::new();
    while let Some(payload) = frames.next_frame()? {
        let reply = match wire::decode::<Reply>(&payload)? {
            Reply::Registry { .. } => Reply::Registry { from: 0, statements: registry.to_vec() },
            other => other,
        };
        out.extend(wire::frame(&reply));
    }
    Ok(out)
}

/// A payload framed again (its length, then the bytes).
fn payload_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}
