//! What a [`RelaySession`] is waiting for storage to answer, and what it does with the
//! answer: each request of the protocol as the steps between its storage requests.

use crate::session::{
    PULL_BYTES, Refuse, RelaySession, StorageReply, StorageRequest, check_entry, check_letter,
};
use hedgerow_protocol::registry::{Registry, SignedStatement, StatementBody};
use hedgerow_protocol::wire::{LogEntry, MAX_BUNDLE, PROTOCOL_VERSION, Refusal, Reply};
use std::collections::VecDeque;
use std::sync::Arc;

/// A request part-way through, waiting for the answer to the storage request it made.
#[derive(Debug)]
pub(crate) enum Job {
    /// Waiting for the registry named in Hello.
    Hello,
    /// Waiting for the registry to check one published statement against.
    PublishChecking {
        statement: SignedStatement,
        rest: VecDeque<SignedStatement>,
        accepted: u32,
    },
    /// Waiting for the team count before a new team's charter.
    PublishFounding {
        statement: SignedStatement,
        registry: Arc<Registry>,
        rest: VecDeque<SignedStatement>,
        accepted: u32,
    },
    Push {
        entries: Vec<LogEntry>,
    },
    PushQuota {
        team: [u8; 16],
        entries: Vec<LogEntry>,
        adding: u64,
    },
    PushStored {
        count: u64,
    },
    /// Waiting for the sender's registry, to see that its team trusts `to`.
    Deliver {
        to: [u8; 16],
        entries: Vec<LogEntry>,
    },
    /// Waiting for team `to`'s registry, to see that it trusts the sender's team back.
    DeliverTo {
        to: [u8; 16],
        from: [u8; 16],
        from_charter: [u8; 32],
        charter: [u8; 32],
        entries: Vec<LogEntry>,
    },
    GetRegistry {
        known: u32,
    },
    Pull {
        after: u64,
        log_id: Option<[u8; 16]>,
    },
    PullBatch {
        after: u64,
    },
    PullEntries,
    PullDone {
        cursor: u64,
    },
    PutOffer {
        invite: [u8; 32],
        offer: Vec<u8>,
    },
    PutOfferRetained {
        team: [u8; 16],
        invite: [u8; 32],
        offer: Vec<u8>,
    },
    PutOfferStored,
    Claim {
        join: SignedStatement,
        invite: [u8; 32],
    },
    ClaimHasOffer {
        join: SignedStatement,
        invite: [u8; 32],
        registry: Arc<Registry>,
    },
    ClaimTaking,
    Persist(Persisting),
}

/// A statement being kept in the registry.
#[derive(Debug)]
pub(crate) struct Persisting {
    pub statement: SignedStatement,
    /// The registry to apply it to (fresh: asked for in this request).
    pub registry: Arc<Registry>,
    /// Tries so far that found another connection had written first.
    pub attempt: u8,
    pub then: AfterPersist,
    pub stage: PersistStage,
}

/// What a request goes on with once its statement is kept.
#[derive(Debug)]
pub(crate) enum AfterPersist {
    Publish { rest: VecDeque<SignedStatement>, accepted: u32 },
    Claim { invite: [u8; 32] },
}

/// Keeping a statement waits for the high water, then for the append (`registry` is
/// then the registry with the statement applied), then, after a race, for the registry
/// again; the stage says which.
#[derive(Debug)]
pub(crate) enum PersistStage {
    HighWater,
    Appending,
    Reloading,
}

