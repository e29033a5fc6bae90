//! Conflicts as clinical events. Automerge keeps every concurrent value of a field and
//! picks one winner deterministically; for the fields where a silent winner is unsafe
//! (CPR recommendation, allergies, medicine dose, frequency, route and reason, places of
//! care and death, ceiling of treatment, care focus, capacity, consent, the Scale 2 flag,
//! care plan items) every concurrent value is found with `get_all`, shown with its author
//! and time, and kept until a clinician chooses. [`crate::view::Watched`] is how every
//! view shows such a field.

use crate::documents::patient::{CareFocus, CprRecommendation, PatientRecord, Place};
use crate::documents::{ChangeNote, ClinicianRef, Timestamp};
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable};
use serde::{Deserialize, Serialize};

/// One side of a conflict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConflictValue {
    /// As a clinician reads it.
    pub value: String,
    /// Who wrote it, from the change that wrote it (absent for changes from other software).
    pub by: Option<ClinicianRef>,
    pub device: Option<String>,
    pub at: Option<Timestamp>,
    /// The Automerge actor that wrote it, hex: `Workspace` replaces `by` with the clinician
    /// the registry gives that actor's device ([`crate::attribution`]).
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub claimed_by: Option<ClinicianRef>,
}

/// A field with more than one current value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Conflict {
    /// Path of the field in the record, e.g. `medicines/3fa2c0de1b2a4c5d/dose`.
    pub field: String,
    /// What the field is, in clinical words.
    pub label: String,
    /// In Automerge's order; the first is the one shown until someone chooses.
    pub values: Vec<ConflictValue>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no open conflict on '{0}'")]
    NoConflict(String),
    #[error("choose a value from 1 to {0}")]
    NoSuchChoice(usize),
    #[error("the record could not be changed: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

fn child(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key).ok()?? {
        (Value::Object(_), id) => Some(id),
        _ => None,
    }
}

fn object_at(doc: &AutoCommit, path: &[&str]) -> Option<ObjId> {
    path.iter().try_fold(ROOT, |obj, key| child(doc, &obj, key))
}

/// A stored word in clinicians' words, where it is one of the vocabularies a watched field
/// holds; anything else as stored.
fn word_label(s: &str) -> String {
    if let Some(c) = CprRecommendation::parse(s) {
        return c.label().into();
    }
    if let Some(p) = Place::parse(s) {
        return p.label().into();
    }
    if let Some(f) = CareFocus::parse(s) {
        return f.label().into();
    }
    s.to_owned()
}

fn scalar_text(s: &ScalarValue) -> String {
    match s {
        ScalarValue::Str(s) => word_label(s),
        ScalarValue::Null => "(none)".into(),
        ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.into(),
        ScalarValue::Timestamp(t) => Timestamp(*t).display(),
        other => other.to_string(),
    }
}

fn alternative_text(doc: &AutoCommit, value: &Value<'_>, id: &ObjId) -> String {
    match value {
        Value::Scalar(s) => scalar_text(s),
        Value::Object(ObjType::Map) => {
            // A whole entry written twice at once (two first CPR decisions): show what it says.
            for key in ["recommendation", "scale2", "share_with_team", "agreed", "dose", "title", "substance"]
            {
                if let Ok(Some((Value::Scalar(s), _))) = doc.get(id, key) {
                    return scalar_text(&s);
                }
            }
            "(a separate entry)".into()
        }
        Value::Object(_) => "(a separate entry)".into(),
    }
}

/// The end of life items where a silent winner is unsafe, by field name.
pub(crate) const END_OF_LIFE_WATCHED: &[(&str, &str)] = &[
    ("preferred_place_of_death", "Preferred place of death"),
    ("preferred_place_of_death_second", "Preferred place of death (second choice)"),
    ("preferred_place_of_care", "Preferred place of care"),
    ("preferred_place_of_care_second", "Preferred place of care (second choice)"),
    ("ceiling_of_treatment", "Ceiling of treatment"),
    ("care_focus", "ReSPECT care focus"),
    ("has_capacity", "Capacity to make decisions about care"),
];

/// Every open conflict on the watched fields of a patient record.
/// Each value's author, as the registry gives it.
pub fn attribute(conflicts: &mut [Conflict], authors: &crate::attribution::Authors) {
    for v in conflicts.iter_mut().flat_map(|c| c.values.iter_mut()) {
        let Some(actor) = v.actor.as_deref().and_then(|a| hex::decode(a).ok()) else { continue };
        let note = v.by.clone().map(|by| ChangeNote {
            action: String::new(),
            by,
            device: v.device.clone().unwrap_or_default(),
        });
        let who = authors.attribute(&actor, note.as_ref());
        v.by = who.by;
        v.verified = who.verified;
        v.claimed_by = who.claimed_by;
    }
}

