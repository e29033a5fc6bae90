//! What one change to a record did, in clinicians' words: "Furosemide 40 mg tablets: dose
//! 80 mg", read from the change itself (its diff against its parents), so the history shows
//! the values that changed, not only "change medicine".

use crate::documents::PatientRecord;
use crate::history::changes_between;
use automerge::{AutoCommit, ChangeHash};

/// Bookkeeping written with every entry (who and when, ids): the history shows those beside
/// each change already.
fn is_bookkeeping(part: &str) -> bool {
    part.ends_with("_by") || part.ends_with("_at") || part == "id" || part == "source"
}

/// "dose", "review date": a field name as words.
fn words(field: &str) -> String {
    field.replace('_', " ")
}

/// The entry an id names, as the record calls it now.
fn entry_name(record: &PatientRecord, section: &str, id: &str) -> Option<String> {
    match section {
        "medicines" => record.medicines.get(id).map(|m| m.name.clone()),
        "allergies" => record.allergies.get(id).map(|a| format!("Allergy to {}", a.substance)),
        "care_plan" => record.care_plan.get(id).map(|p| format!("Care plan: {}", p.title)),
        "tasks" => record.tasks.get(id).map(|t| format!("Task: {}", t.title)),
        "alerts" => record.alerts.get(id).map(|a| format!("Alert: {}", a.text)),
        "contacts" => None,
        _ => None,
    }
}

fn section_name(section: &str) -> String {
    match section {
        "end_of_life" => "End of life".into(),
        "demographics" => "Details".into(),
        "spo2_scale" => "NEWS2 SpO2 scale".into(),
        other => {
            let w = words(other);
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        }
    }
}

/// One line per field the change set, at most `limit` (a new entry sets many).
pub fn change_in_words(
    doc: &mut AutoCommit,
    deps: &[ChangeHash],
    change: ChangeHash,
    record: &PatientRecord,
    limit: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for diff in changes_between(doc, deps, &[change]) {
        let parts: Vec<&str> = diff.field.split('/').collect();
        if parts.iter().any(|p| is_bookkeeping(p)) || diff.value == "(a new entry)" {
            continue;
        }
        let line = match parts.as_slice() {
            [section, id, rest @ ..] if !rest.is_empty() && entry_name(record, section, id).is_some() => {
                let name = entry_name(record, section, id).unwrap_or_default();
                format!("{name}: {} {}", words(&rest.join(" ")), diff.value)
            }
            [section, rest @ ..] if !rest.is_empty() => {
                // Keys of entries no longer on the record, or the record's own maps.
                let rest: Vec<String> =
                    rest.iter().filter(|p| p.len() != 32 && p.len() != 16).map(|p| words(p)).collect();
                format!("{}: {} {}", section_name(section), rest.join(" "), diff.value)
            }
            _ => format!("{} {}", words(&diff.field), diff.value),
        };
        if !out.contains(&line) {
            out.push(line);
        }
        if out.len() == limit {
            break;
        }
    }
    out
}
