//! The relay's session as the state machine it is: devices made of protocol types only,
//! storage in memory, the clock a number the test moves. Some tests let the relay's state
//! do the storage work; others answer each storage request by hand, to fail or race it at
//! an exact step.

use hedgerow_protocol::bundle::sign_entry;
use hedgerow_protocol::crypto::DeviceKey;
use hedgerow_protocol::keys::KeyId;
use hedgerow_protocol::registry::{SignedStatement, Statement, StatementBody, join_proof};
use hedgerow_protocol::wire::{self, EntryKind, LogEntry, PROTOCOL_VERSION, Refusal, Reply, Request};
use hedgerow_relay::{
    IDLE_SECONDS, MemoryRelayStorage, Output, RelayLimits, RelaySession, RelayState, StorageError,
    StorageReply, StorageRequest,
};

const TEAM: [u8; 16] = [4; 16];
const NOON: i64 = 1_796_212_800;

fn device(seed: u8) -> DeviceKey {
    DeviceKey::from_seed([seed; 32]).unwrap()
}

fn statement(key: &DeviceKey, body: StatementBody) -> SignedStatement {
    SignedStatement::sign(key, &Statement { team: TEAM, issued_at: NOON, body })
}

fn charter(admin: &DeviceKey) -> SignedStatement {
    statement(admin, StatementBody::Charter { x25519: admin.x25519_public(), actor: [1; 16] })
}

fn join(newcomer: &DeviceKey, invite: &DeviceKey) -> SignedStatement {
    let x25519 = newcomer.x25519_public();
    let proof = invite.sign(&join_proof(&TEAM, &newcomer.public_key(), &x25519, &[2; 16])).to_vec();
    statement(newcomer, StatementBody::Join { invite: invite.public_key(), x25519, actor: [2; 16], proof })
}

fn changes(author: &DeviceKey, tag: u8, bytes: usize) -> LogEntry {
    let entry = LogEntry {
        author: author.public_key(),
        key: KeyId { epoch: 1, minter: [5; 32] },
        doc_tag: [tag; 16],
        kind: EntryKind::Changes,
        sealed: vec![tag; bytes],
        signature: Vec::new(),
    };
    sign_entry(author, &TEAM, entry)
}

fn hello() -> Request {
    Request::Hello { version: PROTOCOL_VERSION, team: TEAM }
}

fn replies(bytes: &[u8]) -> Vec<Reply> {
    let mut frames = wire::FrameDecoder::default();
    frames.push(bytes);
    let mut out = Vec::new();
    while let Some(payload) = frames.next_frame().unwrap() {
        out.push(wire::decode(&payload).unwrap());
    }
    out
}

fn flight(requests: &[Request]) -> Vec<u8> {
    requests.iter().flat_map(wire::frame).collect()
}

struct Relay {
    state: RelayState<MemoryRelayStorage>,
    runtime: tokio::runtime::Runtime,
}

impl Relay {
    fn new() -> Self {
        Self::with_limits(RelayLimits::default())
    }

    fn with_limits(limits: RelayLimits) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        Self { state: RelayState::with_limits(MemoryRelayStorage::new([8; 16]), limits), runtime }
    }

    fn connect(&self, key: &DeviceKey, now: i64) -> RelaySession {
        self.runtime.block_on(self.state.new_session(key.public_key(), now)).unwrap()
    }

    /// Sends one flight at `now` and returns every reply until the relay waits again.
    fn exchange(&self, session: &mut RelaySession, requests: &[Request], now: i64) -> Vec<Reply> {
        session.receive(&flight(requests), now);
        replies(&self.runtime.block_on(self.state.run_until_input(session)).bytes)
    }

    /// A team founded by `admin`, with an invite of `invite`'s key open until `expires_at`.
    fn found(&self, admin: &DeviceKey, invite: &DeviceKey, expires_at: i64) {
        let mut s = self.connect(admin, NOON);
        let invite =
            statement(admin, StatementBody::Invite { key: invite.public_key(), expires_at, admin: false });
        let got = self.exchange(
            &mut s,
            &[hello(), Request::Publish { statements: vec![charter(admin), invite] }],
            NOON,
        );
        assert!(matches!(got[1], Reply::Published { accepted: 2 }), "{got:?}");
    }
}

