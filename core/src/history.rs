//! History and attribution from Automerge's own history: every value a field has had, who
//! wrote it and when, found by diffing each change against its parents. No parallel log.

use crate::documents::{ChangeNote, ClinicianRef, Timestamp};
use automerge::{AutoCommit, Prop, ScalarValue, Value, patches::PatchAction};
use serde::Serialize;

/// One value a field took, in causal order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FieldChange {
    /// As a clinician reads it; "(removed)" when the field was deleted.
    pub value: String,
    pub by: Option<ClinicianRef>,
    /// `by` is the clinician the registry gives the change's device.
    pub verified: bool,
    /// The change's note named someone else.
    pub claimed_by: Option<ClinicianRef>,
    pub device: Option<String>,
    /// What the change was ("change medicine", "record CPR recommendation", ...).
    pub action: Option<String>,
    /// When the change was made (to the second).
    pub at: Timestamp,
}

fn text_of(v: &Value<'_>) -> String {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Null => "(none)".into(),
            ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.into(),
            ScalarValue::Timestamp(t) => Timestamp(*t).display(),
            other => other.to_string(),
        },
        Value::Object(_) => "(a new entry)".into(),
    }
}

/// `path` with each key that is the start of exactly one key of the map it names (the short
/// entry ids the record views show, e.g. `medicines/3fa2c0de/dose`) written in full.
pub fn expand_short_keys(doc: &AutoCommit, path: &[&str]) -> Vec<String> {
    use automerge::ReadDoc;
    let mut obj = automerge::ROOT;
    let mut out = Vec::with_capacity(path.len());
    for (i, part) in path.iter().enumerate() {
        let mut key = (*part).to_owned();
        if doc.get(&obj, *part).ok().flatten().is_none() {
            let mut matches = doc.keys(&obj).filter(|k| k.starts_with(part));
            if let (Some(only), None) = (matches.next(), matches.next()) {
                key = only;
            }
        }
        if i + 1 < path.len() {
            match doc.get(&obj, key.as_str()).ok().flatten() {
                Some((Value::Object(_), id)) => obj = id,
                _ => {
                    out.push(key);
                    out.extend(path[i + 1..].iter().map(|p| (*p).to_owned()));
                    return out;
                }
            }
        }
        out.push(key);
    }
    out
}

/// Every value the field at `path` (map keys from the root) has had, oldest first.
pub fn field_history(
    doc: &mut AutoCommit,
    path: &[&str],
    authors: &crate::attribution::Authors,
) -> Vec<FieldChange> {
    let Some((field, parents)) = path.split_last() else { return Vec::new() };
    let changes = doc.get_changes(&[]);
    let mut out = Vec::new();
    for change in changes {
        let after = [change.hash()];
        let patches = doc.diff(change.deps(), &after);
        for patch in patches {
            let keys: Vec<&str> = patch
                .path
                .iter()
                .filter_map(|(_, p)| match p {
                    Prop::Map(k) => Some(k.as_str()),
                    Prop::Seq(_) => None,
                })
                .collect();
            if keys.len() != parents.len() || keys.iter().zip(parents).any(|(a, b)| a != b) {
                continue;
            }
            let value = match &patch.action {
                PatchAction::PutMap { key, value, .. } if key == field => text_of(&value.0),
                PatchAction::DeleteMap { key } if key == field => "(removed)".into(),
                _ => continue,
            };
            let note = change.message().and_then(ChangeNote::parse);
            let who = authors.attribute(change.actor_id().to_bytes(), note.as_ref());
            out.push(FieldChange {
                value,
                by: who.by,
                verified: who.verified,
                claimed_by: who.claimed_by,
                device: note.as_ref().map(|n| n.device.clone()),
                action: note.map(|n| n.action),
                at: Timestamp(change.timestamp() * 1000),
            });
        }
    }
    out
}

/// The heads of the document as it stood at `at`: every change made by then, closed under
/// its dependencies. `None` when the document did not exist yet.
pub fn heads_at(doc: &mut AutoCommit, at: Timestamp) -> Option<Vec<automerge::ChangeHash>> {
    use std::collections::HashSet;
    let changes = doc.get_changes(&[]);
    let mut included: HashSet<automerge::ChangeHash> = HashSet::new();
    // get_changes returns a causal order, so dependencies are seen before dependants.
    for c in &changes {
        if c.timestamp() * 1000 <= at.0 && c.deps().iter().all(|d| included.contains(d)) {
            included.insert(c.hash());
        }
    }
    if included.is_empty() {
        return None;
    }
    let depended: HashSet<automerge::ChangeHash> =
        changes.iter().filter(|c| included.contains(&c.hash())).flat_map(|c| c.deps().to_vec()).collect();
    let mut heads: Vec<_> = included.into_iter().filter(|h| !depended.contains(h)).collect();
    heads.sort();
    Some(heads)
}

/// One field that changed between two moments, with its new value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Path of map keys, as `field_history` takes it.
    pub field: String,
    pub value: String,
}

/// What changed between two sets of heads, field by field.
pub fn changes_between(
    doc: &mut AutoCommit,
    before: &[automerge::ChangeHash],
    after: &[automerge::ChangeHash],
) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    for patch in doc.diff(before, after) {
        let mut path: Vec<String> = patch
            .path
            .iter()
            .map(|(_, p)| match p {
                Prop::Map(k) => k.clone(),
                Prop::Seq(i) => i.to_string(),
            })
            .collect();
        let value = match &patch.action {
            PatchAction::PutMap { key, value, .. } => {
                path.push(key.clone());
                text_of(&value.0)
            }
            PatchAction::DeleteMap { key } => {
                path.push(key.clone());
                "(removed)".into()
            }
            PatchAction::SpliceText { value, .. } => value.make_string(),
            _ => "(changed)".into(),
        };
        out.push(FieldDiff { field: path.join("/"), value });
    }
    out
}
