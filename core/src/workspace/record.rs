//! Editing the clinical record: details, care plan, medicines, allergies and alerts, carer
//! notes, tasks and consent (end of life and ReSPECT are in `end_of_life.rs`). Each call is one audited transaction on the record.

use super::Context;
use crate::clinical::Action;
use crate::documents::patient::*;
use crate::documents::{Role, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{PatientId, entry_id};
use chrono::NaiveDate;

pub(super) fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn required(text: &str, what: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() { Err(Error::Input(format!("{what} must not be empty"))) } else { Ok(t.to_owned()) }
}

/// Finds an entry by its id or a unique prefix of it (at least 4 characters).
pub fn find_entry<'a, T>(entries: &'a mut Entries<T>, key: &str, what: &str) -> Result<(String, &'a mut T)> {
    let key = key.trim().to_lowercase();
    let matches: Vec<String> =
        entries.keys().filter(|k| **k == key || (key.len() >= 4 && k.starts_with(&key))).cloned().collect();
    match matches.as_slice() {
        [one] => {
            let id = one.clone();
            let entry = entries.get_mut(&id).expect("key just found");
            Ok((id, entry))
        }
        [] => Err(Error::Input(format!("no {what} '{key}' on this record"))),
        _ => Err(Error::Input(format!("'{key}' matches more than one {what}: give more of its id"))),
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewProblem {
    pub title: String,
    pub detail: Option<String>,
    pub owner_role: Option<Role>,
    pub review_date: Option<NaiveDate>,
    pub goal: Option<String>,
    pub intervention: Option<String>,
    pub frequency: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ProblemUpdate {
    pub title: Option<String>,
    pub status: Option<PlanStatus>,
    pub review_date: Option<NaiveDate>,
    pub owner_role: Option<Role>,
}

#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewMedicine {
    pub name: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub dmd_code: Option<String>,
    pub dose: String,
    pub route: Route,
    pub frequency: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub anticipatory: bool,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub kept_at: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub reason: Option<String>,
}

/// A dose, frequency or route change; the reason is required.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MedicineChange {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub dose: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub frequency: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub route: Option<Route>,
    pub reason: String,
}

/// The patient's details a clinician or administrator keeps up to date; only those given
/// change. (Name, NHS number and date of birth identify the patient and are not edited here.)
/// An empty text clears.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DetailsUpdate {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub preferred_name: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub address: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub access_notes: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub gender: Option<Gender>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub gp_practice: Option<crate::view::GpPractice>,
}

pub(super) async fn update_details(cx: &Context, patient: PatientId, u: DetailsUpdate) -> Result<()> {
    cx.permit(Action::EditDemographics, Some(patient)).await?;
    let DetailsUpdate { preferred_name, address, phone, access_notes, gender, gp_practice } = u;
    if let Some(gp) = &gp_practice {
        required(&gp.name, "the GP practice's name")?;
        if let Some(code) = &gp.ods_code
            && !(code.len() >= 3 && code.len() <= 10 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(Error::Input(format!(
                "'{code}' is not an ODS code: 3 to 10 letters and digits, e.g. Y12345"
            )));
        }
    }
    let trimmed = |v: Option<String>| v.map(|t| t.trim().to_owned());
    cx.edit_patient(patient, "update patient details", |record, _, _| {
        let d = &mut record.demographics;
        // An empty value clears the item.
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if let Some(v) = v {
                *slot = Some(v).filter(|v| !v.is_empty());
            }
        };
        set(&mut d.preferred_name, trimmed(preferred_name));
        set(&mut d.address, trimmed(address));
        set(&mut d.phone, trimmed(phone));
        set(&mut d.access_notes, trimmed(access_notes));
        if let Some(g) = gender {
            d.gender = Some(g);
        }
        if let Some(gp) = gp_practice {
            record.gp_practice = Some(gp.into());
        }
        Ok(())
    })
    .await
}

