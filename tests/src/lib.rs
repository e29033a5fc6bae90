//! Helpers for Hedgerow's scenario tests: fresh workspaces in temporary directories and a
//! byte-level scan of everything a device leaves on disk.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod harness;
mod memory_link;
mod postgres;
mod process;
pub use harness::{RawConnection, ScriptedLink, hello, refusal_of};
pub(crate) use memory_link::storage_failed;
pub use memory_link::{LinkStats, MemoryLink};
pub use postgres::PostgresCluster;
pub use process::{cpu_seconds, free_port, scrape_metrics, series};

pub const PASSPHRASE: &str = "heather-kestrel-7";

/// Every regular file below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

/// Which of `needles` appear in any file below `dir`, as UTF-8 or UTF-16LE bytes.
/// Returns (file, needle) for every hit.
pub fn plaintext_hits(dir: &Path, needles: &[String]) -> Vec<(PathBuf, String)> {
    let mut hits = Vec::new();
    for file in files_below(dir) {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        for n in needles {
            let utf8 = n.as_bytes().to_vec();
            let utf16: Vec<u8> = n.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            if contains(&bytes, &utf8) || contains(&bytes, &utf16) {
                hits.push((file.clone(), n.clone()));
            }
        }
    }
    hits
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// A valid NHS number in the 999 range (never issued to a person) for the n-th
/// fictional patient of a test.
pub fn fictional_nhs_number(n: usize) -> String {
    (0..10)
        .find_map(|k| {
            let nine = format!("999{:06}", (n * 10 + k) % 1_000_000);
            let sum: u32 = nine.bytes().zip((2..=10).rev()).map(|(c, w)| u32::from(c - b'0') * w).sum();
            match 11 - sum % 11 {
                11 => Some(format!("{nine}0")),
                10 => None,
                c => Some(format!("{nine}{c}")),
            }
        })
        .expect("one of ten consecutive numbers has a valid check digit")
}

/// Why a test takes in another workspace's copy of a record unsigned: the two devices are
/// of separate teams (a relay sync between devices of one team is `MemoryTeam`'s).
pub const TWO_TEAMS: &str = "test: another team's device's copy, compared for review";

/// A CPR decision disputed the way it happens: `gp` takes a copy of `nurse`'s record, each
/// records a different decision offline, then each merges the other's copy. Returns the
/// two recommendations (nurse's, GP's).
pub async fn dispute_cpr(
    nurse: &hedgerow_core::Workspace,
    gp: &hedgerow_core::Workspace,
    patient: hedgerow_core::ids::PatientId,
) -> anyhow::Result<()> {
    use hedgerow_core::documents::patient::CprRecommendation;
    gp.merge_document(&nurse.export_patient_document(patient).await?, true, Some(TWO_TEAMS)).await?;
    nurse.set_cpr(patient, CprRecommendation::AttemptCpr, Some("patient".into()), "patient wishes").await?;
    gp.set_cpr(
        patient,
        CprRecommendation::DoNotAttemptCpr,
        Some("patient and son".into()),
        "advanced frailty",
    )
    .await?;
    nurse.merge_document(&gp.export_patient_document(patient).await?, false, Some(TWO_TEAMS)).await?;
    gp.merge_document(&nurse.export_patient_document(patient).await?, false, Some(TWO_TEAMS)).await?;
    Ok(())
}

/// A team syncing through a relay held in memory (the relay's real session and SQLite
/// storage, no sockets): devices of any role join by invite, as in the field.
pub struct MemoryTeam {
    dirs: Vec<tempfile::TempDir>,
    pub relay: std::sync::Arc<hedgerow_relay::RelayState<hedgerow_relay::SqliteRelayStorage>>,
    /// The founding admin's device.
    pub admin: hedgerow_core::Workspace,
}

impl MemoryTeam {
    pub async fn new(name: &str, role: hedgerow_core::documents::Role) -> anyhow::Result<Self> {
        Self::named("Hartsmoor District Nursing", name, role).await
    }

    /// As [`MemoryTeam::new`], for a team called `team`.
    pub async fn named(team: &str, name: &str, role: hedgerow_core::documents::Role) -> anyhow::Result<Self> {
        use hedgerow_relay::{RelayState, SqliteRelayStorage};
        let relay_dir = tempfile::tempdir()?;
        let relay = std::sync::Arc::new(RelayState::new(SqliteRelayStorage::open(relay_dir.path()).await?));
        Self::founded(relay_dir, relay, team, name, role).await
    }

    /// Another team, founded by `name`, on the same relay as `self` (teams that refer
    /// patients to each other share one relay).
    pub async fn beside(
        &self,
        team: &str,
        name: &str,
        role: hedgerow_core::documents::Role,
    ) -> anyhow::Result<Self> {
        // The relay's files stay with the first team; this one keeps its own directory.
        Self::founded(tempfile::tempdir()?, self.relay.clone(), team, name, role).await
    }

    async fn founded(
        relay_dir: tempfile::TempDir,
        relay: std::sync::Arc<hedgerow_relay::RelayState<hedgerow_relay::SqliteRelayStorage>>,
        team: &str,
        name: &str,
        role: hedgerow_core::documents::Role,
    ) -> anyhow::Result<Self> {
        let admin_dir = tempfile::tempdir()?;
        let admin = hedgerow_core::Workspace::create(
            admin_dir.path(),
            PASSPHRASE,
            hedgerow_core::NewClinician { name: name.into(), role, registration: registration(role) },
            None,
        )
        .await?;
        admin.create_team(team).await?;
        let team = Self { dirs: vec![relay_dir, admin_dir], relay, admin };
        team.sync(&team.admin).await?;
        Ok(team)
    }

    /// Where the relay keeps its store.
    pub fn relay_dir(&self) -> &Path {
        self.dirs[0].path()
    }

    /// Where the founding admin's device keeps its store.
    pub fn admin_dir(&self) -> &Path {
        self.dirs[1].path()
    }

    pub fn team_id(&self) -> [u8; 16] {
        self.admin.identity().team_id.0
    }

    /// A directory that lives as long as the team, for another device.
    pub fn new_dir(&mut self) -> anyhow::Result<std::path::PathBuf> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_owned();
        self.dirs.push(dir);
        Ok(path)
    }

    pub fn link(&self) -> MemoryLink<hedgerow_relay::SqliteRelayStorage> {
        MemoryLink::new(self.relay.clone())
    }

    pub async fn sync(
        &self,
        ws: &hedgerow_core::Workspace,
    ) -> anyhow::Result<hedgerow_core::workspace::SyncReport> {
        // Boxed: a sync's future is large, and a test awaits many.
        Ok(Box::pin(ws.sync_via(&mut self.link(), |_| {})).await?)
    }

    /// A new device for a clinician of `role`, enrolled by the admin and synced once.
    pub async fn join(
        &mut self,
        name: &str,
        role: hedgerow_core::documents::Role,
    ) -> anyhow::Result<hedgerow_core::Workspace> {
        self.join_as(name, role, false).await
    }

    /// As [`MemoryTeam::join`], as a team admin's device if `admin`.
    pub async fn join_as(
        &mut self,
        name: &str,
        role: hedgerow_core::documents::Role,
        admin: bool,
    ) -> anyhow::Result<hedgerow_core::Workspace> {
        let dir = tempfile::tempdir()?;
        let ws = self.enrol_in(dir.path(), name, role, admin).await?;
        self.dirs.push(dir);
        Ok(ws)
    }

    /// As [`MemoryTeam::join_as`], with the new device's store in `dir` (e.g. a small
    /// file system of the test's own), which the caller keeps.
    pub async fn enrol_in(
        &self,
        dir: &Path,
        name: &str,
        role: hedgerow_core::documents::Role,
        admin: bool,
    ) -> anyhow::Result<hedgerow_core::Workspace> {
        let invite = self.admin.invite_device(admin, chrono::Duration::hours(1)).await?;
        self.sync(&self.admin).await?;
        let ws = hedgerow_core::Workspace::join_via(
            dir,
            PASSPHRASE,
            hedgerow_core::NewClinician { name: name.into(), role, registration: registration(role) },
            "laptop",
            &invite.code,
            &mut self.link(),
        )
        .await?;
        self.sync(&ws).await?;
        self.sync(&self.admin).await?;
        self.sync(&ws).await?;
        Ok(ws)
    }
}

