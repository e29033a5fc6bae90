//! What the relay's connections share in one process: its storage, its limits, each
//! team's checked registry and the count of refusals; and the doing of the storage work a
//! [`RelaySession`](crate::RelaySession) asks for.

use crate::session::{SessionLimits, StorageReply, StorageRequest};
use crate::storage::{RelayStorage, StorageError};
use hedgerow_protocol::registry::Registry;
use hedgerow_protocol::wire::Refusal;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// What one relay allows, so that no one can exhaust it without logging in.
#[derive(Clone, Debug)]
pub struct RelayLimits {
    /// Connections served at once; more are refused as busy.
    pub max_connections: usize,
    /// Teams this relay will found; a charter beyond it is refused.
    pub max_teams: u64,
    /// Bytes of sealed entries one team may keep here.
    pub team_quota_bytes: u64,
    /// Teams whose checked registry is kept in memory.
    pub registry_cache: usize,
}

impl Default for RelayLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_teams: 10_000,
            team_quota_bytes: 20 * 1024 * 1024 * 1024,
            registry_cache: 10_000,
        }
    }
}

/// Each team's checked registry, at most `cap` of them, the oldest cached forgotten first.
#[derive(Default)]
struct RegistryCache {
    map: HashMap<[u8; 16], Arc<Registry>>,
    order: VecDeque<[u8; 16]>,
}

/// The relay's shared state: its storage, its limits, and each team's registry as last
/// checked, so that a connection verifies only the statements added since.
pub struct RelayState<S> {
    storage: S,
    limits: RelayLimits,
    registries: Mutex<RegistryCache>,
    refusals: Mutex<BTreeMap<String, u64>>,
}

impl<S: RelayStorage> RelayState<S> {
    pub fn new(storage: S) -> Self {
        Self::with_limits(storage, RelayLimits::default())
    }

