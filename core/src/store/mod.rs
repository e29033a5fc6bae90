//! The device's store: one SQLite database (WAL) holding sealed Automerge documents,
//! sealed query tables derived from them, settings and the audit log.
//!
//! Writes go through [`WriteTx`], which takes SQLite's write lock up front
//! (`BEGIN IMMEDIATE`), so that a document is loaded, changed and appended under one lock
//! even when several processes share the data directory. A change is committed (and with
//! `synchronous=FULL`, on disk) before the call that made it returns.

mod audit;
mod bulk;
mod deferred;
mod documents;
mod heads;
mod index;
mod loaded;
mod settings;
mod shares;
mod sync;
mod team_audit;

pub use audit::{AuditAction, AuditCheck, AuditEntry, ChainedEntry};
pub(crate) use bulk::NewDocumentRows;
// How a document is held on disk, for the tests.
#[cfg(feature = "test-support")]
pub use documents::DocumentStorage;
pub use index::{DueTask, LatestNews2, PatientSummary, ReviewDue, VisitSummary};
pub(crate) use index::{PatientRows, VisitRow};
pub(crate) use loaded::{KeepFor, KeptValue};
pub use sync::OutboxItem;

use crate::clinical::NhsNumber;
use crate::crypto::{BlindIndex, KdfParams, Sealer, Vault};
use crate::documents::{DocumentKind, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{PatientId, VisitId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const DB_FILE: &str = "hedgerow.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An unlocked store. Cloning shares the connection pool and keys.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    keys: Arc<Keys>,
    dir: PathBuf,
    loaded: Arc<loaded::LoadedDocuments>,
}

struct Keys {
    sealer: Sealer,
    blind: BlindIndex,
}

fn connect_options(path: &Path, create: bool) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        // Sorts and temporary tables stay in memory, never in plaintext temp files.
        .pragma("temp_store", "memory")
}

async fn connect(path: &Path, create: bool) -> Result<SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(4)
        .before_acquire(|conn, _| {
            Box::pin(async move {
                // SQLite rolls a transaction back itself when the disk fills; the ROLLBACK that
                // follows then fails and the connection still counts one open, so every
                // later BEGIN on it would fail: such a connection is closed, not handed out.
                // (By now the pool's own ping on release has let any ROLLBACK run; this is
                // an atomic read, nothing sent to SQLite.)
                use sqlx::Connection;
                Ok(!conn.is_in_transaction())
            })
        })
        .connect_with(connect_options(path, create))
        .await?)
}

impl Store {
    /// Creates a new store in `dir` (made if missing) locked by `passphrase`.
    pub async fn create(dir: &Path, passphrase: &str, params: KdfParams) -> Result<Self> {
        let path = dir.join(DB_FILE);
        if path.exists() {
            return Err(Error::AlreadyExists(dir.to_owned()));
        }
        if passphrase.is_empty() {
            return Err(Error::Input("the passphrase must not be empty".into()));
        }
        std::fs::create_dir_all(dir)?;
        let pass = passphrase.to_owned();
        let (vault, key) = tokio::task::spawn_blocking(move || Vault::create(&pass, params))
            .await
            .map_err(|e| Error::Internal(format!("key derivation stopped: {e}")))??;
        let pool = connect(&path, true).await?;
        MIGRATOR.run(&pool).await?;
        sqlx::query(
            "INSERT INTO vault (id, salt, memory_kib, iterations, lanes, wrapped_key) VALUES (1, ?, ?, ?, ?, ?)",
        )
        .bind(vault.salt.as_slice())
        .bind(vault.params.memory_kib as i64)
        .bind(vault.params.iterations as i64)
        .bind(vault.params.lanes as i64)
        .bind(&vault.wrapped_key)
        .execute(&pool)
        .await?;
        Ok(Self::with_key(pool, &key, dir))
    }