/// Two teams on one relay: a hospital ward (its admin a doctor) and a hospice (its admin a
/// hospice nurse), for sharing between teams.
pub async fn ward_and_hospice() -> (MemoryTeam, MemoryTeam) {
    use hedgerow_core::documents::Role;
    let ward = MemoryTeam::named("Ward 7, Hartsmoor General", "Dr Ines Calloway", Role::Gp).await.unwrap();
    let hospice = ward.beside("Rowan Hospice", "Maren Oduya", Role::HospiceNurse).await.unwrap();
    (ward, hospice)
}

/// Harold's three teams on one relay: the ward and the hospice trust each other, and the
/// hospice and the district nurses do; the ward and the district nurses do not.
pub async fn ward_hospice_and_district_nurses() -> (MemoryTeam, MemoryTeam, MemoryTeam) {
    use hedgerow_core::documents::Role;
    let (ward, hospice) = ward_and_hospice().await;
    let nurses =
        ward.beside("Hartsmoor District Nursing", "Nia Penhallow", Role::DistrictNurse).await.unwrap();
    trusting_each_other(&ward, &hospice).await;
    trusting_each_other(&hospice, &nurses).await;
    (ward, hospice, nurses)
}

/// Each team's admin trusts the other team's card, and both have synced since, so that
/// their Partner statements are at the relay.
pub async fn trusting_each_other(a: &MemoryTeam, b: &MemoryTeam) {
    let (a_card, b_card) = (a.admin.team_card(None).await.unwrap(), b.admin.team_card(None).await.unwrap());
    a.admin.trust_team(&b_card.text, &b_card.fingerprint).await.unwrap();
    b.admin.trust_team(&a_card.text, &a_card.fingerprint).await.unwrap();
    a.sync(&a.admin).await.unwrap();
    b.sync(&b.admin).await.unwrap();
}

