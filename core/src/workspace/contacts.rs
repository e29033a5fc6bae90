//! The people around the patient that a nurse calls from the doorstep: next of kin, the
//! holder of a lasting power of attorney, the main carer. Kept up to date by the same
//! people who keep the patient's details (clinicians, therapists, administrators).

use super::Context;
use super::record::find_entry;
use crate::clinical::Action;
use crate::documents::patient::{Contact, ContactRelationship};
use crate::error::{Error, Result};
use crate::ids::{PatientId, entry_id};

/// The kinds of lasting power of attorney: the word the record stores, and its words.
pub const LPA_KINDS: [(&str, &str); 3] = [
    ("health-and-welfare", "health and welfare"),
    ("property-and-financial", "property and financial affairs"),
    ("both", "both health and welfare, and property and financial affairs"),
];

/// Someone to add to the patient's contacts, as a clinician typed them.
#[derive(Clone, Debug, PartialEq)]
pub struct NewContact {
    pub name: String,
    pub relationship: ContactRelationship,
    pub phone: Option<String>,
    pub next_of_kin: bool,
    pub main_informal_carer: bool,
    /// The kind of lasting power of attorney held, if any: one of [`LPA_KINDS`].
    pub lasting_power_of_attorney: Option<String>,
}

pub(super) async fn add_contact(cx: &Context, patient: PatientId, new: NewContact) -> Result<String> {
    cx.permit(Action::EditDemographics, Some(patient)).await?;
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::Input("the contact's name must not be empty".into()));
    }
    let lpa = new.lasting_power_of_attorney.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    if let Some(l) = &lpa
        && !LPA_KINDS.iter().any(|(k, _)| k == l)
    {
        let allowed: Vec<&str> = LPA_KINDS.iter().map(|(k, _)| *k).collect();
        return Err(Error::Input(format!(
            "'{l}' is not a kind of lasting power of attorney; allowed: {}",
            allowed.join(", ")
        )));
    }
    let phone = new.phone.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    cx.edit_patient(patient, "add contact", |record, _, _| {
        let id = entry_id();
        let contact = Contact {
            name,
            relationship: new.relationship,
            phone,
            next_of_kin: new.next_of_kin,
            main_informal_carer: new.main_informal_carer,
            lasting_power_of_attorney: lpa,
        };
        record.contacts.insert(id.clone(), contact);
        Ok(id)
    })
    .await
}

pub(super) async fn remove_contact(cx: &Context, patient: PatientId, contact: &str) -> Result<String> {
    cx.permit(Action::EditDemographics, Some(patient)).await?;
    cx.edit_patient(patient, "remove contact", |record, _, _| {
        let (id, _) = find_entry(&mut record.contacts, contact, "contact")?;
        record.contacts.remove(&id);
        Ok(id)
    })
    .await
}
