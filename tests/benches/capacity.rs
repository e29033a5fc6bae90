//! The relay's own capacity, measured fairly: the relay is its own process (the real binary,
//! with `--metrics`), the devices run in other processes (this bench started again as
//! workers), and the relay's figures (CPU per sync, its own time per flight, memory) are
//! reported beside the devices' end-to-end times.
//!
//!   cargo bench -p hedgerow-tests --bench capacity -- [DEVICES] [ROUNDS] [sqlite|postgres]
//!
//! Each device is the founder of a team of its own (enrolled before the clock starts), then
//! every device at once makes ROUNDS no-change syncs, one after another: Hello, the registry,
//! a pull that finds nothing. Rows `dial` make a new QUIC connection for each sync; rows `kept`
//! keep each device's connection between syncs, as a workspace does (`KeptRelayConnection`,
//! dialled while enrolling). A last run makes the `dial` connections with no request in them,
//! to show what the handshake costs.

use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::sync::client::{ClientSession, SessionPlan, SyncEvent};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::registry::{PositionedStatement, SignedStatement, Statement, StatementBody};
use hedgerow_core::sync::transport::{
    self, KeptLink, KeptRelayConnection, Link, RelayAddress, SessionHandler, TransportError,
};
use hedgerow_tests::{cpu_seconds, free_port, scrape_metrics as scrape, series};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;

/// A device with nothing to push: once the pull is done, it says so.
struct NoPush;

impl SessionHandler for NoPush {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        if let SyncEvent::PullDone { .. } = event {
            session.push(Vec::new());
        }
        Ok(())
    }
}

/// Device `i`'s key, team and charter: the same in every process.
fn device(i: usize) -> (DeviceKey, [u8; 16], SignedStatement, Keyring) {
    let mut seed = [0x5a; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    let key = DeviceKey::from_seed(seed).unwrap();
    let mut team = [0xc4; 16];
    team[..8].copy_from_slice(&(i as u64).to_le_bytes());
    let charter = SignedStatement::sign(
        &key,
        &Statement {
            team,
            issued_at: 0,
            body: StatementBody::Charter { x25519: key.x25519_public(), actor: [1; 16] },
        },
    );
    let ring = Keyring::generate(key.public_key()).unwrap();
    (key, team, charter, ring)
}

/// Only the connection: QUIC and TLS handshake, one stream opened and closed, no request.
async fn connect_only(i: usize, addr: &RelayAddress) -> Result<(), TransportError> {
    let (key, ..) = device(i);
    transport::dial(key.seed(), addr, hedgerow_core::sync::wire::RELAY_ALPN, async |mut recv, mut send| {
        transport::close_both_ways(&mut recv, &mut send).await;
        Ok::<(), TransportError>(())
    })
    .await
}

fn session(i: usize, publish: bool) -> (DeviceKey, ClientSession) {
    let (key, team, charter, ring) = device(i);
    let (registry, publish) = if publish {
        (vec![], vec![charter])
    } else {
        (vec![PositionedStatement { statement: charter, position: 0 }], vec![])
    };
    let plan = SessionPlan {
        team,
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry,
        anchor: None,
        publish,
        offers: vec![],
        letters: Vec::new(),
    };
    let own = DeviceKey::from_seed(*key.seed()).unwrap();
    (key, ClientSession::new(own, ring, plan).unwrap())
}

/// One no-change sync (or, with `publish`, the founder's first), over `kept` or a new connection.
async fn sync_once(
    i: usize,
    addr: &RelayAddress,
    publish: bool,
    kept: Option<&KeptRelayConnection>,
) -> Result<(), TransportError> {
    let (key, mut s) = session(i, publish);
    match kept {
        Some(kept) => KeptLink { relay: addr, kept, stale: false }.run(&key, &mut s, &mut NoPush).await,
        None => transport::sync_with_relay(key.seed(), addr, &mut s, &mut NoPush).await,
    }
}

/// A worker process: enrols devices `first..first+count`, says `ready`, waits for `go`, runs
/// the timed syncs and prints `done` with every sync's time in microseconds.
async fn worker(addr: RelayAddress, first: usize, count: usize, rounds: usize, what: String) {
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut set = tokio::task::JoinSet::new();
    for i in first..first + count {
        let (addr, sem) = (addr.clone(), sem.clone());
        let kept = (what == "kept").then(KeptRelayConnection::default);
        set.spawn(async move {
            let _p = sem.acquire().await.unwrap();
            sync_once(i, &addr, true, kept.as_ref()).await.unwrap();
            (i, kept)
        });
    }
    let mut kept = std::collections::HashMap::new();
    while let Some(r) = set.join_next().await {
        let (i, k) = r.unwrap();
        kept.insert(i, k);
    }
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in first..first + count {
        let addr = addr.clone();
        let kept = kept.remove(&i).flatten();
        let connect = what == "connect";
        set.spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0;
            for _ in 0..rounds {
                let t = Instant::now();
                let done = if connect {
                    connect_only(i, &addr).await
                } else {
                    sync_once(i, &addr, false, kept.as_ref()).await
                };
                match done {
                    Ok(()) => times.push(t.elapsed().as_micros() as u64),
                    Err(_) => errors += 1,
                }
            }
            if let Some(k) = kept {
                k.close().await;
            }
            (times, errors)
        });
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    while let Some(r) = set.join_next().await {
        let (t, e) = r.unwrap();
        all.extend(t);
        errors += e;
    }
    let list: Vec<String> = all.iter().map(u64::to_string).collect();
    println!("done {errors} {}", list.join(","));
}