    /// Opens and unlocks an existing store. A wrong passphrase writes nothing.
    pub async fn open(dir: &Path, passphrase: &str) -> Result<Self> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            return Err(Error::NoWorkspace(dir.to_owned()));
        }
        let pool = connect(&path, false).await?;
        let vault = match read_vault(&pool, dir).await {
            Ok(v) => v,
            Err(e) => {
                pool.close().await;
                return Err(e);
            }
        };
        let pass = passphrase.to_owned();
        let unlocked = tokio::task::spawn_blocking(move || vault.unlock(&pass))
            .await
            .map_err(|e| Error::Internal(format!("key derivation stopped: {e}")))?;
        let key = match unlocked {
            Ok(k) => k,
            Err(e) => {
                pool.close().await;
                return Err(e.into());
            }
        };
        // Migrations run only once the passphrase is known to be right.
        MIGRATOR.run(&pool).await?;
        let store = Self::with_key(pool, &key, dir);
        store.seal_legacy_rows().await?;
        Ok(store)
    }

    /// Rows written before the store bound them in place (settings' versions, documents'
    /// manifests, the audit chain) are sealed again the new way, once, under the passphrase.
    async fn seal_legacy_rows(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        tx.version_legacy_settings().await?;
        tx.manifest_legacy_documents().await?;
        tx.chain_legacy_audit().await?;
        tx.commit().await
    }

    fn with_key(pool: SqlitePool, key: &crate::crypto::DataKey, dir: &Path) -> Self {
        Self {
            pool,
            keys: Arc::new(Keys { sealer: key.sealer(), blind: key.blind_index() }),
            dir: dir.to_owned(),
            loaded: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts a write: SQLite's write lock is taken now, not at the first write.
    pub async fn begin_write(&self) -> Result<WriteTx<'_>> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, store: self, keep: Vec::new() })
    }

    /// Starts a read that sees one consistent state of the database.
    pub async fn begin_read(&self) -> Result<ReadTx<'_>> {
        let tx = self.pool.begin().await?;
        Ok(ReadTx { tx, store: self })
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(self) {
        self.loaded.clear();
        self.pool.close().await;
    }

    fn loaded(&self) -> &loaded::LoadedDocuments {
        &self.loaded
    }

    pub(crate) fn sealer(&self) -> &Sealer {
        &self.keys.sealer
    }

    pub(crate) fn nhs_blind(&self, nhs_digits: &str) -> Vec<u8> {
        self.keys.blind.of("nhs-number", nhs_digits)
    }
}

async fn read_vault(pool: &SqlitePool, dir: &Path) -> Result<Vault> {
    let row = sqlx::query("SELECT salt, memory_kib, iterations, lanes, wrapped_key FROM vault WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Database(sqlx::Error::Database(db)) if db.message().contains("no such table") => {
                Error::Corrupt(format!("{} is not a Hedgerow store", dir.join(DB_FILE).display()))
            }
            other => other,
        })?;
    let row = row.ok_or_else(|| Error::Incomplete(dir.to_owned()))?;
    let salt: Vec<u8> = row.try_get("salt")?;
    let num = |name: &str| -> Result<u32> {
        let v: i64 = row.try_get(name)?;
        u32::try_from(v).map_err(|_| Error::Corrupt(format!("vault {name} out of range")))
    };
    Ok(Vault {
        salt: salt
            .as_slice()
            .try_into()
            .map_err(|_| Error::Corrupt("vault salt has the wrong length".into()))?,
        params: KdfParams {
            memory_kib: num("memory_kib")?,
            iterations: num("iterations")?,
            lanes: num("lanes")?,
        },
        wrapped_key: row.try_get("wrapped_key")?,
    })
}

/// A write transaction holding SQLite's write lock. Dropped without [`WriteTx::commit`],
/// it rolls back and nothing it did is kept.
pub struct WriteTx<'s> {
    tx: Transaction<'static, Sqlite>,
    store: &'s Store,
    /// Documents this transaction wrote, kept loaded once it commits.
    keep: Vec<([u8; 16], automerge::AutoCommit, Option<KeptValue>, KeepFor)>,
}