pub(super) async fn add_problem(cx: &Context, patient: PatientId, new: NewProblem) -> Result<String> {
    cx.permit(Action::EditCarePlan, Some(patient)).await?;
    let title = required(&new.title, "the problem's title")?;
    let owner_role = new.owner_role.unwrap_or(cx.me.role);
    cx.edit_patient(patient, "add care plan problem", |record, by, at| {
        let mut goals = Entries::new();
        if let Some(g) = new.goal.filter(|g| !g.trim().is_empty()) {
            goals.insert(entry_id(), Goal { text: g.trim().into(), target_date: None, achieved: false });
        }
        let mut interventions = Entries::new();
        if let Some(i) = new.intervention.filter(|i| !i.trim().is_empty()) {
            interventions.insert(
                entry_id(),
                Intervention {
                    text: i.trim().into(),
                    frequency: new.frequency,
                    owner_role,
                    status: PlanStatus::Active,
                },
            );
        }
        let id = entry_id();
        record.care_plan.insert(
            id.clone(),
            Problem {
                title,
                detail: new.detail,
                status: PlanStatus::Active,
                owner_role,
                review_date: new.review_date.map(date),
                goals,
                interventions,
                created_by: by.clone(),
                created_at: at,
            },
        );
        Ok(id)
    })
    .await
}

pub(super) async fn update_problem(
    cx: &Context,
    patient: PatientId,
    problem: &str,
    update: ProblemUpdate,
) -> Result<String> {
    cx.permit(Action::EditCarePlan, Some(patient)).await?;
    cx.edit_patient(patient, "update care plan problem", |record, _, _| {
        let (id, p) = find_entry(&mut record.care_plan, problem, "care plan problem")?;
        if let Some(t) = update.title {
            p.title = required(&t, "the problem's title")?;
        }
        if let Some(s) = update.status {
            p.status = s;
        }
        if let Some(d) = update.review_date {
            p.review_date = Some(date(d));
        }
        if let Some(r) = update.owner_role {
            p.owner_role = r;
        }
        Ok(id)
    })
    .await
}

pub(super) async fn add_medicine(cx: &Context, patient: PatientId, new: NewMedicine) -> Result<String> {
    cx.permit(Action::ChangeMedicines, Some(patient)).await?;
    let name = required(&new.name, "the medicine's name")?;
    let dose = required(&new.dose, "the dose")?;
    let frequency = required(&new.frequency, "the frequency")?;
    cx.edit_patient(patient, "add medicine", |record, by, at| {
        let id = entry_id();
        record.medicines.insert(
            id.clone(),
            Medicine {
                name,
                dmd_code: new.dmd_code.filter(|c| !c.trim().is_empty()),
                dose,
                route: new.route,
                frequency,
                start_date: Some(date(at.to_datetime().date_naive())),
                stop_date: None,
                anticipatory: new.anticipatory,
                kept_at: new.kept_at,
                changed_by: by.clone(),
                changed_at: at,
                change_reason: new.reason,
                gp_proposal: None,
            },
        );
        Ok(id)
    })
    .await
}

pub(super) async fn change_medicine(
    cx: &Context,
    patient: PatientId,
    medicine: &str,
    change: MedicineChange,
) -> Result<String> {
    cx.permit(Action::ChangeMedicines, Some(patient)).await?;
    let reason = required(&change.reason, "the reason for the change")?;
    cx.edit_patient(patient, "change medicine", |record, by, at| {
        let (id, m) = find_entry(&mut record.medicines, medicine, "medicine")?;
        if m.stop_date.is_some() {
            return Err(Error::Input(format!("{} was stopped; add it again to restart it", m.name)));
        }
        if let Some(d) = change.dose {
            m.dose = required(&d, "the dose")?;
        }
        if let Some(f) = change.frequency {
            m.frequency = required(&f, "the frequency")?;
        }
        if let Some(r) = change.route {
            m.route = r;
        }
        m.changed_by = by.clone();
        m.changed_at = at;
        m.change_reason = Some(reason);
        // A clinician has now reviewed the dose: any GP proposal is settled by it.
        m.gp_proposal = None;
        Ok(id)
    })
    .await
}

pub(super) async fn stop_medicine(
    cx: &Context,
    patient: PatientId,
    medicine: &str,
    reason: &str,
) -> Result<String> {
    cx.permit(Action::ChangeMedicines, Some(patient)).await?;
    let reason = required(reason, "the reason for stopping")?;
    cx.edit_patient(patient, "stop medicine", |record, by, at| {
        let (id, m) = find_entry(&mut record.medicines, medicine, "medicine")?;
        m.stop_date = Some(date(at.to_datetime().date_naive()));
        m.changed_by = by.clone();
        m.changed_at = at;
        m.change_reason = Some(reason);
        Ok(id)
    })
    .await
}

