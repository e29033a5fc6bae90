//! Sync benchmarks (BENCHMARKS.md). Run `cargo bench -p hedgerow-tests --bench sync`, or
//! with `-- first-sync [N]` or `-- load [DEVICES]` for one part.
//!
//! Everything here uses real SQLite stores and real sealing; "in memory" means the relay
//! session runs in the same process with no sockets, so round trips and bytes are exact.

use automerge::AutoCommit;
use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::ids::PatientId;
use hedgerow_core::sync::bundle::{BundleBody, seal_bundle};
use hedgerow_core::sync::client::{ClientSession, SessionPlan, SyncEvent};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::registry::{PositionedStatement, SignedStatement, Statement, StatementBody};
use hedgerow_core::sync::transport::{self, IrohLink, RelayAddress, SessionHandler, TransportError};
use hedgerow_core::workspace::NewProblem;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_relay::{RelayState, SqliteRelayStorage};
use hedgerow_tests::MemoryLink;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASS: &str = "bench-passphrase";

fn clinician(name: &str, role: Role) -> NewClinician {
    NewClinician { name: name.into(), role, registration: None }
}

type State = Arc<RelayState<SqliteRelayStorage>>;

/// A nurse's device with `n` patient records, all pushed to the relay.
async fn caseload(dir: &Path, relay: &State, n: usize) -> (Workspace, Vec<PatientId>) {
    let ws =
        Workspace::create(dir, PASS, clinician("Nia Penhallow", Role::DistrictNurse), None).await.unwrap();
    ws.create_team("Bench team").await.unwrap();
    let t = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let batch = chunk
            .iter()
            .map(|&i| NewPatient {
                nhs_number: hedgerow_tests::fictional_nhs_number(i).parse().unwrap(),
                name: format!("Fictional Patient {i}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                address: Some(format!("{i} Bench Lane")),
            })
            .collect();
        ids.extend(ws.add_patients(batch).await.unwrap().into_iter().map(|p| p.id));
    }
    eprintln!("  made {n} records in {:.1} s", t.elapsed().as_secs_f64());
    let mut link = MemoryLink::new(relay.clone());
    let t = Instant::now();
    let r = ws.sync_via(&mut link, |_| {}).await.unwrap();
    eprintln!(
        "  first push of {} bundles: {:.2} s, {} KB up, {} round trips",
        r.bundles_pushed,
        t.elapsed().as_secs_f64(),
        link.stats.bytes_up / 1024,
        link.stats.round_trips
    );
    (ws, ids)
}