impl WriteTx<'_> {
    pub async fn commit(mut self) -> Result<()> {
        // What each kept document's rows are as this transaction leaves them.
        let mut kept = Vec::with_capacity(self.keep.len());
        for (id, doc, value, keep_for) in std::mem::take(&mut self.keep) {
            if let Some(digest) = documents::stored_digest(&mut self.tx, &id).await? {
                kept.push((id, digest, doc, value, keep_for));
            }
        }
        self.tx.commit().await?;
        for (id, digest, doc, value, keep_for) in kept {
            self.store.loaded().keep(id, digest, doc, value, keep_for);
        }
        Ok(())
    }

    /// Keeps a document this transaction wrote loaded for the next call, once committed,
    /// with its value as read (`value` must be what the document reads as, and `doc` what
    /// the transaction stored). It is used only while the document's stored rows are byte
    /// for byte what this transaction left. A later write of the same document in this
    /// transaction drops it ([`Self::written`]).
    pub(crate) fn keep_loaded(
        &mut self,
        id: [u8; 16],
        doc: automerge::AutoCommit,
        value: Option<KeptValue>,
        keep_for: KeepFor,
    ) {
        self.keep.retain(|k| k.0 != id);
        self.keep.push((id, doc, value, keep_for));
    }

    /// A document's rows are about to change: a copy kept before no longer matches them.
    fn written(&mut self, id: &[u8; 16]) {
        self.keep.retain(|k| k.0 != *id);
    }

    /// The copy this transaction offered to keep, with its value if it is a `T`: what the
    /// document is in this transaction, since any later write of it dropped the offer.
    fn pending<T: Clone + 'static>(&self, id: &[u8; 16]) -> Option<(&automerge::AutoCommit, T)> {
        let (_, doc, value, _) = self.keep.iter().find(|k| k.0 == *id)?;
        Some((doc, value.as_ref()?.downcast_ref::<T>()?.clone()))
    }

    /// Marks a point to roll back to, for one step of many that may fail on its own.
    pub async fn savepoint(&mut self) -> Result<()> {
        sqlx::query("SAVEPOINT step").execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Keeps what was done since the savepoint.
    pub async fn release(&mut self) -> Result<()> {
        sqlx::query("RELEASE step").execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Undoes everything since the savepoint, and ends it.
    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        // A copy offered since may be of what is undone: none is kept.
        self.keep.clear();
        sqlx::query("ROLLBACK TO step").execute(&mut *self.tx).await?;
        sqlx::query("RELEASE step").execute(&mut *self.tx).await?;
        Ok(())
    }
}

/// A read transaction: one consistent snapshot of the store.
pub struct ReadTx<'s> {
    tx: Transaction<'static, Sqlite>,
    store: &'s Store,
}

impl ReadTx<'_> {
    /// A read transaction writes nothing, so offers nothing to keep.
    fn pending<T>(&self, _id: &[u8; 16]) -> Option<(&automerge::AutoCommit, T)> {
        None
    }
}