pub(super) async fn add_allergy(
    cx: &Context,
    patient: PatientId,
    substance: &str,
    reaction: Option<String>,
    severity: AllergySeverity,
) -> Result<String> {
    cx.permit(Action::RecordAllergy, Some(patient)).await?;
    let substance = required(substance, "the substance")?;
    cx.edit_patient(patient, "add allergy", |record, by, at| {
        let id = entry_id();
        record.allergies.insert(
            id.clone(),
            Allergy { substance, reaction, severity, recorded_by: by.clone(), recorded_at: at },
        );
        Ok(id)
    })
    .await
}

pub(super) async fn add_alert(
    cx: &Context,
    patient: PatientId,
    kind: AlertKind,
    text: &str,
) -> Result<String> {
    cx.permit(Action::RecordAlert, Some(patient)).await?;
    let text = required(text, "the alert text")?;
    cx.edit_patient(patient, "add alert", |record, by, at| {
        let id = entry_id();
        record
            .alerts
            .insert(id.clone(), Alert { kind, text, added_by: by.clone(), added_at: at, active: true });
        Ok(id)
    })
    .await
}

pub(super) async fn end_alert(cx: &Context, patient: PatientId, alert: &str) -> Result<String> {
    cx.permit(Action::RecordAlert, Some(patient)).await?;
    cx.edit_patient(patient, "end alert", |record, _, _| {
        let (id, a) = find_entry(&mut record.alerts, alert, "alert")?;
        a.active = false;
        Ok(id)
    })
    .await
}

pub(super) async fn add_carer_note(cx: &Context, patient: PatientId, text: &str) -> Result<String> {
    cx.permit(Action::AddCarerNote, Some(patient)).await?;
    let text = required(text, "the note")?;
    let source = cx.me.role.entry_source(EntrySource::Carer);
    cx.edit_patient(patient, "add carer note", |record, by, at| {
        let id = entry_id();
        record
            .carer_notes
            .insert(id.clone(), CarerNote { text, source, written_by: by.clone(), written_at: at });
        Ok(id)
    })
    .await
}

pub(super) async fn add_task(
    cx: &Context,
    patient: PatientId,
    title: &str,
    assignee_role: Role,
    due: Option<NaiveDate>,
    source: EntrySource,
) -> Result<String> {
    cx.permit(Action::AddTask, Some(patient)).await?;
    let title = required(title, "the task's title")?;
    // A carer's or family member's task is labelled as theirs, whatever was asked.
    let source = cx.me.role.entry_source(source);
    cx.edit_patient(patient, "add task", |record, by, at| {
        let id = entry_id();
        record.tasks.insert(
            id.clone(),
            Task {
                title,
                assignee_role,
                due_date: due.map(date),
                status: TaskStatus::Open,
                source,
                created_by: by.clone(),
                created_at: at,
            },
        );
        Ok(id)
    })
    .await
}

pub(super) async fn set_task_status(
    cx: &Context,
    patient: PatientId,
    task: &str,
    status: TaskStatus,
) -> Result<String> {
    cx.permit(Action::UpdateTask, Some(patient)).await?;
    cx.edit_patient(patient, "update task", |record, _, _| {
        let (id, t) = find_entry(&mut record.tasks, task, "task")?;
        t.status = status;
        Ok(id)
    })
    .await
}

pub(super) async fn set_consent(
    cx: &Context,
    patient: PatientId,
    share_with_team: bool,
    national_data_opt_out: bool,
) -> Result<()> {
    cx.permit(Action::RecordConsent, Some(patient)).await?;
    cx.edit_patient(patient, "record consent", |record, by, at: Timestamp| {
        record.consent = Consent {
            share_with_team: Some(share_with_team),
            national_data_opt_out: Some(national_data_opt_out),
            recorded_by: Some(by.clone()),
            recorded_at: Some(at),
            share_with_teams: std::mem::take(&mut record.consent.share_with_teams),
        };
        Ok(())
    })
    .await?;
    if !share_with_team {
        // Withdrawn: every share of the record with other teams ends.
        super::share_end::end_shares_for_withdrawn_consent(cx, patient, None).await?;
    }
    Ok(())
}