impl RelaySession {
    pub(crate) fn resume(&mut self, job: Job, reply: StorageReply) -> Result<(), Refuse> {
        match job {
            Job::Hello => {
                let registry = reply.registry()?;
                self.team = Some(registry.clone());
                if registry.device(&self.peer).is_some_and(|d| !d.active()) {
                    return Err(Refuse(
                        Refusal::Revoked,
                        "this device has been revoked from the team".into(),
                    ));
                }
                let enrolled = registry.is_active(&self.peer);
                self.reply(&Reply::Welcome { version: PROTOCOL_VERSION, enrolled, log_id: self.log_id })
            }
            Job::PublishChecking { statement, rest, accepted } => {
                let registry = reply.registry()?;
                self.team = Some(registry.clone());
                // Sent again (a sync cut off before the device heard it was kept): kept once.
                if registry.statements().iter().any(|held| held.statement == statement) {
                    return self.publish_next(rest, accepted);
                }
                match statement.verified().map(|st| st.body) {
                    Ok(StatementBody::Charter { .. }) if !registry.has_charter() => self.ask(
                        StorageRequest::TeamCount,
                        Job::PublishFounding { statement, registry, rest, accepted },
                    ),
                    // A join by publish is held to the relay's clock, as a claim is.
                    Ok(StatementBody::Join { invite, .. }) => {
                        if !registry.invite_open(&invite, self.now) {
                            return Err(Refuse(
                                Refusal::InviteUnknown,
                                "the invite is unknown, used or expired".into(),
                            ));
                        }
                        self.persist(statement, registry, AfterPersist::Publish { rest, accepted })
                    }
                    _ => {
                        let registry = self.enrolled(registry)?;
                        self.persist(statement, registry, AfterPersist::Publish { rest, accepted })
                    }
                }
            }
            Job::PublishFounding { statement, registry, rest, accepted } => {
                if reply.count()? >= self.limits.max_teams {
                    return Err(Refuse(Refusal::Quota, "this relay serves as many teams as it may".into()));
                }
                self.persist(statement, registry, AfterPersist::Publish { rest, accepted })
            }
            Job::Push { entries } => {
                let registry = self.enrolled(reply.registry()?)?;
                let admin = registry.device(&self.peer).is_some_and(|d| d.admin);
                let team = registry.team();
                let mut adding = 0u64;
                for e in &entries {
                    check_entry(&team, &self.peer, admin, e)?;
                    adding += e.sealed.len() as u64;
                }
                self.ask(StorageRequest::TeamUsage { team }, Job::PushQuota { team, entries, adding })
            }
            Job::PushQuota { team, entries, adding } => {
                let used = reply.count()?;
                let quota = self.limits.team_quota_bytes;
                if used.saturating_add(adding) > quota {
                    return Err(Refuse(
                        Refusal::Quota,
                        format!(
                            "the team keeps {used} bytes here and may keep {quota}: ask the relay's operator"
                        ),
                    ));
                }
                if entries.is_empty() {
                    return self.reply(&Reply::Pushed { first: 0, last: 0 });
                }
                let count = entries.len() as u64;
                self.ask(StorageRequest::AppendEntries { team, entries }, Job::PushStored { count })
            }
            Job::PushStored { count } => match reply.failed()? {
                StorageReply::Positions { first, last } => {
                    self.stats.entries_stored += count;
                    self.reply(&Reply::Pushed { first, last })
                }
                other => Err(unexpected(other)),
            },
            Job::Deliver { to, entries } => {
                let registry = self.enrolled(reply.registry()?)?;
                let from = registry.team();
                let (Some(charter), Some(from_charter)) = (registry.partner(&to), registry.charter_digest())
                else {
                    let message = "this team does not trust that team: an admin trusts its card first".into();
                    return self.reply(&Reply::Undelivered { message });
                };
                for e in &entries {
                    check_letter(&to, &from, &self.peer, e)?;
                }
                self.ask(
                    StorageRequest::Registry { team: to },
                    Job::DeliverTo { to, from, from_charter, charter, entries },
                )
            }
            Job::DeliverTo { to, from, from_charter, charter, entries } => {
                let theirs = reply.registry()?;
                // Both ways, and each under the charter the other trusted: a team made
                // under a trusted team's id is not that team.
                if theirs.charter_digest() != Some(charter) || theirs.partner(&from) != Some(from_charter) {
                    let message =
                        "that team does not trust this team, or is not the team this team trusted".into();
                    return self.reply(&Reply::Undelivered { message });
                }
                let adding = entries.iter().map(|e| e.sealed.len() as u64).sum();
                self.ask(StorageRequest::TeamUsage { team: to }, Job::PushQuota { team: to, entries, adding })
            }
            Job::GetRegistry { known } => {
                let registry = self.enrolled(reply.registry()?)?;
                let from = (known as usize).min(registry.statements().len());
                let statements = registry.statements()[from..].to_vec();
                self.reply(&Reply::Registry { from: from as u32, statements })
            }
            Job::Pull { after, log_id } => {
                // A cursor into another log (this relay's storage replaced or restored)
                // means nothing here: serve from the start. The first batch goes on the
                // registry just read; later ones read it again.
                let after = if log_id == Some(self.log_id) { after } else { 0 };
                self.resume(Job::PullBatch { after }, reply)
            }
            Job::PullBatch { after } => {
                let team = self.enrolled(reply.registry()?)?.team();
                let skip_author = self.peer;
                self.ask(
                    StorageRequest::EntriesAfter { team, after, skip_author, max_bytes: PULL_BYTES },
                    Job::PullEntries,
                )
            }
            Job::PullEntries => match reply.failed()? {
                StorageReply::Batch(batch) => self.pulled(batch),
                other => Err(unexpected(other)),
            },
            Job::PullDone { cursor } => {
                let high_water = reply.count()?;
                self.stats.pulls_done += 1;
                self.reply(&Reply::PullDone { cursor, high_water })
            }
            Job::PutOffer { invite, offer } => {
                let registry = self.enrolled(reply.registry()?)?;
                if !registry.device(&self.peer).is_some_and(|d| d.admin) {
                    return Err(Refuse(
                        Refusal::NotEnrolled,
                        "only an admin device may leave an invite".into(),
                    ));
                }
                if !registry.invite_open(&invite, self.now) {
                    return Err(Refuse(Refusal::InviteUnknown, "publish the invite before its offer".into()));
                }
                if offer.len() > MAX_BUNDLE {
                    return Err(Refuse(Refusal::TooLarge, format!("the offer is {} bytes", offer.len())));
                }
                // Offers of invites that are used or expired are dropped as this one comes.
                let team = registry.team();
                let open = registry.open_invites(self.now);
                self.ask(
                    StorageRequest::RetainOffers { team, open },
                    Job::PutOfferRetained { team, invite, offer },
                )
            }
            Job::PutOfferRetained { team, invite, offer } => {
                reply.done()?;
                self.ask(StorageRequest::PutOffer { team, invite, offer }, Job::PutOfferStored)
            }
            Job::PutOfferStored => {
                reply.done()?;
                self.reply(&Reply::OfferStored)
            }
            Job::Claim { join, invite } => {
                let registry = reply.registry()?;
                self.team = Some(registry.clone());
                if !registry.invite_open(&invite, self.now) {
                    return Err(Refuse(
                        Refusal::InviteUnknown,
                        "the invite is unknown, used or expired".into(),
                    ));
                }
                let team = registry.team();
                self.ask(
                    StorageRequest::HasOffer { team, invite },
                    Job::ClaimHasOffer { join, invite, registry },
                )
            }
            Job::ClaimHasOffer { join, invite, registry } => match reply.failed()? {
                // The join is checked (the invite key's proof) and kept before the offer is
                // handed out, so no one without the code can use up the invite.
                StorageReply::HasOffer(true) => self.persist(join, registry, AfterPersist::Claim { invite }),
                StorageReply::HasOffer(false) => {
                    Err(Refuse(Refusal::InviteUnknown, "the invite has no offer waiting".into()))
                }
                other => Err(unexpected(other)),
            },
            Job::ClaimTaking => match reply.failed()? {
                StorageReply::Offer(Some(offer)) => self.reply(&Reply::Offer { offer }),
                StorageReply::Offer(None) => {
                    Err(Refuse(Refusal::InviteUnknown, "the invite has no offer waiting".into()))
                }
                other => Err(unexpected(other)),
            },
            Job::Persist(p) => self.persisting(p, reply),
        }
    }