fn refusal(replies: &[Reply]) -> Option<Refusal> {
    replies.iter().find_map(|r| match r {
        Reply::Refused { code, .. } => Some(*code),
        _ => None,
    })
}

/// Polls until the session asks for storage; what it sent before is dropped.
fn next_request(session: &mut RelaySession) -> StorageRequest {
    loop {
        match session.poll() {
            Output::Storage(r) => return r,
            Output::Send(_) => continue,
            other => panic!("expected a storage request, got {other:?}"),
        }
    }
}

#[test]
fn what_one_device_pushes_another_pulls_and_its_own_entries_are_left_out() {
    let relay = Relay::new();
    let (admin, invite, nurse) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 3600);

    let mut s = relay.connect(&nurse, NOON + 10);
    let got = relay.exchange(
        &mut s,
        &[hello(), Request::Publish { statements: vec![join(&nurse, &invite)] }],
        NOON + 10,
    );
    assert_eq!(got[0], Reply::Welcome { version: PROTOCOL_VERSION, enrolled: false, log_id: [8; 16] });
    assert!(matches!(got[1], Reply::Published { accepted: 1 }), "{got:?}");
    let pushed = vec![changes(&nurse, 1, 100), changes(&nurse, 2, 100)];
    let got = relay.exchange(&mut s, &[Request::Push { entries: pushed.clone() }], NOON + 11);
    let Reply::Pushed { first, last } = got[0] else { panic!("{got:?}") };
    assert_eq!(last - first, 1);

    let mut a = relay.connect(&admin, NOON + 20);
    let got =
        relay.exchange(&mut a, &[hello(), Request::Pull { after: 0, log_id: Some([8; 16]) }], NOON + 20);
    let entries: Vec<LogEntry> = got
        .iter()
        .flat_map(|r| match r {
            Reply::Entries { entries } => entries.iter().map(|(_, e)| e.clone()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(entries, pushed);
    assert!(matches!(got.last(), Some(Reply::PullDone { cursor, .. }) if *cursor == last));

    // The nurse's own pull skips her own entries but moves her cursor past them.
    let got = relay.exchange(&mut s, &[Request::Pull { after: 0, log_id: Some([8; 16]) }], NOON + 21);
    assert_eq!(got, vec![Reply::PullDone { cursor: last, high_water: last }]);
}

#[test]
fn an_invite_is_held_to_the_relays_clock_not_the_devices() {
    let relay = Relay::new();
    let (admin, invite, late) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 60);
    // The same join, one second before and one after the invite runs out, by the relay's clock.
    let mut s = relay.connect(&late, NOON + 61);
    let got = relay.exchange(
        &mut s,
        &[hello(), Request::Publish { statements: vec![join(&late, &invite)] }],
        NOON + 61,
    );
    assert_eq!(refusal(&got), Some(Refusal::InviteUnknown), "{got:?}");
    let mut s = relay.connect(&late, NOON + 59);
    let got = relay.exchange(
        &mut s,
        &[hello(), Request::Publish { statements: vec![join(&late, &invite)] }],
        NOON + 59,
    );
    assert_eq!(refusal(&got), None, "{got:?}");
}

#[test]
fn a_silent_device_is_dropped_when_the_clock_passes_its_deadline_and_not_before() {
    let relay = Relay::new();
    let (admin, invite) = (device(1), device(2));
    relay.found(&admin, &invite, NOON + 3600);
    let mut s = relay.connect(&admin, NOON);
    relay.exchange(&mut s, &[hello()], NOON + 5);
    assert_eq!(s.poll_timeout(), Some(NOON + 5 + IDLE_SECONDS));
    s.handle_timeout(NOON + 4 + IDLE_SECONDS);
    assert!(matches!(s.poll(), Output::NeedInput));
    s.handle_timeout(NOON + 5 + IDLE_SECONDS);
    assert!(matches!(s.poll(), Output::Hangup));
    assert!(s.is_closing());
}

#[test]
fn a_storage_failure_mid_push_is_refused_as_unavailable_and_nothing_is_acknowledged() {
    let relay = Relay::new();
    let (admin, invite) = (device(1), device(2));
    relay.found(&admin, &invite, NOON + 3600);
    let mut s = relay.connect(&admin, NOON);
    relay.exchange(&mut s, &[hello()], NOON);
    s.receive(&flight(&[Request::Push { entries: vec![changes(&admin, 1, 10)] }]), NOON);
    // The relay asks, in order: the registry now, the team's usage, then the append.
    let registry = relay.runtime.block_on(relay.state.registry(TEAM)).unwrap();
    assert!(matches!(next_request(&mut s), StorageRequest::Registry { team: TEAM }));
    s.handle_storage(StorageReply::Registry(registry));
    assert!(matches!(next_request(&mut s), StorageRequest::TeamUsage { team: TEAM }));
    s.handle_storage(StorageReply::Count(0));
    assert!(matches!(next_request(&mut s), StorageRequest::AppendEntries { .. }));
    s.handle_storage(StorageReply::Failed(StorageError::Corrupt("the disk went away".into())));
    let Output::Close(last) = s.poll() else { panic!("the relay must close after a storage failure") };
    assert_eq!(refusal(&replies(&last)), Some(Refusal::Unavailable));
    assert_eq!(relay.state.storage().entries_held(), 0);
}

#[test]
fn a_statement_that_loses_a_race_to_another_connection_is_applied_on_top_of_the_winner() {
    let relay = Relay::new();
    let (admin, invite, other_invite) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 3600);
    let mut s = relay.connect(&admin, NOON);
    relay.exchange(&mut s, &[hello()], NOON);
    let gp = device(5);
    let mine = statement(
        &admin,
        StatementBody::Grant {
            device: gp.public_key(),
            x25519: gp.x25519_public(),
            actor: [5; 16],
            admin: false,
        },
    );
    s.receive(&flight(&[Request::Publish { statements: vec![mine] }]), NOON);
    let mut raced = false;
    let replies = loop {
        match s.poll() {
            Output::Storage(StorageRequest::AppendStatement { .. }) if !raced => {
                // Another connection (or relay process) keeps a statement at this index first.
                let theirs = statement(
                    &admin,
                    StatementBody::Invite {
                        key: other_invite.public_key(),
                        expires_at: NOON + 60,
                        admin: false,
                    },
                );
                let mut c = relay.connect(&admin, NOON);
                let got =
                    relay.exchange(&mut c, &[hello(), Request::Publish { statements: vec![theirs] }], NOON);
                assert!(matches!(got[1], Reply::Published { accepted: 1 }));
                raced = true;
                s.handle_storage(StorageReply::RegistryRace);
            }
            Output::Storage(request) => {
                let reply = relay.runtime.block_on(relay.state.perform(request));
                s.handle_storage(reply);
            }
            Output::Send(f) => break replies(&f),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(replies, vec![Reply::Published { accepted: 1 }]);
    let registry = relay.runtime.block_on(relay.state.registry(TEAM)).unwrap();
    assert_eq!(registry.statements().len(), 4, "the charter, both invites and the grant");
}

#[test]
fn a_device_revoked_through_another_connection_is_refused_at_its_next_request() {
    let relay = Relay::new();
    let (admin, invite, nurse) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 3600);
    let mut n = relay.connect(&nurse, NOON);
    relay.exchange(&mut n, &[hello(), Request::Publish { statements: vec![join(&nurse, &invite)] }], NOON);
    let mut a = relay.connect(&admin, NOON);
    let revoke = statement(&admin, StatementBody::Revoke { device: nurse.public_key() });
    relay.exchange(&mut a, &[hello(), Request::Publish { statements: vec![revoke] }], NOON);
    let got = relay.exchange(&mut n, &[Request::Pull { after: 0, log_id: None }], NOON + 1);
    assert_eq!(refusal(&got), Some(Refusal::Revoked));
    assert_eq!(relay.state.refusals().get("Revoked"), Some(&1));
}

#[test]
fn a_team_beyond_the_relays_limit_is_refused_before_anything_is_kept() {
    let relay = Relay::with_limits(RelayLimits { max_teams: 0, ..RelayLimits::default() });
    let admin = device(1);
    let mut s = relay.connect(&admin, NOON);
    let got =
        relay.exchange(&mut s, &[hello(), Request::Publish { statements: vec![charter(&admin)] }], NOON);
    assert_eq!(refusal(&got), Some(Refusal::Quota));
    assert!(!relay.runtime.block_on(relay.state.registry(TEAM)).unwrap().has_charter());
}

/// Polls until the session waits for the device, doing its storage work, and counts each
/// kind of storage request it made.
fn run_counting(relay: &Relay, session: &mut RelaySession) -> (Vec<Reply>, Vec<&'static str>) {
    run_watching(relay, session, |_| {})
}

/// As [`run_counting`], showing `sent` every reply so far each time the session sends.
fn run_watching(
    relay: &Relay,
    session: &mut RelaySession,
    mut sent: impl FnMut(&[Reply]),
) -> (Vec<Reply>, Vec<&'static str>) {
    let (mut bytes, mut asked) = (Vec::new(), Vec::new());
    loop {
        match session.poll() {
            Output::Send(f) | Output::Close(f) => {
                bytes.extend_from_slice(&f);
                sent(&replies(&bytes));
            }
            Output::Storage(r) => {
                asked.push(r.operation());
                let reply = relay.runtime.block_on(relay.state.perform(r));
                session.handle_storage(reply);
            }
            Output::NeedInput | Output::Hangup => return (replies(&bytes), asked),
        }
    }
}

#[test]
fn requests_heard_together_are_answered_from_one_registry_read() {
    let relay = Relay::new();
    let (admin, invite) = (device(1), device(2));
    relay.found(&admin, &invite, NOON + 3600);
    let mut s = relay.connect(&admin, NOON);
    s.receive(
        &flight(&[hello(), Request::GetRegistry { known: 0 }, Request::Pull { after: 0, log_id: None }]),
        NOON,
    );
    let (got, asked) = run_counting(&relay, &mut s);
    assert!(matches!(got[1], Reply::Registry { ref statements, .. } if statements.len() == 2), "{got:?}");
    assert!(matches!(got.last(), Some(Reply::PullDone { .. })), "{got:?}");
    assert_eq!(asked.iter().filter(|a| **a == "registry").count(), 1, "{asked:?}");

    // A request heard after the read is checked against a read of its own.
    s.receive(&flight(&[Request::GetRegistry { known: 2 }]), NOON + 1);
    let (_, asked) = run_counting(&relay, &mut s);
    assert_eq!(asked, vec!["registry"]);
}

#[test]
fn a_registry_read_before_this_session_published_is_not_taken_as_fresh() {
    let relay = Relay::new();
    let (admin, invite, nurse) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 3600);
    let mut n = relay.connect(&nurse, NOON);
    n.receive(
        &flight(&[
            hello(),
            Request::Publish { statements: vec![join(&nurse, &invite)] },
            Request::GetRegistry { known: 0 },
        ]),
        NOON,
    );
    let (got, _) = run_counting(&relay, &mut n);
    let Some(Reply::Registry { statements, .. }) = got.get(2) else { panic!("{got:?}") };
    assert_eq!(statements.len(), 3, "the nurse's own join is in the registry she is sent");
}