/// The reads both kinds of transaction offer, written once.
macro_rules! shared_reads {
    ($t:ident) => {
        // Written for both transactions; not every read is used on both.
        #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
        impl $t<'_> {
            /// Loads a document as Automerge, or `None` if the store has no such document.
            pub async fn load_document(
                &mut self,
                id: &[u8; 16],
                kind: DocumentKind,
            ) -> Result<Option<automerge::AutoCommit>> {
                documents::load(&mut self.tx, self.store, id, kind).await
            }
            /// Loads a document with its value read; from what is kept loaded where the
            /// store still holds the same document.
            pub(crate) async fn load_with_value<T: autosurgeon::Hydrate + Clone + 'static>(
                &mut self,
                id: &[u8; 16],
                kind: DocumentKind,
            ) -> Result<Option<(automerge::AutoCommit, T)>> {
                if let Some((doc, value)) = self.pending::<T>(id) {
                    return Ok(Some((doc.clone().with_actor(automerge::ActorId::random()), value)));
                }
                documents::load_with_value(&mut self.tx, self.store, id, kind).await
            }
            /// Loads and reads a document, its header checked first.
            pub async fn read_document<T: autosurgeon::Hydrate + Clone + 'static>(
                &mut self,
                id: &[u8; 16],
                kind: DocumentKind,
            ) -> Result<Option<T>> {
                if let Some((_, value)) = self.pending::<T>(id) {
                    return Ok(Some(value));
                }
                documents::read(&mut self.tx, self.store, id, kind).await
            }
            /// Ids of every document of one kind.
            pub async fn document_ids(&mut self, kind: DocumentKind) -> Result<Vec<[u8; 16]>> {
                documents::ids_of_kind(&mut self.tx, kind).await
            }
            /// Every patient on this device, sorted by name.
            pub async fn caseload(&mut self) -> Result<Vec<PatientSummary>> {
                index::caseload(&mut self.tx, self.store).await
            }
            pub async fn patient_by_nhs(&mut self, nhs: &NhsNumber) -> Result<Option<PatientId>> {
                index::patient_by_nhs(&mut self.tx, self.store, nhs).await
            }
            pub async fn patient_summary(&mut self, id: &PatientId) -> Result<Option<PatientSummary>> {
                index::patient_summary(&mut self.tx, self.store, id).await
            }
            /// A patient's visits, newest first.
            pub async fn visits_of(&mut self, patient: &PatientId, limit: i64) -> Result<Vec<VisitSummary>> {
                index::visits_of(&mut self.tx, self.store, patient, limit).await
            }
            pub async fn visit_summary(&mut self, id: &VisitId) -> Result<Option<VisitSummary>> {
                index::visit_summary(&mut self.tx, self.store, id).await
            }
            /// Every visit started at or after `since`, of any patient.
            pub async fn visits_since(&mut self, since: Timestamp) -> Result<Vec<VisitSummary>> {
                index::visits_since(&mut self.tx, self.store, since).await
            }
            /// Whether the patient is on the team's caseload.
            pub async fn on_caseload(&mut self, patient: &PatientId) -> Result<bool> {
                index::on_caseload(&mut self.tx, patient).await
            }
            /// Open tasks due on or before a date (YYYY-MM-DD), earliest first.
            pub async fn due_tasks(&mut self, on_or_before: &str) -> Result<Vec<DueTask>> {
                index::due_tasks(&mut self.tx, self.store, on_or_before).await
            }
        }
    };
}
shared_reads!(ReadTx);
shared_reads!(WriteTx);

/// Either transaction, for the workspace's helpers that only read (the team key, the
/// registry, the outbox): they take `&mut impl Reads`, so a pure read never holds SQLite's
/// write lock, and a write that needs them reads inside its own transaction.
pub(crate) trait Reads {
    async fn setting(&mut self, name: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>>;
    async fn outbox(&mut self) -> Result<Vec<OutboxItem>>;
    async fn read_document<T: autosurgeon::Hydrate + Clone + 'static>(
        &mut self,
        id: &[u8; 16],
        kind: DocumentKind,
    ) -> Result<Option<T>>;
}

macro_rules! reads {
    ($t:ident) => {
        impl Reads for $t<'_> {
            async fn setting(&mut self, name: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
                $t::setting(self, name).await
            }
            async fn outbox(&mut self) -> Result<Vec<OutboxItem>> {
                $t::outbox(self).await
            }
            async fn read_document<T: autosurgeon::Hydrate + Clone + 'static>(
                &mut self,
                id: &[u8; 16],
                kind: DocumentKind,
            ) -> Result<Option<T>> {
                $t::read_document(self, id, kind).await
            }
        }
    };
}
reads!(ReadTx);
reads!(WriteTx);