    /// One step of keeping a statement: the high water came (apply and append), the append
    /// came (done, or reload after a race), or the reloaded registry came (try again).
    fn persisting(&mut self, mut p: Persisting, reply: StorageReply) -> Result<(), Refuse> {
        match p.stage {
            PersistStage::HighWater => {
                let high_water = reply.count()?;
                let position = high_water.max(p.registry.position());
                let mut registry = p.registry.clone();
                Arc::make_mut(&mut registry)
                    .apply(p.statement.clone(), position)
                    .map_err(|e| Refuse(Refusal::BadStatement, e.to_string()))?;
                let team = registry.team();
                let index = registry.statements().len() as u32 - 1;
                let statement = p.statement.clone();
                let request = StorageRequest::AppendStatement {
                    team,
                    index,
                    position,
                    statement,
                    registry: registry.clone(),
                };
                p.registry = registry;
                p.stage = PersistStage::Appending;
                self.ask(request, Job::Persist(p))
            }
            PersistStage::Appending => match reply.failed()? {
                StorageReply::Done => {
                    self.team = Some(p.registry);
                    match p.then {
                        AfterPersist::Publish { rest, accepted } => self.publish_next(rest, accepted),
                        AfterPersist::Claim { invite } => {
                            let team = self.team_id()?;
                            self.ask(StorageRequest::TakeOffer { team, invite }, Job::ClaimTaking)
                        }
                    }
                }
                // Another connection wrote first: reload and apply on top of theirs.
                StorageReply::RegistryRace if p.attempt == 0 => {
                    p.attempt += 1;
                    p.stage = PersistStage::Reloading;
                    let team = self.team_id()?;
                    self.ask(StorageRequest::Registry { team }, Job::Persist(p))
                }
                StorageReply::RegistryRace => Err(Refuse(
                    Refusal::Unavailable,
                    "the registry is changing under heavy load; try again".into(),
                )),
                other => Err(unexpected(other)),
            },
            PersistStage::Reloading => {
                p.registry = reply.registry()?;
                p.stage = PersistStage::HighWater;
                let team = p.registry.team();
                self.ask(StorageRequest::HighWater { team }, Job::Persist(p))
            }
        }
    }
}

fn unexpected(reply: StorageReply) -> Refuse {
    tracing::error!(?reply, "relay storage answered the wrong question");
    Refuse(Refusal::Unavailable, "the relay could not reach its storage; try again".into())
}
