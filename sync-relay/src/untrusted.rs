//! The relay's decoder of untrusted bytes behind one entry point, for the fuzz target
//! (`fuzz/`) and the stable-Rust test that runs the same inputs in CI.

use crate::{RelayState, RelayStorage};
use hedgerow_protocol::wire::{self, Reply};

/// A relay session fed `bytes` as a device would send them, against `state`; whether the
/// relay took them without refusing.
pub async fn relay_session<S: RelayStorage>(state: &RelayState<S>, bytes: &[u8]) -> bool {
    let Ok(mut session) = state.new_session([9; 32], 0).await else {
        return false;
    };
    session.receive(bytes, 0);
    let flight = state.run_until_input(&mut session).await;
    let mut replies = wire::FrameDecoder::default();
    replies.push(&flight.bytes);
    let mut refused = false;
    while let Ok(Some(payload)) = replies.next_frame() {
        refused |= matches!(wire::decode::<Reply>(&payload), Ok(Reply::Refused { .. }));
    }
    !refused
}
