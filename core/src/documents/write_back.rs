//! Writing an edited document back: the whole of it, or for a patient record only the
//! top-level fields the edit changed.
//!
//! autosurgeon's `reconcile` visits every field and looks up every key it would put, and
//! each lookup grows with the record's history: on a record edited a thousand times the
//! whole-record pass takes about 2.5 ms where one field takes a tenth of that. A field the
//! edit left equal is one the whole pass would not have changed either (through
//! [`KeepConflicts`] a repeated value is no write), so skipping it writes the same.

use super::KeepConflicts;
use super::{PatientRecord, Team, VisitNote};
use autosurgeon::{Reconcile, ReconcileError};

/// A document type as drafts write it back after an edit.
pub(crate) trait WriteBack: Reconcile + Clone {
    /// Writes `self` into the document it was read from as `before`. `replaced` names the
    /// top-level fields whose Automerge objects the edit replaced directly (a new map for a
    /// CPR decision, say): they are written whatever their value, since the new object is
    /// empty until written.
    fn write_back(
        &self,
        before: &Self,
        replaced: &[&str],
        doc: &mut KeepConflicts<'_>,
    ) -> Result<(), ReconcileError> {
        let _ = (before, replaced);
        autosurgeon::reconcile(doc, self)
    }

    /// The value to keep loaded with its document after the edit is committed, so that
    /// the next edit need not read it again; `None` to read it again each time.
    fn kept(&self, doc: &automerge::AutoCommit) -> Option<crate::store::KeptValue> {
        let _ = doc;
        None
    }
}

/// Writes each listed field that differs from `before` or was replaced. The fields are
/// destructured without `..`, so a field added to the type does not compile until it is
/// listed here, and no field can be left unwritten.
macro_rules! write_changed_fields {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl WriteBack for $ty {
            fn write_back(
                &self,
                before: &Self,
                replaced: &[&str],
                doc: &mut KeepConflicts<'_>,
            ) -> Result<(), ReconcileError> {
                let $ty { $($field),* } = self;
                $(
                    if *$field != before.$field || replaced.contains(&stringify!($field)) {
                        autosurgeon::reconcile_prop(doc, automerge::ROOT, stringify!($field), $field)?;
                    }
                )*
                Ok(())
            }

            fn kept(&self, doc: &automerge::AutoCommit) -> Option<crate::store::KeptValue> {
                // What was written back is what the document reads as; every test run
                // checks it.
                #[cfg(debug_assertions)]
                assert_eq!(
                    crate::documents::read::<$ty, _>(doc, crate::documents::DocumentKind::Patient).ok().as_ref(),
                    Some(self),
                    "a record's value and its document disagree after writing back"
                );
                let _ = doc;
                Some(Box::new(self.clone()))
            }
        }
    };
}

write_changed_fields!(PatientRecord {
    kind,
    schema,
    id,
    demographics,
    gp_practice,
    contacts,
    alerts,
    allergies,
    consent,
    care_plan,
    medicines,
    end_of_life,
    tasks,
    carer_notes,
    visits,
    referrals,
    spo2_scale,
    created_by,
    created_at,
});

// A visit note's narrative is collaborative text: written whole.
impl WriteBack for VisitNote {}

/// Writes the entries of a top-level map that the edit changed, added or removed, and no
/// other: a team that shares many records, or cares for many patients, would otherwise
/// look up every entry at every change.
fn write_map_entries<V: Reconcile + PartialEq>(
    doc: &mut KeepConflicts<'_>,
    field: &str,
    now: &std::collections::BTreeMap<String, V>,
    before: &std::collections::BTreeMap<String, V>,
) -> Result<(), ReconcileError> {
    if now == before {
        return Ok(());
    }
    let obj = match autosurgeon::ReadDoc::get(doc, &automerge::ROOT, field)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        _ => return autosurgeon::reconcile_prop(doc, automerge::ROOT, field, now),
    };
    for (key, value) in now {
        if before.get(key) != Some(value) {
            autosurgeon::reconcile_prop(doc, &obj, key.as_str(), value)?;
        }
    }
    for key in before.keys().filter(|k| !now.contains_key(*k)) {
        autosurgeon::Doc::delete(doc, &obj, key.as_str())?;
    }
    Ok(())
}