pub fn detect(doc: &mut AutoCommit, record: &PatientRecord) -> Vec<Conflict> {
    let mut watched: Vec<(Vec<String>, String)> = Vec::new();
    let path = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    for (id, p) in &record.care_plan {
        for (field, what) in [
            ("title", "title"),
            ("status", "status"),
            ("owner_role", "owner"),
            ("review_date", "review date"),
        ] {
            watched.push((path(&["care_plan", id, field]), format!("Care plan '{}': {what}", p.title)));
        }
    }
    for (id, m) in &record.medicines {
        for (field, what) in [
            ("dose", "dose"),
            ("frequency", "frequency"),
            ("route", "route"),
            ("stop_date", "stopped"),
            ("change_reason", "reason for the change"),
        ] {
            watched.push((path(&["medicines", id, field]), format!("Medicine {}: {what}", m.name)));
        }
    }
    for (id, a) in &record.allergies {
        for (field, what) in [("substance", "substance"), ("reaction", "reaction"), ("severity", "severity")]
        {
            watched.push((path(&["allergies", id, field]), format!("Allergy {}: {what}", a.substance)));
        }
    }
    watched.push((path(&["end_of_life", "cpr"]), "CPR recommendation".into()));
    watched.push((path(&["end_of_life", "cpr", "recommendation"]), "CPR recommendation".into()));
    for (field, what) in END_OF_LIFE_WATCHED {
        watched.push((path(&["end_of_life", field]), (*what).into()));
    }
    watched.push((path(&["consent"]), "Consent to share".into()));
    watched.push((path(&["consent", "share_with_team"]), "Consent to share".into()));
    watched.push((path(&["consent", "national_data_opt_out"]), "National data opt-out".into()));
    for (team, c) in &record.consent.share_with_teams {
        let what = format!("Consent to share with {}", c.team);
        watched.push((path(&["consent", "share_with_teams", team]), what.clone()));
        watched.push((path(&["consent", "share_with_teams", team, "agreed"]), what));
    }
    watched.push((path(&["spo2_scale"]), "NEWS2 SpO2 Scale 2".into()));
    watched.push((path(&["spo2_scale", "scale2"]), "NEWS2 SpO2 Scale 2".into()));

    let mut out = Vec::new();
    for (parts, label) in watched {
        let (prop, parents) = parts.split_last().expect("paths are never empty");
        let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
        let Some(obj) = object_at(doc, &parents) else { continue };
        let Ok(all) = doc.get_all(&obj, prop.as_str()) else { continue };
        let all: Vec<(Value<'static>, ObjId)> = all.into_iter().map(|(v, id)| (v.into_owned(), id)).collect();
        if all.len() < 2 {
            continue;
        }
        let mut values = Vec::with_capacity(all.len());
        for (value, id) in &all {
            let text = alternative_text(doc, value, id);
            let meta = doc.hash_for_opid(id).and_then(|h| doc.get_change_meta_by_hash(&h));
            let note = meta.as_ref().and_then(|m| m.message.as_deref().and_then(ChangeNote::parse));
            values.push(ConflictValue {
                value: text,
                by: note.as_ref().map(|n| n.by.clone()),
                device: note.map(|n| n.device),
                actor: meta.as_ref().map(|m| m.actor.to_hex_string()),
                at: meta.map(|m| Timestamp(m.timestamp * 1000)),
                verified: false,
                claimed_by: None,
            });
        }
        // The same value written twice at once is agreement, not a conflict.
        if values.iter().all(|v| v.value == values[0].value) {
            continue;
        }
        out.push(Conflict { field: parts.join("/"), label, values });
    }
    out
}

/// Writes the chosen value (1-based, as shown) over every concurrent value of the field,
/// in the document's pending transaction. The caller commits.
pub fn resolve(doc: &mut AutoCommit, field: &str, choice: usize) -> Result<(), ResolveError> {
    let parts: Vec<&str> = field.split('/').collect();
    let (prop, parents) = parts.split_last().ok_or_else(|| ResolveError::NoConflict(field.into()))?;
    let obj = object_at(doc, parents).ok_or_else(|| ResolveError::NoConflict(field.into()))?;
    let all: Vec<(Value<'static>, ObjId)> =
        doc.get_all(&obj, *prop)?.into_iter().map(|(v, id)| (v.into_owned(), id)).collect();
    if all.len() < 2 {
        return Err(ResolveError::NoConflict(field.into()));
    }
    let (value, id) = all.get(choice.wrapping_sub(1)).ok_or(ResolveError::NoSuchChoice(all.len()))?.clone();
    match value {
        Value::Scalar(s) => {
            doc.put(&obj, *prop, s.into_owned())?;
        }
        Value::Object(kind) => {
            let fresh = doc.put_object(&obj, *prop, kind)?;
            copy_object(doc, &id, &fresh)?;
        }
    }
    Ok(())
}

/// Copies the visible contents of one object into a new, empty one.
fn copy_object(doc: &mut AutoCommit, from: &ObjId, to: &ObjId) -> Result<(), automerge::AutomergeError> {
    match doc.object_type(from)? {
        ObjType::Map | ObjType::Table => {
            let keys: Vec<String> = doc.keys(from).collect();
            for key in keys {
                if let Some((v, id)) = doc.get(from, key.as_str())? {
                    match v {
                        Value::Scalar(s) => {
                            doc.put(to, key.as_str(), s.into_owned())?;
                        }
                        Value::Object(kind) => {
                            let inner = doc.put_object(to, key.as_str(), kind)?;
                            copy_object(doc, &id, &inner)?;
                        }
                    }
                }
            }
        }
        ObjType::List => {
            for i in 0..doc.length(from) {
                if let Some((v, id)) = doc.get(from, i)? {
                    match v {
                        Value::Scalar(s) => {
                            doc.insert(to, i, s.into_owned())?;
                        }
                        Value::Object(kind) => {
                            let inner = doc.insert_object(to, i, kind)?;
                            copy_object(doc, &id, &inner)?;
                        }
                    }
                }
            }
        }
        ObjType::Text => {
            let text = doc.text(from)?;
            doc.splice_text(to, 0, 0, &text)?;
        }
    }
    Ok(())
}
