//! Documents kept loaded between calls, so that a record with a long history is not parsed
//! again for every edit (Automerge takes about 7 ms to load a record changed a thousand
//! times, against a fraction of a millisecond to copy it loaded).
//!
//! A kept document is used only while its stored rows (sealed snapshot, manifest and
//! chunks) are byte for byte what they were when the transaction that wrote it committed,
//! checked by a SHA-256 digest of them at every use: whoever wrote since (another process
//! on the same directory, a sync, someone altering the file), the document is read from
//! disk again, and damage is refused there. Only what a committed transaction wrote is kept.
//!
//! With a document may be kept the value a draft read from it and wrote back (reading a
//! record changed five thousand times takes Automerge about 5 ms of its own): the value
//! the edit wrote is the document's value, which debug builds check as it is kept.

use automerge::{ActorId, AutoCommit};
use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// A document's value as read, kept beside it.
pub(crate) type KeptValue = Box<dyn Any + Send>;

/// How many documents stay loaded: the records and visit notes a clinician is working on.
const KEPT: usize = 16;

/// How long a kept document stays loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeepFor {
    /// Among the [`KEPT`] most recently written.
    Recent,
    /// Until written again: the team document, which every letter, referral and share
    /// reads, and which a team holding many patients makes slow to read again.
    WhileOpen,
}

struct Kept {
    id: [u8; 16],
    /// The digest of the document's stored rows when it was kept.
    stored: [u8; 32],
    doc: AutoCommit,
    /// The document read as its type, where the writer kept it.
    value: Option<KeptValue>,
    keep_for: KeepFor,
}

/// The most recently written documents, newest last.
#[derive(Default)]
pub(super) struct LoadedDocuments(Mutex<VecDeque<Kept>>);

impl LoadedDocuments {
    fn kept(&self) -> MutexGuard<'_, VecDeque<Kept>> {
        // A panic while holding the lock leaves at worst a document missing: go on.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a copy of this document is kept (of whatever version).
    pub(super) fn holds(&self, id: &[u8; 16]) -> bool {
        self.kept().iter().any(|k| k.id == *id)
    }

    /// A copy of the kept document if it is the one the store holds (`stored`, the digest
    /// of its rows now), with a fresh actor as a loaded document has.
    pub(super) fn copy_of(&self, id: &[u8; 16], stored: &[u8; 32]) -> Option<AutoCommit> {
        let kept = self.kept();
        let k = kept.iter().find(|k| k.id == *id && k.stored == *stored)?;
        Some(k.doc.clone().with_actor(ActorId::random()))
    }

    /// As [`Self::copy_of`], with a copy of the value kept with it, if it is a `T`.
    pub(super) fn copy_with_value<T: Clone + 'static>(
        &self,
        id: &[u8; 16],
        stored: &[u8; 32],
    ) -> Option<(AutoCommit, T)> {
        let kept = self.kept();
        let k = kept.iter().find(|k| k.id == *id && k.stored == *stored)?;
        let value = k.value.as_ref()?.downcast_ref::<T>()?.clone();
        Some((k.doc.clone().with_actor(ActorId::random()), value))
    }

    /// A copy of the value kept with the document, if it is a `T` and the document is the
    /// one the store holds.
    pub(super) fn value_of<T: Clone + 'static>(&self, id: &[u8; 16], stored: &[u8; 32]) -> Option<T> {
        let kept = self.kept();
        let k = kept.iter().find(|k| k.id == *id && k.stored == *stored)?;
        k.value.as_ref()?.downcast_ref::<T>().cloned()
    }

    /// Drops any copy of a document (deleted from the store: nothing of it stays in memory).
    pub(super) fn forget(&self, id: &[u8]) {
        self.kept().retain(|k| k.id.as_slice() != id);
    }

    /// Keeps a document as committed, its rows then having digest `stored`, in place of
    /// any older copy.
    pub(super) fn keep(
        &self,
        id: [u8; 16],
        stored: [u8; 32],
        doc: AutoCommit,
        value: Option<KeptValue>,
        keep_for: KeepFor,
    ) {
        let mut kept = self.kept();
        kept.retain(|k| k.id != id);
        if keep_for == KeepFor::Recent
            && kept.iter().filter(|k| k.keep_for == KeepFor::Recent).count() >= KEPT
            && let Some(oldest) = kept.iter().position(|k| k.keep_for == KeepFor::Recent)
        {
            kept.remove(oldest);
        }
        kept.push_back(Kept { id, stored, doc, value, keep_for });
    }

    /// Forgets every kept document.
    pub(super) fn clear(&self) {
        self.kept().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{ROOT, transaction::Transactable};

    fn doc(v: &str) -> AutoCommit {
        let mut d = AutoCommit::new();
        d.put(ROOT, "dose", v).unwrap();
        d.commit();
        d
    }

    #[test]
    fn a_kept_document_is_used_only_while_its_rows_are_as_stored() {
        let loaded = LoadedDocuments::default();
        loaded.keep([1; 16], [1; 32], doc("40 mg"), None, KeepFor::Recent);
        assert!(loaded.copy_of(&[1; 16], &[1; 32]).is_some());
        assert!(loaded.holds(&[1; 16]) && !loaded.holds(&[2; 16]));
        assert!(loaded.copy_of(&[1; 16], &[2; 32]).is_none(), "written since: load it again");
        assert!(loaded.copy_of(&[2; 16], &[1; 32]).is_none());
        loaded.keep([1; 16], [2; 32], doc("20 mg"), Some(Box::new(String::from("20 mg"))), KeepFor::Recent);
        assert!(loaded.copy_of(&[1; 16], &[1; 32]).is_none(), "the older copy is replaced");
        let (a, b) =
            (loaded.copy_of(&[1; 16], &[2; 32]).unwrap(), loaded.copy_of(&[1; 16], &[2; 32]).unwrap());
        assert_ne!(a.get_actor(), b.get_actor(), "each copy writes as its own actor until told");
        assert_eq!(
            loaded.copy_with_value::<String>(&[1; 16], &[2; 32]).map(|(_, v)| v).as_deref(),
            Some("20 mg")
        );
        assert!(loaded.copy_with_value::<u64>(&[1; 16], &[2; 32]).is_none(), "kept as another type");
        assert_eq!(loaded.value_of::<String>(&[1; 16], &[2; 32]).as_deref(), Some("20 mg"));
        assert!(loaded.value_of::<String>(&[1; 16], &[1; 32]).is_none(), "written since");
        assert!(loaded.copy_with_value::<String>(&[1; 16], &[1; 32]).is_none());
        loaded.clear();
        assert!(loaded.copy_of(&[1; 16], &[2; 32]).is_none());
    }

    #[test]
    fn only_the_most_recent_documents_stay_loaded() {
        let loaded = LoadedDocuments::default();
        loaded.keep([0xee; 16], [0xee; 32], doc("team"), None, KeepFor::WhileOpen);
        for i in 0..=KEPT as u8 {
            loaded.keep([i; 16], [i; 32], doc("x"), None, KeepFor::Recent);
        }
        assert!(loaded.copy_of(&[0; 16], &[0; 32]).is_none(), "the oldest made room");
        assert!(loaded.copy_of(&[1; 16], &[1; 32]).is_some());
        assert!(loaded.copy_of(&[KEPT as u8; 16], &[KEPT as u8; 32]).is_some());
        assert!(loaded.copy_of(&[0xee; 16], &[0xee; 32]).is_some(), "the team document stays");
    }
}