    pub fn with_limits(storage: S, limits: RelayLimits) -> Self {
        Self { storage, limits, registries: Default::default(), refusals: Default::default() }
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn limits(&self) -> &RelayLimits {
        &self.limits
    }

    /// The team's registry, brought up to date with storage (other relay processes may
    /// have added to it). A team with no statements is not cached: anyone can say hello
    /// with a made-up team id.
    pub async fn registry(&self, team: [u8; 16]) -> Result<Arc<Registry>, StorageError> {
        let cached = self.cached(team);
        let known = cached.as_ref().map_or(0, |r| r.statements().len());
        let newer = self.storage.registry(team, known as u32).await?;
        if newer.is_empty() {
            return Ok(cached.unwrap_or_else(|| Arc::new(Registry::new(team))));
        }
        let mut registry = cached.unwrap_or_else(|| Arc::new(Registry::new(team)));
        let r = Arc::make_mut(&mut registry);
        for s in newer {
            r.apply(s.statement, s.position)
                .map_err(|e| StorageError::Corrupt(format!("stored registry statement: {e}")))?;
        }
        self.remember(registry.clone());
        Ok(registry)
    }

    fn cached(&self, team: [u8; 16]) -> Option<Arc<Registry>> {
        self.registries.lock().unwrap_or_else(|p| p.into_inner()).map.get(&team).cloned()
    }

    /// Keeps the longer of the cached and the given registry.
    pub fn remember(&self, registry: Arc<Registry>) {
        if !registry.has_charter() {
            return;
        }
        let mut cache = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        let team = registry.team();
        match cache.map.get(&team) {
            Some(c) if c.statements().len() >= registry.statements().len() => return,
            Some(_) => {}
            None => {
                cache.order.push_back(team);
                while cache.order.len() > self.limits.registry_cache.max(1) {
                    if let Some(old) = cache.order.pop_front() {
                        cache.map.remove(&old);
                    }
                }
            }
        }
        cache.map.insert(team, registry);
    }

    /// How many registries are cached (for tests of the bound).
    pub fn cached_registries(&self) -> usize {
        self.registries.lock().unwrap_or_else(|p| p.into_inner()).map.len()
    }

    pub fn count_refusal(&self, code: Refusal) {
        crate::metrics::refused(&format!("{code:?}"));
        *self.refusals.lock().unwrap_or_else(|p| p.into_inner()).entry(format!("{code:?}")).or_default() += 1;
    }

    /// Refusals so far, by code.
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        self.refusals.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The limits a session enforces itself.
    pub fn session_limits(&self) -> SessionLimits {
        SessionLimits { max_teams: self.limits.max_teams, team_quota_bytes: self.limits.team_quota_bytes }
    }

    /// A session for a connection from `peer` (authenticated by the transport), at `now`.
    pub async fn new_session(&self, peer: [u8; 32], now: i64) -> Result<crate::RelaySession, StorageError> {
        Ok(crate::RelaySession::new(peer, self.session_limits(), self.storage.log_id().await?, now))
    }

    /// Does the storage work a session asked for.
    pub async fn perform(&self, request: StorageRequest) -> StorageReply {
        let started = std::time::Instant::now();
        let operation = request.operation();
        let reply = self.perform_untimed(request).await;
        crate::metrics::storage_took(operation, started.elapsed());
        reply
    }

    async fn perform_untimed(&self, request: StorageRequest) -> StorageReply {
        let s = &self.storage;
        let reply = match request {
            StorageRequest::Registry { team } => self.registry(team).await.map(StorageReply::Registry),
            StorageRequest::HighWater { team } => s.high_water(team).await.map(StorageReply::Count),
            StorageRequest::TeamCount => s.team_count().await.map(StorageReply::Count),
            StorageRequest::TeamUsage { team } => s.team_usage(team).await.map(StorageReply::Count),
            StorageRequest::AppendStatement { team, index, position, statement, registry } => {
                match s.append_statement(team, index, position, &statement).await {
                    Ok(()) => {
                        self.remember(registry);
                        Ok(StorageReply::Done)
                    }
                    Err(StorageError::RegistryRace) => Ok(StorageReply::RegistryRace),
                    Err(e) => Err(e),
                }
            }
            StorageRequest::AppendEntries { team, entries } => s
                .append_entries(team, &entries)
                .await
                .map(|(first, last)| StorageReply::Positions { first, last }),
            StorageRequest::EntriesAfter { team, after, skip_author, max_bytes } => {
                s.entries_after(team, after, skip_author, max_bytes).await.map(StorageReply::Batch)
            }
            StorageRequest::PutOffer { team, invite, offer } => {
                s.put_offer(team, invite, &offer).await.map(|()| StorageReply::Done)
            }
            StorageRequest::RetainOffers { team, open } => {
                s.retain_offers(team, &open).await.map(|()| StorageReply::Done)
            }
            StorageRequest::HasOffer { team, invite } => {
                s.has_offer(team, invite).await.map(StorageReply::HasOffer)
            }
            StorageRequest::TakeOffer { team, invite } => {
                s.take_offer(team, invite).await.map(StorageReply::Offer)
            }
        };
        reply.unwrap_or_else(StorageReply::Failed)
    }
}

/// What a session sent in one go, run until it waited for the device again.
#[derive(Debug, Default)]
pub struct Flight {
    /// The frames, one after another.
    pub bytes: Vec<u8>,
    /// The session closed the connection (after a refusal, or the device fell silent).
    pub closed: bool,
}

impl<S: RelayStorage> RelayState<S> {
    /// Runs `session` until it waits for input, doing its storage work: for connections
    /// held in memory (tests, benchmarks, the fuzz target).
    pub async fn run_until_input(&self, session: &mut crate::RelaySession) -> Flight {
        let mut flight = Flight::default();
        loop {
            match session.poll() {
                crate::Output::Send(f) => flight.bytes.extend_from_slice(&f),
                crate::Output::Storage(request) => session.handle_storage(self.perform(request).await),
                crate::Output::NeedInput => return flight,
                crate::Output::Close(f) => {
                    flight.bytes.extend_from_slice(&f);
                    flight.closed = true;
                    if let Some(code) = session.refusal() {
                        self.count_refusal(code);
                    }
                    return flight;
                }
                crate::Output::Hangup => {
                    flight.closed = true;
                    return flight;
                }
            }
        }
    }
}