/// The ward and the hospice trust each other; Harold is referred by the ward's admin and
/// accepted by `acceptor` (a hospice device), and the ward has taken the answer in: his
/// record is shared. The hospice's device has not synced since its acceptance.
pub async fn harold_shared_with_the_hospice(
    ward: &MemoryTeam,
    hospice: &MemoryTeam,
    acceptor: &hedgerow_core::Workspace,
) -> hedgerow_core::ids::PatientId {
    trusting_each_other(ward, hospice).await;
    let patient = harold(&ward.admin).await;
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    let sent = ward.admin.refer(patient, "Rowan Hospice", "end of life care at home", true).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    hospice.sync(acceptor).await.unwrap();
    acceptor.accept_referral(&sent.id).await.unwrap();
    hospice.sync(acceptor).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    patient
}

/// Winifred Ashdown, a fictional patient, on `ws`'s caseload: the record the relay and attack
/// tests share.
pub async fn winifred(ws: &hedgerow_core::Workspace) -> hedgerow_core::ids::PatientId {
    ws.add_patient(hedgerow_core::NewPatient {
        nhs_number: "9990001235".parse().unwrap(),
        name: "Winifred Ashdown".into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
        address: Some("Lower Barn, Hartsmoor".into()),
    })
    .await
    .unwrap()
    .id
}

/// `listener` listens on loopback (real iroh) until `dialer` has dialled it once; returns
/// the dialler's report and what the listener heard.
pub async fn meet_directly(
    listener: &hedgerow_core::Workspace,
    dialer: &hedgerow_core::Workspace,
) -> (
    hedgerow_core::Result<hedgerow_core::workspace::PeerReport>,
    Vec<hedgerow_core::Result<hedgerow_core::workspace::PeerReport>>,
) {
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut heard = Vec::new();
    let listening = listener.listen(
        "127.0.0.1:0".parse().unwrap(),
        |a| {
            let _ = addr_tx.send(a.clone());
        },
        |r| heard.push(r),
        async {
            let _ = stop_rx.await;
        },
    );
    let dialing = async {
        let addr = addr_rx.await.unwrap();
        let r = dialer.sync_with_peer(&addr).await;
        let _ = stop_tx.send(());
        r
    };
    let (l, d) = tokio::join!(Box::pin(listening), Box::pin(dialing));
    l.unwrap();
    (d, heard)
}

