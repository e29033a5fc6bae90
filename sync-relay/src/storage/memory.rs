//! Relay storage held in memory, for deterministic tests of sessions and of devices
//! against a relay. It keeps the same rules as the SQLite storage (positions only grow, a
//! snapshot replaces its author's earlier entries of the document, an offer is taken once)
//! and forgets everything when dropped.

use super::{BatchFill, PulledBatch, RelayStorage, StorageError, encode_entry};
use hedgerow_protocol::registry::{PositionedStatement, SignedStatement};
use hedgerow_protocol::wire::{EntryKind, LogEntry};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
pub struct MemoryRelayStorage {
    inner: Arc<Mutex<Inner>>,
    log_id: [u8; 16],
}

struct Kept {
    team: [u8; 16],
    entry: LogEntry,
    /// The entry's encoded size, as the SQLite storage counts it.
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    registries: HashMap<[u8; 16], Vec<PositionedStatement>>,
    log: BTreeMap<u64, Kept>,
    high_water: u64,
    usage: HashMap<[u8; 16], u64>,
    offers: HashMap<([u8; 16], [u8; 32]), Vec<u8>>,
}

impl MemoryRelayStorage {
    pub fn new(log_id: [u8; 16]) -> Self {
        Self { inner: Arc::default(), log_id }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many entries the log holds now (pruned ones gone), for tests.
    pub fn entries_held(&self) -> usize {
        self.inner().log.len()
    }
}

impl RelayStorage for MemoryRelayStorage {
    async fn registry(&self, team: [u8; 16], from: u32) -> Result<Vec<PositionedStatement>, StorageError> {
        let inner = self.inner();
        let held = inner.registries.get(&team).map_or(&[][..], Vec::as_slice);
        Ok(held.get(from as usize..).unwrap_or_default().to_vec())
    }

    async fn append_statement(
        &self,
        team: [u8; 16],
        index: u32,
        position: u64,
        statement: &SignedStatement,
    ) -> Result<(), StorageError> {
        let mut inner = self.inner();
        let held = inner.registries.entry(team).or_default();
        if held.len() != index as usize {
            return Err(StorageError::RegistryRace);
        }
        held.push(PositionedStatement { statement: statement.clone(), position });
        Ok(())
    }

    async fn append_entries(&self, team: [u8; 16], entries: &[LogEntry]) -> Result<(u64, u64), StorageError> {
        let mut inner = self.inner();
        let (mut first, mut last) = (0, 0);
        for e in entries {
            inner.high_water += 1;
            let seq = inner.high_water;
            if first == 0 {
                first = seq;
            }
            last = seq;
            if let EntryKind::Snapshot { earlier_tags } = &e.kind {
                let replaced: Vec<u64> = inner
                    .log
                    .iter()
                    .filter(|(_, k)| {
                        k.team == team
                            && k.entry.author == e.author
                            && matches!(k.entry.kind, EntryKind::Changes | EntryKind::Snapshot { .. })
                            && (k.entry.doc_tag == e.doc_tag || earlier_tags.contains(&k.entry.doc_tag))
                    })
                    .map(|(seq, _)| *seq)
                    .collect();
                for seq in replaced {
                    if let Some(gone) = inner.log.remove(&seq) {
                        let used = inner.usage.entry(team).or_default();
                        *used = used.saturating_sub(gone.bytes as u64);
                    }
                }
            }
            let bytes = encode_entry(e).len();
            *inner.usage.entry(team).or_default() += bytes as u64;
            inner.log.insert(seq, Kept { team, entry: e.clone(), bytes });
        }
        Ok((first, last))
    }

    async fn entries_after(
        &self,
        team: [u8; 16],
        after: u64,
        skip_author: [u8; 32],
        max_bytes: usize,
    ) -> Result<PulledBatch, StorageError> {
        let inner = self.inner();
        let mut fill = BatchFill::new(after, skip_author, max_bytes);
        for (seq, kept) in inner.log.range(after + 1..).filter(|(_, k)| k.team == team) {
            if !fill.take(*seq, &kept.entry.author, kept.bytes, || Ok(kept.entry.clone()))? {
                break;
            }
        }
        Ok(fill.finish())
    }

    async fn high_water(&self, _team: [u8; 16]) -> Result<u64, StorageError> {
        Ok(self.inner().high_water)
    }

    async fn log_id(&self) -> Result<[u8; 16], StorageError> {
        Ok(self.log_id)
    }

    async fn team_usage(&self, team: [u8; 16]) -> Result<u64, StorageError> {
        Ok(self.inner().usage.get(&team).copied().unwrap_or(0))
    }

    async fn team_count(&self) -> Result<u64, StorageError> {
        Ok(self.inner().registries.values().filter(|r| !r.is_empty()).count() as u64)
    }

    async fn put_offer(&self, team: [u8; 16], invite: [u8; 32], offer: &[u8]) -> Result<(), StorageError> {
        self.inner().offers.insert((team, invite), offer.to_vec());
        Ok(())
    }

    async fn has_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<bool, StorageError> {
        Ok(self.inner().offers.contains_key(&(team, invite)))
    }

    async fn take_offer(&self, team: [u8; 16], invite: [u8; 32]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.inner().offers.remove(&(team, invite)))
    }

    async fn retain_offers(&self, team: [u8; 16], open: &[[u8; 32]]) -> Result<(), StorageError> {
        self.inner().offers.retain(|(t, invite), _| *t != team || open.contains(invite));
        Ok(())
    }
}
