//! The visit essentials: what a nurse needs at the door (how to get in, who to call, who else
//! is involved, when the ReSPECT plan is due for review), in clinicians' words, the same in
//! every shell.

use crate::documents::PatientRecord;
use crate::documents::patient::AlertKind;
use serde::Serialize;

/// One line of the essentials. `warn` marks what needs care (a lone-worker alert, a review
/// overdue) or what is missing that a visit needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Essential {
    pub label: &'static str,
    pub value: String,
    pub warn: bool,
}

fn line(label: &'static str, value: impl Into<String>, warn: bool) -> Essential {
    Essential { label, value: value.into(), warn }
}

fn or_none(value: Option<&str>, none: &str) -> (String, bool) {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => (v.to_owned(), false),
        None => (none.to_owned(), true),
    }
}

/// The essentials of `record` as of `today` (YYYY-MM-DD dates compare as text).
pub fn visit_essentials(record: &PatientRecord, today: chrono::NaiveDate) -> Vec<Essential> {
    let d = &record.demographics;
    let eol = &record.end_of_life;
    let mut out = Vec::new();
    let (address, missing) = or_none(d.address.as_deref(), "no address recorded");
    out.push(line("Address", address, missing));
    if let Some(phone) = d.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        out.push(line("Phone", phone, false));
    }
    let (access, _) = or_none(d.access_notes.as_deref(), "no access notes (key safe, parking, pets)");
    out.push(line("Access", access, false));
    for a in record.alerts.values().filter(|a| a.active) {
        if matches!(a.kind, AlertKind::LoneWorker | AlertKind::Access) {
            out.push(line(
                if a.kind == AlertKind::LoneWorker { "Lone worker" } else { "Access alert" },
                &a.text,
                true,
            ));
        }
    }
    let person = |c: &crate::documents::patient::Contact| {
        let phone =
            c.phone.as_deref().map(|p| format!(", {p}")).unwrap_or_else(|| ", no phone recorded".into());
        format!("{} ({}){phone}", c.name, c.relationship.label())
    };
    let contacts: Vec<_> = record.contacts.values().collect();
    let kin: Vec<String> = contacts.iter().filter(|c| c.next_of_kin).map(|c| person(c)).collect();
    match kin.is_empty() {
        true => out.push(line("Next of kin", "none recorded", true)),
        false => out.push(line("Next of kin", kin.join("; "), false)),
    }
    let health_lpa: Vec<String> = contacts
        .iter()
        .filter(|c| matches!(c.lasting_power_of_attorney.as_deref(), Some("health-and-welfare" | "both")))
        .map(|c| person(c))
        .collect();
    if !health_lpa.is_empty() {
        out.push(line("LPA (health and welfare)", health_lpa.join("; "), false));
    } else if let Some(proxy) = eol.legal_proxy.as_deref().filter(|p| !p.trim().is_empty()) {
        out.push(line("LPA (health and welfare)", proxy, false));
    } else {
        out.push(line("LPA (health and welfare)", "none recorded", false));
    }
    for c in contacts.iter().filter(|c| c.main_informal_carer && !c.next_of_kin) {
        out.push(line("Main carer", person(c), false));
    }
    match &record.gp_practice {
        Some(gp) => {
            let ods = gp.ods_code.as_deref().map(|o| format!(" ({o})")).unwrap_or_default();
            let phone = gp.phone.as_deref().map(|p| format!(", {p}")).unwrap_or_default();
            out.push(line("GP practice", format!("{}{ods}{phone}", gp.name), false));
        }
        None => out.push(line("GP practice", "none recorded", true)),
    }
    if let Some(h) = eol.hospice.as_deref().filter(|h| !h.trim().is_empty()) {
        out.push(line("Hospice", h, false));
    }
    if let Some(k) = eol.key_worker.as_deref().filter(|k| !k.trim().is_empty()) {
        out.push(line("Key worker", k, false));
    }
    if let Some(review) = eol.respect_review_date.as_deref() {
        let due = chrono::NaiveDate::parse_from_str(review, "%Y-%m-%d").ok();
        let overdue = due.is_some_and(|d| d < today);
        let text = if overdue { format!("{review}: OVERDUE") } else { review.to_owned() };
        out.push(line("ReSPECT review", text, overdue));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::patient::{Alert, Contact, ContactRelationship, Demographics};
    use crate::documents::{ClinicianRef, Role, Timestamp};

    fn record() -> PatientRecord {
        let who = ClinicianRef {
            id: "c".into(),
            name: "Ada Quill".into(),
            role: Role::DistrictNurse,
            registration: None,
        };
        PatientRecord::new(
            "00".repeat(16),
            Demographics {
                nhs_number: "9434765919".into(),
                name: "Winifred Ashdown".into(),
                preferred_name: None,
                date_of_birth: "1939-05-17".into(),
                address: Some("3 Mill Lane, Hartsmoor".into()),
                phone: None,
                access_notes: Some("Key safe left of the door, code 4721".into()),
                gender: None,
            },
            who,
            Timestamp(0),
        )
    }

    #[test]
    fn the_doorstep_essentials_say_what_is_there_and_what_is_missing() {
        let mut r = record();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let e = visit_essentials(&r, today);
        let get = |e: &[Essential], label: &str| e.iter().find(|x| x.label == label).cloned();
        assert_eq!(get(&e, "Access").unwrap().value, "Key safe left of the door, code 4721");
        assert!(get(&e, "Next of kin").unwrap().warn, "no next of kin is called out");
        assert!(get(&e, "GP practice").unwrap().warn);
        r.contacts.insert(
            "k".into(),
            Contact {
                name: "Graham Ashdown".into(),
                relationship: ContactRelationship::Child,
                phone: Some("07700 900123".into()),
                next_of_kin: true,
                main_informal_carer: true,
                lasting_power_of_attorney: Some("health-and-welfare".into()),
            },
        );
        r.alerts.insert(
            "a".into(),
            Alert {
                kind: AlertKind::LoneWorker,
                text: "Visit in pairs after dark".into(),
                added_by: r.created_by.clone(),
                added_at: Timestamp(0),
                active: true,
            },
        );
        r.end_of_life.respect_review_date = Some("2026-11-30".into());
        let e = visit_essentials(&r, today);
        assert_eq!(get(&e, "Next of kin").unwrap().value, "Graham Ashdown (child), 07700 900123");
        assert_eq!(
            get(&e, "LPA (health and welfare)").unwrap().value,
            "Graham Ashdown (child), 07700 900123"
        );
        assert!(get(&e, "Lone worker").unwrap().warn);
        let review = get(&e, "ReSPECT review").unwrap();
        assert!(review.warn && review.value.contains("OVERDUE"), "{review:?}");
    }
}