impl WriteBack for Team {
    fn write_back(
        &self,
        before: &Self,
        replaced: &[&str],
        doc: &mut KeepConflicts<'_>,
    ) -> Result<(), ReconcileError> {
        // Destructured without `..`: a field added to the team does not compile until listed.
        let Team {
            kind,
            schema,
            id,
            name,
            clinicians,
            devices,
            caseload,
            ods_code,
            partners,
            referrals,
            shares,
            ended_copies,
            ended_share_retention_days,
        } = self;
        let whole = |f: &str| replaced.contains(&f);
        macro_rules! scalar {
            ($($field:ident),*) => {$(
                if *$field != before.$field || whole(stringify!($field)) {
                    autosurgeon::reconcile_prop(doc, automerge::ROOT, stringify!($field), $field)?;
                }
            )*};
        }
        macro_rules! entries {
            ($($field:ident),*) => {$(
                if whole(stringify!($field)) {
                    autosurgeon::reconcile_prop(doc, automerge::ROOT, stringify!($field), $field)?;
                } else {
                    write_map_entries(doc, stringify!($field), $field, &before.$field)?;
                }
            )*};
        }
        scalar!(kind, schema, id, name, ods_code, ended_share_retention_days);
        entries!(clinicians, devices, caseload, partners, referrals, shares, ended_copies);
        Ok(())
    }

    fn kept(&self, doc: &automerge::AutoCommit) -> Option<crate::store::KeptValue> {
        #[cfg(debug_assertions)]
        assert_eq!(
            crate::documents::read::<Team, _>(doc, crate::documents::DocumentKind::Team).ok().as_ref(),
            Some(self),
            "the team document's value and its document disagree after writing back"
        );
        let _ = doc;
        Some(Box::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::patient::{Alert, AlertKind};
    use crate::documents::tests::{record, someone as nurse};
    use crate::documents::{DocumentKind, Timestamp, read};
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};

    fn stored(value: &PatientRecord) -> AutoCommit {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, value).unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn only_the_changed_field_is_written_and_the_record_reads_back_whole() {
        let before = record();
        let mut doc = stored(&before);
        let mut after = before.clone();
        after.demographics.phone = Some("01454 000000".into());
        after.alerts.insert(
            "a1".into(),
            Alert {
                kind: AlertKind::Access,
                text: "Dog in the garden".into(),
                added_by: nurse(),
                added_at: Timestamp(1_700_000_100_000),
                active: true,
            },
        );
        after.write_back(&before, &[], &mut KeepConflicts(&mut doc)).unwrap();
        let ops = doc.pending_ops();
        doc.commit();
        assert_eq!(read::<PatientRecord, _>(&doc, DocumentKind::Patient).unwrap(), after);
        let mut whole = stored(&before);
        autosurgeon::reconcile(&mut KeepConflicts(&mut whole), &after).unwrap();
        assert_eq!(ops, whole.pending_ops(), "the same operations as writing the whole record");
    }

    #[test]
    fn an_unchanged_record_writes_nothing() {
        let before = record();
        let mut doc = stored(&before);
        before.clone().write_back(&before, &[], &mut KeepConflicts(&mut doc)).unwrap();
        assert_eq!(doc.pending_ops(), 0);
    }

    #[test]
    fn a_replaced_object_is_written_even_when_its_value_is_the_same() {
        let before = record();
        let mut doc = stored(&before);
        // As a CPR decision or SpO2 scale is recorded: a new, empty map in place of the old.
        doc.put_object(&ROOT, "spo2_scale", ObjType::Map).unwrap();
        before.clone().write_back(&before, &["spo2_scale"], &mut KeepConflicts(&mut doc)).unwrap();
        doc.commit();
        let (_, scale) = doc.get(&ROOT, "spo2_scale").unwrap().unwrap();
        assert!(doc.keys(&scale).count() > 0, "the new map holds the setting");
        assert_eq!(read::<PatientRecord, _>(&doc, DocumentKind::Patient).unwrap(), before);
    }
}
