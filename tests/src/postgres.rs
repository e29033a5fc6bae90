//! A throwaway PostgreSQL cluster of the test's own: `initdb` and `pg_ctl` in a temporary
//! directory, on a free loopback port, never a system service. PostgreSQL refuses to run as
//! root, so under root the cluster runs as `nobody`. Stopped (immediately) when dropped.

use crate::free_port;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PostgresCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

/// Where Debian's `postgresql` package puts the server's programs (not on PATH).
fn server_bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).filter(|b| b.join("pg_ctl").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!("PostgreSQL's server is not installed: run scripts/setup (it installs Debian's postgresql)")
    })
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl PostgresCluster {
    /// Makes and starts a cluster whose superuser is `hedgerow` (trust authentication, on
    /// loopback only).
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("hedgerow-pg").tempdir().expect("a temporary directory");
        let cluster = Self { bin: server_bin_dir(), port: free_port(), dir };
        if running_as_root() {
            let status = Command::new("chown").args(["-R", "nobody"]).arg(cluster.dir.path()).status();
            assert!(status.is_ok_and(|s| s.success()), "chown the cluster's directory to nobody");
        }
        let data = cluster.data();
        cluster.run("initdb", &["-D", path(&data), "-U", "hedgerow", "--auth=trust", "--no-sync"]);
        cluster.pg_ctl_start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(program);
        let mut cmd = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(self.dir.path());
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program, args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        self.run("pg_ctl", &["-D", path(&self.data()), "-l", path(&log), "-o", &options, "-w", "start"]);
    }

    /// A new, empty database in the cluster; its URL.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "hedgerow", name]);
        self.url(name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://hedgerow@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once (as a crash would, no checkpoint) and starts it again.
    pub fn restart(&self) {
        self.stop();
        self.pg_ctl_start();
    }

    /// Stops the server at once, as a crash would.
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", path(&self.data()), "-m", "immediate", "-w", "stop"]);
    }

    /// Starts a stopped server again.
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// The server's log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        // Never a panic here: a test that failed is already unwinding.
        let data = self.data();
        if let Some(data) = data.to_str() {
            let _ = self.command("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]).output();
        }
    }
}