fn run(devices: usize, rounds: usize, database: &str, what: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let pg = (database == "postgres").then(hedgerow_tests::PostgresCluster::start);
    let port = free_port();
    let mut flags = vec!["--metrics".to_owned(), format!("127.0.0.1:{port}")];
    flags.extend(["--max-connections".to_owned(), (devices * 2).to_string()]);
    if let Some(pg) = &pg {
        flags.extend(["--database".to_owned(), pg.database("relay")]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let relay = hedgerow_tests::RelayProcess::start_with(
        &hedgerow_tests::relay_binary(),
        &tmp.path().join("relay"),
        &flags,
    );
    let exe = std::env::current_exe().unwrap();
    let per = devices.div_ceil(WORKERS);
    let mut workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let count = per.min(devices - (w * per).min(devices));
            Command::new(&exe)
                .env(
                    "HEDGEROW_CAPACITY_WORKER",
                    format!("{} {} {count} {rounds} {what}", relay.address, w * per),
                )
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs: Vec<_> = workers.iter_mut().map(|w| BufReader::new(w.stdout.take().unwrap())).collect();
    for out in &mut outputs {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "a worker could not enrol its devices");
    }
    let before = scrape(port);
    let cpu_before = cpu_seconds(relay.pid());
    let start = Instant::now();
    for w in &mut workers {
        writeln!(w.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let (mut times, mut errors) = (Vec::new(), 0usize);
    for out in &mut outputs {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let mut parts = line.trim().splitn(3, ' ');
        assert_eq!(parts.next(), Some("done"));
        errors += parts.next().unwrap().parse::<usize>().unwrap();
        times.extend(parts.next().unwrap_or("").split(',').filter_map(|t| t.parse::<u64>().ok()));
    }
    let wall = start.elapsed();
    let relay_cpu = cpu_seconds(relay.pid()) - cpu_before;
    for mut w in workers {
        let _ = w.wait();
    }
    // A connection's counts land as it closes, just after its device's sync returns.
    std::thread::sleep(Duration::from_millis(500));
    let after = scrape(port);
    // Syncs as the relay counted them; for bare connections, the connections.
    let counted =
        if what == "connect" { "hedgerow_relay_connections_total" } else { "hedgerow_relay_syncs_total" };
    let syncs = series(&after, counted).unwrap_or(0.0) - series(&before, counted).unwrap_or(0.0);
    let asked = storage_requests(&after) - storage_requests(&before);
    let flight = |q: &str| {
        series(&after, &format!("hedgerow_relay_flight_seconds{{quantile=\"{q}\"}}")).unwrap_or(f64::NAN)
            * 1e3
    };
    let status = std::fs::read_to_string(format!("/proc/{}/status", relay.pid())).unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .trim_start_matches("VmHWM:")
        .trim()
        .to_owned();
    times.sort_unstable();
    let pct = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .map_or(f64::NAN, |t| *t as f64 / 1e3)
    };
    println!(
        "| {database} | {what} | {devices} x {rounds} | {errors} | {:.1} | {:.1} s | {:.0} | {:.0} | {:.2} ms | {:.1} ms | {:.1} ms | {:.0} ms | {:.0} ms | {peak} |",
        asked / syncs.max(1.0),
        wall.as_secs_f64(),
        syncs / wall.as_secs_f64(),
        syncs / relay_cpu.max(1e-9),
        relay_cpu * 1e3 / syncs.max(1.0),
        flight("0.5"),
        flight("0.99"),
        pct(0.5),
        pct(0.99),
    );
}

/// Storage requests the relay made, of every kind (each one a round trip on PostgreSQL).
fn storage_requests(page: &str) -> f64 {
    page.lines()
        .filter(|l| l.starts_with("hedgerow_relay_storage_seconds_count"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn main() {
    if let Ok(job) = std::env::var("HEDGEROW_CAPACITY_WORKER") {
        let v: Vec<&str> = job.split(' ').collect();
        let addr: RelayAddress = v[0].parse().unwrap();
        let (first, count, rounds) = (v[1].parse().unwrap(), v[2].parse().unwrap(), v[3].parse().unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(worker(addr, first, count, rounds, v[4].to_owned()));
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let devices = args.first().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let rounds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let databases: Vec<&str> = match args.get(2).map(String::as_str) {
        Some(d) => vec![d],
        None => vec!["sqlite", "postgres"],
    };
    println!(
        "\n## Relay capacity: {devices} devices at once, {rounds} no-change syncs each, devices in {WORKERS} other processes\n"
    );
    println!(
        "| storage | each | syncs | errors | storage requests each | wall | syncs/s | per relay CPU-second | relay CPU each | relay flight p50 | relay flight p99 | device p50 | device p99 | relay peak memory |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for d in databases {
        run(devices, rounds, d, "dial");
        run(devices, rounds, d, "kept");
    }
    // The same connections with no request in them: what the QUIC and TLS handshake costs.
    run(devices, rounds, "sqlite", "connect");
}
