//! What a SQLite relay knows without asking its file, because it is the only process that
//! writes it: each team's number of registry statements and last log position, and the
//! log's high water. A no-change sync then costs no query at all. The claim is a lock on
//! `relay.lock` beside the database, so a second process on the same directory is refused
//! instead of silently making the knowledge stale. (Several processes share PostgreSQL.)
//!
//! The writer updates what is known after each commit and before it acknowledges, so a
//! device never hears of a position the relay would then deny; a reader that races a commit
//! at worst answers "nothing new" once, and the next pull finds it.

use super::StorageError;
use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub(crate) const LOCK_FILE: &str = "relay.lock";

pub(crate) struct SoleWriter {
    lock: Mutex<Option<File>>,
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    statements: HashMap<[u8; 16], u32>,
    team_last: HashMap<[u8; 16], u64>,
    high_water: Option<u64>,
}

impl SoleWriter {
    /// Claims `dir` for this process, or says which directory another process holds.
    pub(crate) fn claim(dir: &Path) -> Result<Self, StorageError> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::Corrupt(format!("{}: {e}", path.display())))?;
        // SAFETY: flock takes a file descriptor this function owns (through `file`) and flags.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(StorageError::InUse(dir.display().to_string()));
        }
        Ok(Self { lock: Mutex::new(Some(file)), known: Mutex::default() })
    }

    /// Lets the directory go (the storage is closing).
    pub(crate) fn release(&self) {
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn statements(&self, team: [u8; 16]) -> Option<u32> {
        self.known().statements.get(&team).copied()
    }

    pub(crate) fn set_statements(&self, team: [u8; 16], count: u32) {
        let mut k = self.known();
        let n = k.statements.entry(team).or_default();
        *n = (*n).max(count);
    }

    pub(crate) fn team_last(&self, team: [u8; 16]) -> Option<u64> {
        self.known().team_last.get(&team).copied()
    }

    pub(crate) fn saw_team_last(&self, team: [u8; 16], seq: u64) {
        let mut k = self.known();
        let last = k.team_last.entry(team).or_default();
        *last = (*last).max(seq);
    }

    pub(crate) fn high_water(&self) -> Option<u64> {
        self.known().high_water
    }

    pub(crate) fn saw_high_water(&self, seq: u64) {
        let mut k = self.known();
        k.high_water = Some(k.high_water.unwrap_or(0).max(seq));
    }
}
