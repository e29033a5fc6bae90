//! The no-change sync of a device whose team shares many records with other teams, beside
//! that of a device of a team that shares nothing, in one run (docs/sync-protocol.md,
//! "Shared records"): round trips, bytes each way and time. Everything is real but the
//! network: each team's devices, the relay's session and its SQLite store, in memory.
//!
//! `cargo bench -p hedgerow-tests --bench shared_sync -- [PATIENTS] [TEAMS] [SYNCS]`
//! (defaults 500 5 20).

use hedgerow_core::Workspace;
use hedgerow_core::documents::Role;
use hedgerow_core::ids::PatientId;
use hedgerow_tests::{MemoryLink, MemoryTeam, fictional_nhs_number, trusting_each_other};
use std::time::{Duration, Instant};

const PARTNERS: [&str; 8] = [
    "Rowan Hospice",
    "Ward 7, Hartsmoor General",
    "Fellbrook Surgery",
    "Hartsmoor Palliative Care",
    "Mill Lane Practice",
    "Ward 3, Hartsmoor General",
    "Brook Hospice",
    "Eastfield Surgery",
];

async fn patients(ws: &Workspace, n: usize) -> Vec<PatientId> {
    let new = (0..n)
        .map(|i| hedgerow_core::NewPatient {
            nhs_number: fictional_nhs_number(i).parse().expect("a valid number"),
            name: format!("Patient {i:04}"),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).expect("a date"),
            address: None,
        })
        .collect();
    ws.add_patients(new).await.expect("patients added").into_iter().map(|p| p.id).collect()
}

struct Quiet {
    round_trips: usize,
    bytes_sent: u64,
    bytes_received: u64,
    median: Duration,
    p90: Duration,
}

/// `syncs` no-change syncs of `ws`, after two to settle.
async fn quiet_syncs(team: &MemoryTeam, ws: &Workspace, syncs: usize) -> Quiet {
    for _ in 0..2 {
        team.sync(ws).await.expect("sync");
    }
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..syncs {
        let mut link = MemoryLink::new(team.relay.clone());
        let start = Instant::now();
        let report = Box::pin(ws.sync_via(&mut link, |_| {})).await.expect("sync");
        times.push(start.elapsed());
        assert_eq!(report.bundles_received + report.shared_letters, 0, "no change");
        // Every so often the device's own audit log goes to the relay too: not counted.
        if report.bundles_pushed == 0 {
            last = Some((link.stats.round_trips, report.bytes_sent, report.bytes_received));
        }
    }
    times.sort();
    let (round_trips, bytes_sent, bytes_received) = last.expect("at least one sync");
    Quiet {
        round_trips,
        bytes_sent,
        bytes_received,
        median: times[times.len() / 2],
        p90: times[times.len() * 9 / 10],
    }
}

async fn run(n: usize, teams: usize, syncs: usize) {
    let setup = Instant::now();
    let nurses = MemoryTeam::named("Hartsmoor District Nursing", "Nia Penhallow", Role::DistrictNurse)
        .await
        .expect("team");
    let mut partners = Vec::new();
    for name in PARTNERS.iter().take(teams) {
        let t = nurses.beside(name, "Ada Kell", Role::HospiceNurse).await.expect("team");
        trusting_each_other(&nurses, &t).await;
        partners.push(t);
    }
    let shared = patients(&nurses.admin, n).await;
    for (i, partner) in partners.iter().enumerate() {
        let team = PARTNERS[i];
        for &patient in &shared {
            nurses.admin.set_sharing_consent(patient, team, true).await.expect("consent");
            nurses.admin.refer(patient, team, "shared care", false).await.expect("referral");
        }
        nurses.sync(&nurses.admin).await.expect("sync");
        partner.sync(&partner.admin).await.expect("sync");
        for r in partner.admin.referrals().await.expect("referrals") {
            partner.admin.accept_referral(&r.id).await.expect("accepted");
        }
        partner.sync(&partner.admin).await.expect("sync");
    }
    // Every team takes in the answers and each other's first copies, then settles.
    for _ in 0..2 {
        nurses.sync(&nurses.admin).await.expect("sync");
        for p in &partners {
            p.sync(&p.admin).await.expect("sync");
        }
    }
    let shares: usize = {
        let mut total = 0;
        for &patient in &shared {
            total += nurses.admin.shared_with(patient).await.expect("shares").len();
        }
        total
    };
    assert_eq!(shares, n * teams, "every record shared with every team");
    let setup = setup.elapsed();

    // The same team size, sharing nothing, on a relay of its own.
    let alone = MemoryTeam::named("Fellbrook District Nursing", "Tamsin Rook", Role::DistrictNurse)
        .await
        .expect("team");
    patients(&alone.admin, n).await;
    let unshared = quiet_syncs(&alone, &alone.admin, syncs).await;
    let sharing = quiet_syncs(&nurses, &nurses.admin, syncs).await;

    println!(
        "shared-sync: {n} patients, each shared with {teams} teams ({shares} shares), set up in {:.1} s",
        setup.as_secs_f64()
    );
    println!("| device | round trips | bytes sent | bytes received | median | p90 |");
    println!("|---|---|---|---|---|---|");
    for (what, q) in [
        ("team sharing nothing", &unshared),
        (&*format!("team sharing {n} records with {teams} teams"), &sharing),
    ] {
        println!(
            "| {what} | {} | {} | {} | {:.2} ms | {:.2} ms |",
            q.round_trips,
            q.bytes_sent,
            q.bytes_received,
            q.median.as_secs_f64() * 1e3,
            q.p90.as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(500);
    let teams = args.get(1).copied().unwrap_or(5).min(PARTNERS.len());
    let syncs = args.get(2).copied().unwrap_or(20).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(Box::pin(run(n, teams, syncs)));
}
