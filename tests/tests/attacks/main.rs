//! Attacks on a team's trust, each performed for real: against the relay's and devices'
//! own sessions and stores (the relay held in memory, its clock set by the test), by a team
//! member with bad intent, a revoked laptop, a stranger who saw an invite, or the relay
//! itself. Each test is named after the attack and checks that it now does no harm.

mod authorship;
mod enrolment;
mod keys;
mod log;
mod relay_limits;
mod secrets;
mod shared_records;
mod sharing;
mod store;

use hedgerow_core::documents::Role;
use hedgerow_core::ids::PatientId;
use hedgerow_core::{NewClinician, Workspace};

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn clinician(name: &str, role: Role) -> NewClinician {
    NewClinician {
        name: name.into(),
        role,
        registration: role.is_registered_clinician().then(|| "99Z9999X".to_owned()),
    }
}

pub use hedgerow_tests::winifred;

pub async fn patient_name(ws: &Workspace, p: PatientId) -> String {
    ws.open_patient(p).await.unwrap().record.demographics.name
}
