//! Who may decide what (CLINICAL.md, "Roles and what they may decide"). The rules live
//! here, in core, and every [`crate::Workspace`] call that changes a record checks them
//! against this device's clinician role, so no shell can forget one.

use crate::documents::Role;
use crate::documents::patient::EntrySource;
use serde::Serialize;

/// Something a clinician does to a record that not every role may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    AddPatient,
    EditDemographics,
    /// Start a visit, record observations, a wound, a note or an action, sign, add an addendum.
    RecordVisit,
    EditCarePlan,
    ChangeMedicines,
    RecordAllergy,
    RecordAlert,
    RecordCprDecision,
    SetCeilingOfTreatment,
    /// The other EPaCCS and ReSPECT items: places of care and death, preferences,
    /// capacity, involvement, key contacts, anticipatory medicines.
    UpdateEndOfLifePlan,
    RecordDeath,
    SetScale2,
    ResolveConflict,
    RecordConsent,
    AddTask,
    UpdateTask,
    /// A note in a carer's or family member's own words, kept apart from clinical entries.
    AddCarerNote,
    /// Take in a record from elsewhere (a GP system's FHIR bundle, another device's copy).
    ImportRecord,
    /// Refer a patient to another team.
    Refer,
    /// Accept or decline a referral from another team: take the patient on, or not.
    AnswerReferral,
}

impl Action {
    /// As a clinician would say it, after "may not".
    pub fn label(self) -> &'static str {
        match self {
            Self::AddPatient => "add a patient",
            Self::EditDemographics => "change a patient's details",
            Self::RecordVisit => "record a visit (observations, notes, signing)",
            Self::EditCarePlan => "change the care plan",
            Self::ChangeMedicines => "add, change or stop a medicine",
            Self::RecordAllergy => "record an allergy",
            Self::RecordAlert => "add or end an alert",
            Self::RecordCprDecision => "record a CPR decision",
            Self::SetCeilingOfTreatment => "set a ceiling of treatment",
            Self::UpdateEndOfLifePlan => "change the end of life plan",
            Self::RecordDeath => "record a death",
            Self::SetScale2 => "set or clear NEWS2 SpO2 Scale 2",
            Self::ResolveConflict => "resolve a clinical conflict",
            Self::RecordConsent => "record consent to share",
            Self::AddTask => "add a task",
            Self::UpdateTask => "change a task",
            Self::AddCarerNote => "add a carer's or family note",
            Self::ImportRecord => "import a record",
            Self::Refer => "refer a patient to another team",
            Self::AnswerReferral => "accept or decline a referral",
        }
    }

    /// Who may, for the refusal message.
    pub fn who_may(self) -> &'static str {
        use Action::*;
        match self {
            RecordCprDecision
            | SetCeilingOfTreatment
            | SetScale2
            | ResolveConflict
            | ChangeMedicines
            | RecordDeath
            | UpdateEndOfLifePlan
            | ImportRecord
            | AnswerReferral => {
                "only a registered clinician (district or community nurse, hospice or specialist nurse, GP, consultant, paramedic)"
            }
            EditCarePlan | RecordAllergy | RecordAlert | Refer => "a registered clinician or therapist",
            RecordVisit | UpdateTask => "clinical staff (not carers, family or administrators)",
            AddPatient | EditDemographics | RecordConsent => {
                "a registered clinician, therapist or administrator"
            }
            AddTask => "anyone in the team except administrators",
            AddCarerNote => "carers and family (clinicians write visit notes)",
        }
    }
}

/// The tiers of CLINICAL.md's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tier {
    RegisteredClinician,
    /// HCPC-registered: clinical entries, but no CPR, ceiling, medicine or conflict decisions.
    Therapist,
    /// Healthcare assistants and care-home staff: observations, notes, tasks.
    Support,
    /// Carers and family: labelled notes and tasks, in their own words.
    CarerOrFamily,
    Administrator,
}

impl Role {
    fn tier(self) -> Tier {
        match self {
            Role::DistrictNurse
            | Role::CommunityNurse
            | Role::Gp
            | Role::HospiceNurse
            | Role::PalliativeConsultant
            | Role::Paramedic => Tier::RegisteredClinician,
            Role::Therapist => Tier::Therapist,
            Role::HealthcareAssistant | Role::CareHomeStaff => Tier::Support,
            Role::Carer | Role::Family => Tier::CarerOrFamily,
            Role::Admin => Tier::Administrator,
        }
    }

