//! Every decoder of untrusted bytes (`hedgerow_core::sync::untrusted`), run on stable Rust
//! over a seed corpus of well-formed inputs, thousands of mutations of them and random
//! bytes: none may panic, hang or run away with memory. The same entry points are the
//! fuzz targets in `fuzz/`, for longer runs with cargo-fuzz.

use hedgerow_core::sync::bundle::{BundleBody, seal_bundle};
use hedgerow_core::sync::enrolment::Offer;
use hedgerow_core::sync::registry::SignedStatement;
use hedgerow_core::sync::untrusted::{self, Fixture};
use hedgerow_core::sync::wire::{self, Request};
use hedgerow_relay::{RelayState, SqliteRelayStorage};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

/// Well-formed inputs for each decoder, to mutate.
fn corpus() -> Vec<Vec<u8>> {
    let f = &*FIXTURE;
    let statement = f.registry.statements()[0].clone();
    let body =
        BundleBody { document: [2; 16], kind: "patient".into(), changes: vec![1, 2, 3], heads: vec![] };
    let entry = seal_bundle(&f.device, &f.team, &f.keyring, &body, false).unwrap();
    let offer = Offer {
        team: f.team,
        keyring: f.keyring.to_bytes().to_vec(),
        team_document: vec![],
        invited_by: "{}".into(),
        admin: false,
        charter: statement.statement.digest(),
        invite: statement.statement.clone(),
    };
    let export = hedgerow_core::workspace::SignedExport { team: f.team, document: vec![1, 2], heads: vec![] };
    vec![
        wire::frame(&Request::Hello { version: wire::PROTOCOL_VERSION, team: f.team }),
        wire::frame(&Request::Pull { after: 3, log_id: Some([1; 16]) }),
        wire::frame(&Request::Push { entries: vec![entry.clone()] }),
        wire::frame(&Request::Publish { statements: vec![statement.statement.clone()] }),
        postcard::to_stdvec::<SignedStatement>(&statement.statement).unwrap(),
        postcard::to_stdvec(&vec![statement]).unwrap(),
        postcard::to_stdvec(&entry).unwrap(),
        f.code.seal_offer(&offer).unwrap(),
        f.code.to_string().into_bytes(),
        export.to_bytes(),
    ]
}

fn all_decoders(bytes: &[u8]) {
    let f = &*FIXTURE;
    untrusted::request_frames(bytes);
    untrusted::reply_frames(f, bytes);
    untrusted::statements(f, bytes);
    untrusted::bundle(f, bytes);
    untrusted::offer(f, bytes);
    untrusted::invite_code(bytes);
    untrusted::peer_messages(f, bytes);
    untrusted::document_export(bytes);
}

#[test]
fn the_seed_corpus_decodes() {
    let f = &*FIXTURE;
    let c = corpus();
    assert!(untrusted::request_frames(&c[0]));
    assert!(untrusted::statements(f, &c[4]));
    assert!(untrusted::statements(f, &c[5]));
    assert!(untrusted::bundle(f, &c[6]));
    assert!(untrusted::offer(f, &c[7]));
    assert!(untrusted::invite_code(&c[8]));
    assert!(untrusted::document_export(&c[9]));
    for seed in &c {
        all_decoders(seed);
    }
}

/// A seed changed as a fuzzer would: bytes flipped, cut, duplicated, inserted.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let seeds = corpus();
    (0..seeds.len(), prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..8)).prop_map(
        move |(i, edits)| {
            let mut b = seeds[i].clone();
            for (at, byte, how) in edits {
                let at = if b.is_empty() { 0 } else { at % b.len() };
                match how {
                    0 if !b.is_empty() => b[at] ^= byte | 1,
                    1 => b.truncate(at),
                    2 => b.insert(at, byte),
                    _ => {
                        let tail = b[at..].to_vec();
                        b.extend_from_slice(&tail[..tail.len().min(64)]);
                    }
                }
            }
            b
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_inputs_are_refused_without_a_panic(bytes in mutated()) {
        all_decoders(&bytes);
    }

    #[test]
    fn random_bytes_are_refused_without_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        all_decoders(&bytes);
    }
}

#[test]
fn the_relay_session_survives_mutated_and_random_input() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state =
        rt.block_on(async { Arc::new(RelayState::new(SqliteRelayStorage::open(dir.path()).await.unwrap())) });
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig { cases: 500, ..ProptestConfig::default() });
    let strategy = prop_oneof![mutated(), prop::collection::vec(any::<u8>(), 0..1024)];
    runner
        .run(&strategy, |bytes| {
            rt.block_on(hedgerow_relay::untrusted::relay_session(&state, &bytes));
            Ok(())
        })
        .unwrap();
    // And it still serves.
    let hello = wire::frame(&Request::Hello { version: wire::PROTOCOL_VERSION, team: [1; 16] });
    assert!(rt.block_on(hedgerow_relay::untrusted::relay_session(&state, &hello)));
}