#[test]
fn a_device_revoked_while_it_pulls_gets_no_batch_after_the_revocation() {
    let relay = Relay::new();
    let (admin, invite, nurse) = (device(1), device(2), device(3));
    relay.found(&admin, &invite, NOON + 3600);
    let mut n = relay.connect(&nurse, NOON);
    relay.exchange(&mut n, &[hello(), Request::Publish { statements: vec![join(&nurse, &invite)] }], NOON);
    let mut a = relay.connect(&admin, NOON);
    relay.exchange(&mut a, &[hello()], NOON);
    // More than one batch: three entries of 1.5 MiB against 4 MiB a batch.
    for tag in 1..=3 {
        let got = relay.exchange(
            &mut a,
            &[Request::Push { entries: vec![changes(&admin, tag, 1536 * 1024)] }],
            NOON,
        );
        assert!(matches!(got[0], Reply::Pushed { .. }), "{got:?}");
    }

    n.receive(&flight(&[Request::Pull { after: 0, log_id: None }]), NOON + 1);
    let mut revoked = false;
    let (got, _) = run_watching(&relay, &mut n, |so_far| {
        if !revoked && so_far.iter().any(|r| matches!(r, Reply::Entries { .. })) {
            // The first batch is on its way; the admin revokes the nurse's device now.
            let revoke = statement(&admin, StatementBody::Revoke { device: nurse.public_key() });
            relay.exchange(&mut a, &[Request::Publish { statements: vec![revoke] }], NOON + 1);
            revoked = true;
        }
    });
    let batches = got.iter().filter(|r| matches!(r, Reply::Entries { .. })).count();
    assert_eq!(batches, 1, "{got:?}");
    assert_eq!(refusal(&got), Some(Refusal::Revoked));
}