    /// A registered clinician in CLINICAL.md's sense: may make every clinical decision.
    pub fn is_registered_clinician(self) -> bool {
        self.tier() == Tier::RegisteredClinician
    }

    /// Whether someone in this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self.tier() {
            Tier::RegisteredClinician => action != AddCarerNote,
            Tier::Therapist => matches!(
                action,
                AddPatient
                    | EditDemographics
                    | RecordVisit
                    | EditCarePlan
                    | RecordAllergy
                    | RecordAlert
                    | RecordConsent
                    | AddTask
                    | UpdateTask
                    | Refer
            ),
            Tier::Support => matches!(action, RecordVisit | AddTask | UpdateTask),
            Tier::CarerOrFamily => matches!(action, AddTask | AddCarerNote),
            Tier::Administrator => matches!(action, AddPatient | EditDemographics | RecordConsent),
        }
    }

    /// Whose words an entry by this role is: carers' and family's entries are labelled as
    /// theirs whatever a shell asks for.
    pub fn entry_source(self, asked: EntrySource) -> EntrySource {
        match self {
            Role::Carer => EntrySource::Carer,
            Role::Family => EntrySource::Family,
            _ => asked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_clinicians_make_cpr_ceiling_scale2_medicine_and_conflict_decisions() {
        let decisions = [
            Action::RecordCprDecision,
            Action::SetCeilingOfTreatment,
            Action::SetScale2,
            Action::ResolveConflict,
            Action::ChangeMedicines,
            Action::RecordDeath,
        ];
        for role in Role::ALL {
            for a in decisions {
                assert_eq!(role.may(a), role.is_registered_clinician(), "{role} {a:?}");
            }
        }
        let registered: Vec<Role> =
            Role::ALL.iter().copied().filter(|r| r.is_registered_clinician()).collect();
        assert_eq!(
            registered,
            [
                Role::DistrictNurse,
                Role::CommunityNurse,
                Role::Gp,
                Role::HospiceNurse,
                Role::PalliativeConsultant,
                Role::Paramedic
            ]
        );
    }

    #[test]
    fn carers_and_family_add_labelled_notes_and_tasks_only() {
        for role in [Role::Carer, Role::Family] {
            let allowed: Vec<&str> =
                ALL_ACTIONS.iter().filter(|a| role.may(**a)).map(|a| a.label()).collect();
            assert_eq!(allowed, [Action::AddTask.label(), Action::AddCarerNote.label()], "{role}");
            assert_eq!(role.entry_source(EntrySource::Clinical), EntrySource::parse(role.as_str()).unwrap());
        }
        assert_eq!(Role::Gp.entry_source(EntrySource::Family), EntrySource::Family);
    }

    #[test]
    fn support_staff_record_visits_and_tasks_and_administrators_no_clinical_entry() {
        for role in [Role::HealthcareAssistant, Role::CareHomeStaff] {
            assert!(role.may(Action::RecordVisit));
            assert!(!role.may(Action::ChangeMedicines));
            assert!(!role.may(Action::EditCarePlan));
        }
        let admin: Vec<Action> = ALL_ACTIONS.iter().copied().filter(|a| Role::Admin.may(*a)).collect();
        assert_eq!(admin, [Action::AddPatient, Action::EditDemographics, Action::RecordConsent]);
    }

    const ALL_ACTIONS: [Action; 18] = [
        Action::AddPatient,
        Action::EditDemographics,
        Action::RecordVisit,
        Action::EditCarePlan,
        Action::ChangeMedicines,
        Action::RecordAllergy,
        Action::RecordAlert,
        Action::RecordCprDecision,
        Action::SetCeilingOfTreatment,
        Action::UpdateEndOfLifePlan,
        Action::RecordDeath,
        Action::SetScale2,
        Action::ResolveConflict,
        Action::RecordConsent,
        Action::AddTask,
        Action::UpdateTask,
        Action::AddCarerNote,
        Action::ImportRecord,
    ];
}
