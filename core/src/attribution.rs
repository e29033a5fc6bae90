//! Who wrote a change, as the team's signed registry says, not as the change says of itself.
//! A change's note names a clinician, but the device that wrote it chose that text; the
//! change's actor is bound to one device by the registry (and every change taken in was
//! signed by that device, `authorship.rs`), and the team document names the clinician the
//! device belongs to. History and conflicts show that clinician, and say when the note
//! claimed someone else.

use crate::documents::{ChangeNote, ClinicianRef};
use serde::Serialize;
use std::collections::HashMap;

/// Each known actor's clinician.
#[derive(Clone, Debug, Default)]
pub struct Authors {
    by_actor: HashMap<Vec<u8>, ClinicianRef>,
}

/// Who a change is attributed to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Attribution {
    /// The clinician the registry gives the change's device, or, for an actor this device
    /// cannot place, the name the change gives.
    pub by: Option<ClinicianRef>,
    /// The change's device is known from the registry.
    pub verified: bool,
    /// The change's own note named someone else: shown, never trusted.
    pub claimed_by: Option<ClinicianRef>,
}

impl Authors {
    pub fn insert(&mut self, actor: Vec<u8>, clinician: ClinicianRef) {
        self.by_actor.insert(actor, clinician);
    }

    pub fn attribute(&self, actor: &[u8], note: Option<&ChangeNote>) -> Attribution {
        let claimed = note.map(|n| n.by.clone());
        match self.by_actor.get(actor) {
            Some(known) => Attribution {
                by: Some(known.clone()),
                verified: true,
                claimed_by: claimed.filter(|c| c.id != known.id),
            },
            None => Attribution { by: claimed, verified: false, claimed_by: None },
        }
    }
}
