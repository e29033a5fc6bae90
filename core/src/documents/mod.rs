//! The documents Hedgerow shares, mapped onto Automerge with autosurgeon.
//! docs/documents.md describes them field by field for other implementations.

mod keep_conflicts;
pub mod patient;
pub mod schema;
pub mod team;
pub mod visit;
mod write_back;

pub use keep_conflicts::KeepConflicts;
pub use patient::PatientRecord;
pub use schema::{
    ChangeNote, ClinicianRef, DocumentError, DocumentKind, Role, Timestamp, Vocabulary, check_header, read,
};
pub use team::Team;
pub use visit::VisitNote;
pub(crate) use write_back::WriteBack;

#[cfg(test)]
pub(crate) mod tests {
    use super::patient::Demographics;
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    pub(crate) fn someone() -> ClinicianRef {
        ClinicianRef {
            id: "00".repeat(16),
            name: "Nurse Ada Quill".into(),
            role: Role::DistrictNurse,
            registration: None,
        }
    }

    pub(crate) fn record() -> PatientRecord {
        PatientRecord::new(
            "11".repeat(16),
            Demographics {
                nhs_number: "9990000018".into(),
                name: "Winifred Ashdown".into(),
                preferred_name: None,
                date_of_birth: "1938-04-02".into(),
                address: Some("2 Mill Lane, Thornbury".into()),
                phone: None,
                access_notes: None,
                gender: None,
            },
            someone(),
            Timestamp(1_700_000_000_000),
        )
    }

    #[test]
    fn a_record_round_trips_through_automerge_bytes() {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, record()).unwrap();
        let bytes = doc.save();
        let loaded = AutoCommit::load(&bytes).unwrap();
        let back: PatientRecord = read(&loaded, DocumentKind::Patient).unwrap();
        assert_eq!(back, record());
    }

    #[test]
    fn a_newer_schema_is_refused_whole() {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, record()).unwrap();
        doc.put(ROOT, "schema", 99u64).unwrap();
        let err = read::<PatientRecord, _>(&doc, DocumentKind::Patient).unwrap_err();
        assert!(matches!(err, DocumentError::NewerSchema { found: 99, supported: 1, .. }), "{err}");
        assert!(err.to_string().contains("update Hedgerow"));
    }

    #[test]
    fn the_wrong_kind_or_no_header_is_refused() {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, record()).unwrap();
        assert!(matches!(
            read::<VisitNote, _>(&doc, DocumentKind::Visit),
            Err(DocumentError::NotHedgerow { .. })
        ));
        let empty = AutoCommit::new();
        assert!(matches!(
            read::<PatientRecord, _>(&empty, DocumentKind::Patient),
            Err(DocumentError::NotHedgerow { .. })
        ));
    }

    #[test]
    fn a_field_of_the_wrong_type_is_a_clear_error() {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, record()).unwrap();
        doc.put(ROOT, "created_at", "yesterday").unwrap();
        let err = read::<PatientRecord, _>(&doc, DocumentKind::Patient).unwrap_err();
        assert!(matches!(err, DocumentError::Malformed { .. }), "{err}");
    }

    #[test]
    fn concurrent_edits_to_different_fields_both_survive() {
        let mut a = AutoCommit::new();
        autosurgeon::reconcile(&mut a, record()).unwrap();
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        let mut ra: PatientRecord = read(&a, DocumentKind::Patient).unwrap();
        ra.demographics.address = Some("Rose Cottage".into());
        autosurgeon::reconcile(&mut a, &ra).unwrap();
        let mut rb: PatientRecord = read(&b, DocumentKind::Patient).unwrap();
        rb.demographics.access_notes = Some("Key safe 1234".into());
        autosurgeon::reconcile(&mut b, &rb).unwrap();
        a.merge(&mut b).unwrap();
        let merged: PatientRecord = read(&a, DocumentKind::Patient).unwrap();
        assert_eq!(merged.demographics.address.as_deref(), Some("Rose Cottage"));
        assert_eq!(merged.demographics.access_notes.as_deref(), Some("Key safe 1234"));
    }
}