/// Harold Pennick (fictional), in end-stage heart failure: a DNACPR decision, on furosemide.
pub async fn harold(ws: &hedgerow_core::Workspace) -> hedgerow_core::ids::PatientId {
    use hedgerow_core::documents::patient::{CprRecommendation, Route};
    let id = ws
        .add_patient(hedgerow_core::NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Harold Pennick".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1941, 2, 9).unwrap(),
            address: Some("2 Mill Lane, Hartsmoor".into()),
        })
        .await
        .unwrap()
        .id;
    let why = "heart failure, end stage";
    ws.set_cpr(id, CprRecommendation::DoNotAttemptCpr, Some("Harold and his son".into()), why).await.unwrap();
    let furosemide = hedgerow_core::workspace::NewMedicine {
        name: "Furosemide".into(),
        dmd_code: None,
        dose: "80 mg".into(),
        route: Route::Oral,
        frequency: "once each morning".into(),
        anticipatory: false,
        kept_at: None,
        reason: None,
    };
    ws.add_medicine(id, furosemide).await.unwrap();
    id
}

/// A fictional registration number for roles that have one.
fn registration(role: hedgerow_core::documents::Role) -> Option<String> {
    role.is_registered_clinician().then(|| "99Z9999X".to_owned())
}

/// A real `hedgerow-relay` process on loopback.
pub struct RelayProcess {
    child: Child,
    pub address: String,
    pub data: PathBuf,
    bin: PathBuf,
    flags: Vec<String>,
}

impl RelayProcess {
    /// Starts the relay binary on a free loopback port and waits for its address.
    pub fn start(bin: &Path, data: &Path) -> Self {
        Self::start_with(bin, data, &[])
    }

    /// As [`RelayProcess::start`], with more command-line flags (its limits).
    pub fn start_with(bin: &Path, data: &Path, flags: &[&str]) -> Self {
        let listen: &[&str] = if flags.contains(&"--listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
        let mut child = Command::new(bin)
            .args(["--data", data.to_str().expect("utf-8 path")])
            .args(listen)
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(Self::log_path(data))
                    .expect("relay log file"),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("relay stdout");
        let address = line
            .trim()
            .strip_prefix("hedgerow-relay listening at ")
            .unwrap_or_else(|| panic!("unexpected relay output: {line:?}"))
            .to_owned();
        let flags = flags.iter().map(|f| f.to_string()).collect();
        Self { child, address, data: data.to_owned(), bin: bin.to_owned(), flags }
    }

    /// Where the relay's log (stderr) goes: beside its data directory, not in it.
    pub fn log_path(data: &Path) -> PathBuf {
        data.with_extension("log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(Self::log_path(&self.data)).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the relay and starts it again on the same data directory and flags.
    pub fn restart(&mut self) {
        self.restart_with(&[]);
    }

    /// Kills the relay and starts it again on the same data, flags and port, so that its
    /// address is the one devices already hold (and may have a connection to).
    pub fn restart_on_its_address(&mut self) {
        let port = self.address.rsplit(':').next().expect("IP:PORT at the end").to_owned();
        let listen = format!("127.0.0.1:{port}");
        if self.flags.iter().any(|f| f == "--listen") {
            self.restart();
        } else {
            self.restart_with(&["--listen", &listen]);
        }
    }

    fn restart_with(&mut self, more: &[&str]) {
        self.kill();
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).chain(more.iter().copied()).collect();
        let (bin, data) = (self.bin.clone(), self.data.clone());
        *self = Self::start_with(&bin, &data, &flags);
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A binary built by this workspace, next to the running test's own directory; built first
/// (in the same profile) when it is not there yet, so that a test or bench run on its own
/// (`cargo bench -p hedgerow-tests --bench capacity`) runs the real binary.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let bin = dir.join(name);
    if !bin.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--locked", "--bin", name]);
        if dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building {name} failed");
    }
    assert!(bin.exists(), "{} is not built: run `cargo build --workspace`", bin.display());
    bin
}

/// The relay binary, run as an operator runs it; `HEDGEROW_RELAY_BIN` names another build of
/// it (an earlier commit's), so that a bench can set the two side by side in one run.
pub fn relay_binary() -> PathBuf {
    match std::env::var_os("HEDGEROW_RELAY_BIN") {
        Some(other) => PathBuf::from(other),
        None => workspace_binary("hedgerow-relay"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_utf8_and_utf16_text_in_nested_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        std::fs::write(tmp.path().join("sub/a.bin"), b"\x00\x01Winifred Ashdown\xff").unwrap();
        let utf16: Vec<u8> = "9434765919".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        std::fs::write(tmp.path().join("b.bin"), utf16).unwrap();
        let hits =
            plaintext_hits(tmp.path(), &["Winifred Ashdown".into(), "9434765919".into(), "absent".into()]);
        assert_eq!(hits.len(), 2, "{hits:?}");
    }
}