/// The GP's new device, enrolled over `link`.
async fn join(dir: &Path, code: &str, link: &mut impl hedgerow_core::sync::transport::Link) -> Workspace {
    Workspace::join_via(dir, PASS, clinician("Dr Tomasz Orrell", Role::Gp), "bench", code, link)
        .await
        .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn deflated_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

async fn nothing_changed_and_k_of_n(n_values: &[usize]) {
    println!("\n## Relay sync, in memory (real SQLite stores, no sockets)\n");
    println!(
        "| documents N | changed k | time (median) | round trips | bytes up | bytes down | new changes (Automerge) | deflated | up / deflated |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in n_values {
        let tmp = tempfile::tempdir().unwrap();
        let relay: State =
            Arc::new(RelayState::new(SqliteRelayStorage::open(&tmp.path().join("relay")).await.unwrap()));
        let (ws, ids) = caseload(&tmp.path().join("nurse"), &relay, n).await;
        let mut times = Vec::new();
        let mut link = MemoryLink::new(relay.clone());
        for _ in 0..15 {
            let t = Instant::now();
            ws.sync_via(&mut link, |_| {}).await.unwrap();
            times.push(t.elapsed());
        }
        let s = link.stats;
        println!(
            "| {n} | 0 | {:.1} ms | {} | {} | {} | 0 | 0 | - |",
            median(times).as_secs_f64() * 1e3,
            s.round_trips,
            s.bytes_up,
            s.bytes_down
        );
        for k in [1usize, 10, 100].into_iter().filter(|k| *k <= n) {
            let mut times = Vec::new();
            let (mut raw, mut deflated, mut up, mut trips) = (0, 0, 0, 0);
            for round in 0..5 {
                let mut changes = 0;
                let mut comp = 0;
                for (j, p) in ids.iter().take(k).enumerate() {
                    let before = ws.document_heads(p.0, DocumentKind::Patient).await.unwrap().unwrap();
                    ws.add_problem(
                        *p,
                        NewProblem { title: format!("Round {round} plan item {j}"), ..Default::default() },
                    )
                    .await
                    .unwrap();
                    let mut doc = AutoCommit::load(&ws.export_patient_document(*p).await.unwrap()).unwrap();
                    let chunk = doc.save_after(&before);
                    changes += chunk.len();
                    comp += deflated_len(&chunk);
                }
                let mut link = MemoryLink::new(relay.clone());
                let t = Instant::now();
                let r = ws.sync_via(&mut link, |_| {}).await.unwrap();
                times.push(t.elapsed());
                assert_eq!(r.bundles_pushed, k as u64);
                (raw, deflated, up, trips) = (changes, comp, link.stats.bytes_up, link.stats.round_trips);
            }
            println!(
                "| {n} | {k} | {:.1} ms | {trips} | {up} | - | {raw} | {deflated} | {:.2} |",
                median(times).as_secs_f64() * 1e3,
                up as f64 / deflated as f64
            );
        }
        ws.close().await;
    }
}

/// The first sync of a newly enrolled device against a relay holding `n` records:
/// in memory, and over iroh on loopback through an in-process relay endpoint.
async fn first_sync(n: usize) {
    println!("\n## First sync of a newly enrolled device, {n} records on the relay\n");
    println!("| link | time | round trips | bytes down | records on the device |");
    println!("|---|---|---|---|---|");
    let tmp = tempfile::tempdir().unwrap();
    let relay: State =
        Arc::new(RelayState::new(SqliteRelayStorage::open(&tmp.path().join("relay")).await.unwrap()));
    let (nurse, _) = caseload(&tmp.path().join("nurse"), &relay, n).await;
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(nurse.invite_device(false, chrono::Duration::hours(4)).await.unwrap().code);
    }
    nurse.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();

    // In memory.
    let d = tempfile::tempdir().unwrap();
    let gp = join(d.path(), &codes.pop().unwrap(), &mut MemoryLink::new(relay.clone())).await;
    let mut link = MemoryLink::new(relay.clone());
    let t = Instant::now();
    gp.sync_via(&mut link, |_| {}).await.unwrap();
    let took = t.elapsed();
    println!(
        "| in memory | {:.2} s | {} | {} KB | {} |",
        took.as_secs_f64(),
        link.stats.round_trips,
        link.stats.bytes_down / 1024,
        gp.caseload().await.unwrap().len()
    );
    gp.close().await;

    // Over iroh on loopback.
    let key = DeviceKey::generate().unwrap();
    let ep = hedgerow_relay::serve::endpoint(key.seed(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr: RelayAddress = hedgerow_relay::serve::address_of(&ep).parse().unwrap();
    let serving = tokio::spawn(hedgerow_relay::serve::serve_relay(ep.clone(), relay.clone()));
    let d = tempfile::tempdir().unwrap();
    let gp = join(d.path(), &codes.pop().unwrap(), &mut IrohLink { relay: &addr }).await;
    let t = Instant::now();
    let r = gp.sync(&addr, |_| {}).await.unwrap();
    println!(
        "| iroh, loopback | {:.2} s | as above | {} KB | {} |",
        t.elapsed().as_secs_f64(),
        r.bytes_received / 1024,
        gp.caseload().await.unwrap().len()
    );
    gp.close().await;

    // Across 100 ms of round trip: the same relay behind a proxy that holds every UDP
    // datagram for 50 ms each way.
    let proxy = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let delayed = RelayAddress { id: addr.id, addrs: vec![proxy.local_addr().unwrap()] };
    let relay_udp = addr.addrs[0];
    let proxying = tokio::spawn(delay_proxy(proxy, relay_udp, Duration::from_millis(50)));
    let d = tempfile::tempdir().unwrap();
    let gp = join(d.path(), &codes.pop().unwrap(), &mut IrohLink { relay: &delayed }).await;
    let t = Instant::now();
    let r = gp.sync(&delayed, |_| {}).await.unwrap();
    println!(
        "| iroh, 100 ms round trip | {:.2} s | as above | {} KB | {} |",
        t.elapsed().as_secs_f64(),
        r.bytes_received / 1024,
        gp.caseload().await.unwrap().len()
    );
    let t = Instant::now();
    gp.sync(&delayed, |_| {}).await.unwrap();
    println!("| iroh, 100 ms round trip, nothing new | {:.3} s | 1 | | |", t.elapsed().as_secs_f64());
    gp.close().await;
    proxying.abort();
    ep.close().await;
    serving.abort();
    nurse.close().await;
    drop(tmp);
}

/// A UDP relay for one client that delays every datagram by `one_way` in each direction.
async fn delay_proxy(front: tokio::net::UdpSocket, target: std::net::SocketAddr, one_way: Duration) {
    let front = Arc::new(front);
    let back = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let client = Arc::new(std::sync::Mutex::new(None));
    let (mut a, mut b) = (vec![0u8; 65536], vec![0u8; 65536]);
    loop {
        tokio::select! {
            Ok((n, from)) = front.recv_from(&mut a) => {
                *client.lock().unwrap() = Some(from);
                let (back, data) = (back.clone(), a[..n].to_vec());
                tokio::spawn(async move {
                    tokio::time::sleep(one_way).await;
                    let _ = back.send_to(&data, target).await;
                });
            }
            Ok((n, _)) = back.recv_from(&mut b) => {
                let to = *client.lock().unwrap();
                if let Some(to) = to {
                    let (front, data) = (front.clone(), b[..n].to_vec());
                    tokio::spawn(async move {
                        tokio::time::sleep(one_way).await;
                        let _ = front.send_to(&data, to).await;
                    });
                }
            }
        }
    }
}

/// Two devices with `n` records, `k` of them changed on one: direct sync (summary, then
/// Automerge sync on the differing documents) against one full Automerge sync exchange per
/// document with fresh sync states (what a per-document repository does on connect).
async fn peer_vs_per_document(n: usize, ks: &[usize]) {
    use automerge::sync::{State, SyncDoc};
    println!("\n## Direct sync between two devices, {n} records, against a sync exchange per document\n");
    println!(
        "| changed k | direct: time | direct: bytes | per document: time | per document: bytes | time ratio | bytes ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    let tmp = tempfile::tempdir().unwrap();
    let relay: Arc<RelayState<SqliteRelayStorage>> =
        Arc::new(RelayState::new(SqliteRelayStorage::open(&tmp.path().join("relay")).await.unwrap()));
    let (a, ids) = caseload(&tmp.path().join("a"), &relay, n).await;
    let code = a.invite_device(false, chrono::Duration::hours(1)).await.unwrap().code;
    a.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    let b = join(&tmp.path().join("b"), &code, &mut MemoryLink::new(relay.clone())).await;
    b.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    a.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    direct(&a, &b).await; // both hold everything, and keep per-peer state
    for &k in ks {
        for (j, p) in ids.iter().take(k).enumerate() {
            a.add_problem(
                *p,
                NewProblem { title: format!("Direct item {j} for k {k}"), ..Default::default() },
            )
            .await
            .unwrap();
        }
        // The per-document exchange, on copies of the same documents.
        let mut docs = Vec::new();
        let t = Instant::now();
        for p in &ids {
            let x = AutoCommit::load(&exported(&a, *p).await).unwrap();
            let y = AutoCommit::load(&exported(&b, *p).await).unwrap();
            docs.push((x, y));
        }
        let mut bytes = 0usize;
        for (x, y) in docs.iter_mut() {
            let (mut sx, mut sy) = (State::new(), State::new());
            loop {
                let mut quiet = true;
                if let Some(m) = x.sync().generate_sync_message(&mut sx) {
                    let e = m.encode();
                    bytes += e.len();
                    y.sync()
                        .receive_sync_message(&mut sy, automerge::sync::Message::decode(&e).unwrap())
                        .unwrap();
                    quiet = false;
                }
                if let Some(m) = y.sync().generate_sync_message(&mut sy) {
                    let e = m.encode();
                    bytes += e.len();
                    x.sync()
                        .receive_sync_message(&mut sx, automerge::sync::Message::decode(&e).unwrap())
                        .unwrap();
                    quiet = false;
                }
                if quiet {
                    break;
                }
            }
        }
        let naive = t.elapsed();
        let t = Instant::now();
        let (ra, _) = direct(&a, &b).await;
        let ours = t.elapsed();
        let ours_bytes = ra.bytes_sent + ra.bytes_received;
        println!(
            "| {k} | {:.0} ms | {} | {:.0} ms | {} | {:.3} | {:.3} |",
            ours.as_secs_f64() * 1e3,
            ours_bytes,
            naive.as_secs_f64() * 1e3,
            bytes,
            ours.as_secs_f64() / naive.as_secs_f64(),
            ours_bytes as f64 / bytes as f64
        );
    }
}

/// A record as `hedgerow export` writes it, the Automerge document taken out of its signed
/// wrapping.
async fn exported(ws: &Workspace, p: PatientId) -> Vec<u8> {
    let bytes = ws.export_patient_document(p).await.unwrap();
    hedgerow_core::workspace::SignedExport::parse(&bytes).unwrap().expect("a signed export").document
}

async fn direct(
    a: &Workspace,
    b: &Workspace,
) -> (hedgerow_core::workspace::PeerReport, hedgerow_core::workspace::PeerReport) {
    let (x, y) = tokio::io::duplex(1 << 20);
    let (xr, xw) = tokio::io::split(x);
    let (yr, yw) = tokio::io::split(y);
    let (ra, rb) = tokio::join!(
        a.sync_with_peer_stream(b.device_public_key(), xr, xw),
        b.sync_with_peer_stream(a.device_public_key(), yr, yw)
    );
    (ra.unwrap(), rb.unwrap())
}

struct PushOne(Option<hedgerow_core::sync::wire::LogEntry>);

impl SessionHandler for PushOne {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        if let SyncEvent::PullDone { .. } = event {
            session.push(self.0.take().into_iter().collect());
        }
        Ok(())
    }
}

/// `devices` devices, each the founder of its own team, sync at once with a relay process:
/// Hello, registry, pull, and a push of one sealed 1 KB bundle each.
async fn relay_load(devices: usize) {
    println!("\n## The relay process under {devices} devices syncing at once, loopback\n");
    let tmp = tempfile::tempdir().unwrap();
    let relay = hedgerow_tests_relay(&tmp.path().join("relay"));
    let addr: RelayAddress = relay.address.parse().unwrap();
    let mut prepared = Vec::new();
    for _ in 0..devices {
        let key = DeviceKey::generate().unwrap();
        let team = hedgerow_core::crypto::random_bytes::<16>().unwrap();
        let charter = SignedStatement::sign(
            &key,
            &Statement {
                team,
                issued_at: 0,
                body: StatementBody::Charter { x25519: key.x25519_public(), actor: [1; 16] },
            },
        );
        let ring = Keyring::generate(key.public_key()).unwrap();
        prepared.push((key, team, charter, ring));
    }
    // Enrol every device's team first (not timed).
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut set = tokio::task::JoinSet::new();
    for (key, team, charter, ring) in &prepared {
        let (seed, team, charter, ring, addr, sem) =
            (*key.seed(), *team, charter.clone(), ring.clone(), addr.clone(), sem.clone());
        set.spawn(async move {
            let _p = sem.acquire().await.unwrap();
            let me = DeviceKey::from_seed(seed).unwrap();
            let plan = SessionPlan {
                team,
                cursor: 0,
                pushed_through: 0,
                log_id: None,
                registry: vec![],
                anchor: None,
                publish: vec![charter],
                offers: vec![],
                letters: Vec::new(),
            };
            let mut s = ClientSession::new(me, ring, plan).unwrap();
            transport::sync_with_relay(&seed, &addr, &mut s, &mut PushOne(None)).await.unwrap();
        });
    }
    while set.join_next().await.is_some() {}

    let cpu_before = hedgerow_tests::cpu_seconds(relay.pid());
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (key, team, charter, ring) in prepared {
        let addr = addr.clone();
        set.spawn(async move {
            let body = BundleBody {
                document: [7; 16],
                kind: "patient".into(),
                changes: vec![42; 1024],
                heads: vec![],
            };
            let entry = seal_bundle(&key, &team, &ring, &body, false).unwrap();
            // The charter as the relay accepted it (at the start of a fresh log's team).
            let registry = vec![PositionedStatement { statement: charter, position: 0 }];
            let plan = SessionPlan {
                team,
                cursor: 0,
                pushed_through: 0,
                log_id: None,
                registry,
                anchor: None,
                publish: vec![],
                offers: vec![],
                letters: Vec::new(),
            };
            let seed = *key.seed();
            let mut s = ClientSession::new(key, ring, plan).unwrap();
            let t = Instant::now();
            let r = transport::sync_with_relay(&seed, &addr, &mut s, &mut PushOne(Some(entry))).await;
            (t.elapsed(), r.is_ok())
        });
    }
    let mut times = Vec::new();
    let mut errors = 0;
    while let Some(r) = set.join_next().await {
        let (t, ok) = r.unwrap();
        times.push(t);
        errors += usize::from(!ok);
    }
    let wall = start.elapsed();
    let relay_cpu = hedgerow_tests::cpu_seconds(relay.pid()) - cpu_before;
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e3;
    let status = std::fs::read_to_string(format!("/proc/{}/status", relay.pid())).unwrap_or_default();
    let peak = status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("VmHWM: ?").to_owned();
    println!("| devices | errors | wall time | syncs/s | p50 | p99 | max | relay CPU | relay peak memory |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {devices} | {errors} | {:.2} s | {:.0} | {:.0} ms | {:.0} ms | {:.0} ms | {relay_cpu:.2} s | {} |",
        wall.as_secs_f64(),
        devices as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        times.last().unwrap().as_secs_f64() * 1e3,
        peak.trim_start_matches("VmHWM:").trim()
    );
}

fn hedgerow_tests_relay(data: &Path) -> hedgerow_tests::RelayProcess {
    hedgerow_tests::RelayProcess::start(&hedgerow_tests::relay_binary(), data)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        match args.first().map(String::as_str) {
            Some("first-sync") => {
                first_sync(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000)).await
            }
            Some("peer") => {
                let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
                peer_vs_per_document(n, &[0, 1, 10, 100]).await
            }
            Some("load") => relay_load(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000)).await,
            _ => {
                let n: usize =
                    std::env::var("HEDGEROW_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
                nothing_changed_and_k_of_n(&[n / 10, n]).await;
                first_sync(n).await;
                peer_vs_per_document(n / 10, &[0, 1, 10, 100]).await;
                peer_vs_per_document(n, &[0, 1, 10, 100]).await;
                relay_load(1000).await;
            }
        }
    });
}
