//! Clinical safety rules enforced in core (docs/clinical-safety/hazard-log.md): a disputed
//! CPR decision or dose is never shown as the decision, an unrecorded value is never
//! scored as normal, and who may decide what follows the clinician's role.

use hedgerow_core::clinical::{Action, News2Score, Observations, news2};
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::{
    CareFocus, CprRecommendation, EntrySource, Involvement, Place, Route,
};
use hedgerow_core::ids::PatientId;
use hedgerow_core::store::AuditAction;
use hedgerow_core::view::respect_reminder;
use hedgerow_core::workspace::{EndOfLifeUpdate, MedicineChange, NewMedicine};
use hedgerow_core::{Error, NewClinician, NewPatient, Workspace};
use hedgerow_tests::{MemoryTeam, PASSPHRASE, dispute_cpr};
use tempfile::TempDir;

async fn device(name: &str, role: Role) -> (TempDir, Workspace) {
    let tmp = tempfile::tempdir().unwrap();
    let registration = role.is_registered_clinician().then(|| "99Z9999X".to_owned());
    let ws = Workspace::create(
        tmp.path(),
        PASSPHRASE,
        NewClinician { name: name.into(), role, registration },
        None,
    )
    .await
    .unwrap();
    (tmp, ws)
}

async fn winifred(ws: &Workspace) -> PatientId {
    ws.add_patient(NewPatient {
        nhs_number: "9434765919".parse().unwrap(),
        name: "Winifred Ashdown".into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
        address: Some("2 Mill Lane, Little Wyck".into()),
    })
    .await
    .unwrap()
    .id
}

fn urgent() -> News2Score {
    news2::score(
        &Observations {
            respiration_rate: Some(26),
            spo2: Some(90),
            on_oxygen: Some(false),
            systolic_bp: Some(88),
            pulse: Some(120),
            consciousness: Some(hedgerow_core::clinical::Consciousness::Alert),
            temperature: Some(38.5),
        },
        hedgerow_core::clinical::Spo2Scale::Scale1,
    )
}

#[tokio::test]
async fn a_disputed_cpr_decision_is_shown_as_disputed_in_every_view_and_export() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Tomasz Orrell", Role::Gp).await;
    let patient = winifred(&nurse).await;
    dispute_cpr(&nurse, &gp, patient).await.unwrap();

    for ws in [&nurse, &gp] {
        // The caseload row and banner: disputed, both values, neither alone.
        let row = ws.caseload().await.unwrap().into_iter().find(|p| p.id == patient).unwrap();
        assert!(row.cpr.is_disputed(), "{:?}", row.cpr);
        assert_eq!(row.cpr.settled(), None, "no settled value while disputed");
        assert_eq!(row.cpr_banner(), "CPR: DISPUTED — see conflicts");
        let values: Vec<&str> = row.cpr.alternatives().iter().map(|v| v.value.as_str()).collect();
        assert!(
            values.contains(&"attempt CPR") && values.contains(&"do not attempt CPR (DNACPR)"),
            "{values:?}"
        );
        assert_eq!(row.conflicts_about, ["CPR recommendation"]);
        // --json: the same view, disputed.
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["cpr"]["state"], "disputed");
        assert!(json["cpr"].get("value").is_none());

        // The opened record reads CPR through the watched view.
        let view = ws.open_patient(patient).await.unwrap();
        let cpr = view.watched().cpr();
        assert!(cpr.is_disputed());
        let authors: Vec<&str> =
            cpr.alternatives().iter().map(|v| v.by.as_ref().unwrap().name.as_str()).collect();
        assert!(authors.contains(&"Ada Quill") && authors.contains(&"Dr Tomasz Orrell"), "{authors:?}");

        // The visit prompt beside urgent advice names both and says what to do.
        let prompt = respect_reminder(&view.watched(), &urgent()).unwrap();
        assert!(prompt.contains("DISPUTED"), "{prompt}");
        assert!(prompt.contains("attempt CPR (Ada Quill"), "{prompt}");
        assert!(prompt.contains("do not attempt CPR (DNACPR) (Dr Tomasz Orrell"), "{prompt}");
        assert!(prompt.contains("local policy"), "{prompt}");
        assert!(!prompt.contains("Escalate in line with it"), "{prompt}");

        // The home-folder summary prints both, with authors and times, in the red box.
        let html = ws.export_summary(patient).await.unwrap();
        let critical = html.split("<div class=\"critical\">").nth(1).unwrap().split("</div>").next().unwrap();
        assert!(critical.contains("CPR: DISPUTED"), "{critical}");
        assert!(critical.contains("attempt CPR (Ada Quill,"), "{critical}");
        assert!(critical.contains("do not attempt CPR (DNACPR) (Dr Tomasz Orrell,"), "{critical}");
        assert!(!critical.contains("&mdash; Ada Quill") && !critical.contains("&mdash; Dr Tomasz"));

        // The FHIR export is refused, with the reason, and the refusal is audited.
        match ws.export_fhir(patient).await {
            Err(Error::ExportRefused(reason)) => {
                assert!(
                    reason.contains("open clinical conflict") && reason.contains("CPR recommendation"),
                    "{reason}"
                )
            }
            other => panic!("a record with a disputed CPR decision must not export: {other:?}"),
        }
        let log = ws.audit_log(Some(patient)).await.unwrap();
        assert!(
            log.iter().any(|e| e.detail.contains("FHIR export refused") && e.detail.contains("conflict"))
        );
    }

    // Once a clinician resolves it, every view shows the one decision again.
    let field = nurse.conflicts(patient).await.unwrap()[0].field.clone();
    let choice = nurse.conflicts(patient).await.unwrap()[0]
        .values
        .iter()
        .position(|v| v.value.starts_with("do not"))
        .unwrap()
        + 1;
    nurse.resolve_conflict(patient, &field, choice, "ReSPECT form signed by the GP").await.unwrap();
    let row = nurse.caseload().await.unwrap().into_iter().find(|p| p.id == patient).unwrap();
    assert_eq!(row.cpr.settled(), Some(&Some(CprRecommendation::DoNotAttemptCpr)));
    assert_eq!(row.cpr_banner(), "CPR: do not attempt CPR (DNACPR)");
    let log = nurse.audit_log(Some(patient)).await.unwrap();
    let resolution = log.iter().rev().find(|e| e.detail.starts_with("resolved the conflict")).unwrap();
    assert!(
        resolution.detail.contains("chose do not attempt CPR (DNACPR) (Dr Tomasz Orrell"),
        "{}",
        resolution.detail
    );
    assert!(resolution.detail.contains("reason: ReSPECT form signed by the GP"), "{}", resolution.detail);
    assert!(nurse.export_fhir(patient).await.is_ok());
}

#[tokio::test]
async fn a_disputed_dose_is_shown_with_both_values_and_stops_the_export() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Tomasz Orrell", Role::Gp).await;
    let patient = winifred(&nurse).await;
    let med = nurse
        .add_medicine(
            patient,
            NewMedicine {
                name: "Furosemide 40 mg tablets".into(),
                dmd_code: None,
                dose: "40 mg".into(),
                route: Route::Oral,
                frequency: "once daily".into(),
                anticipatory: false,
                kept_at: None,
                reason: None,
            },
        )
        .await
        .unwrap();
    gp.merge_document(
        &nurse.export_patient_document(patient).await.unwrap(),
        true,
        Some(hedgerow_tests::TWO_TEAMS),
    )
    .await
    .unwrap();
    let change = |dose: &str, why: &str| MedicineChange {
        dose: Some(dose.into()),
        reason: why.into(),
        ..Default::default()
    };
    nurse.change_medicine(patient, &med, change("20 mg", "dizzy")).await.unwrap();
    gp.change_medicine(patient, &med, change("80 mg", "ankle oedema")).await.unwrap();
    nurse
        .merge_document(
            &gp.export_patient_document(patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();

    let view = nurse.open_patient(patient).await.unwrap();
    let w = view.watched();
    let (_, _, dose) = w.current_medicines().into_iter().next().unwrap();
    assert!(dose.dose.is_disputed() && dose.reason.is_disputed(), "dose and its reason are both watched");
    let line = dose.dosage();
    assert!(line.starts_with("DISPUTED: "), "{line}");
    assert!(line.contains("20 mg (Ada Quill") && line.contains("80 mg (Dr Tomasz Orrell"), "{line}");
    // The record every shell renders carries neither dose, nor either reason, as the value.
    let shown = &view.record.medicines[0];
    assert!(shown.dose.starts_with("DISPUTED: ") && shown.dose.contains("80 mg"), "{}", shown.dose);
    assert_eq!(shown.dosage, line);
    let reason = shown.change_reason.as_deref().unwrap_or_default();
    assert!(reason.starts_with("DISPUTED: ") && reason.contains("dizzy") && reason.contains("ankle oedema"));
    assert_eq!(shown.disputed.len(), 2, "dose and reason: {:?}", shown.disputed);
    assert!(shown.current);
    let html = nurse.export_summary(patient).await.unwrap();
    assert!(html.contains("DISPUTED, not decided:"), "the printout says so");
    assert!(html.contains("20 mg (Ada Quill") && html.contains("80 mg (Dr Tomasz Orrell"));
    assert!(matches!(nurse.export_fhir(patient).await, Err(Error::ExportRefused(_))));
}

#[tokio::test]
async fn consent_medicine_reason_capacity_and_second_place_of_care_are_watched() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, hospice) = device("Owen Pritchard", Role::HospiceNurse).await;
    let patient = winifred(&nurse).await;
    hospice
        .merge_document(
            &nurse.export_patient_document(patient).await.unwrap(),
            true,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    nurse.set_consent(patient, true, false).await.unwrap();
    hospice.set_consent(patient, false, false).await.unwrap();
    let eol = |capacity, second| EndOfLifeUpdate {
        has_capacity: Some(capacity),
        preferred_place_of_care_second: Some(second),
        ..Default::default()
    };
    nurse.update_end_of_life(patient, eol(true, Place::Hospice)).await.unwrap();
    hospice.update_end_of_life(patient, eol(false, Place::Hospital)).await.unwrap();
    nurse
        .merge_document(
            &hospice.export_patient_document(patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    let labels: Vec<String> = nurse.conflicts(patient).await.unwrap().into_iter().map(|c| c.label).collect();
    for want in [
        "Consent to share",
        "Capacity to make decisions about care",
        "Preferred place of care (second choice)",
    ] {
        assert!(labels.iter().any(|l| l == want), "{want} not watched: {labels:?}");
    }
    let view = nurse.open_patient(patient).await.unwrap();
    assert!(view.watched().consent_to_share().is_disputed());
    assert!(view.watched().has_capacity().is_disputed());
    // As every shell shows it: no value, every value listed.
    let consent = &view.record.consent;
    assert_eq!(consent.share_with_team, None, "neither answer is the patient's");
    assert!(consent.sharing_text.starts_with("DISPUTED: "), "{}", consent.sharing_text);
    assert_eq!(consent.disputed.len(), 1);
    let e = &view.record.end_of_life;
    assert_eq!((e.has_capacity, e.preferred_place_of_care_second), (None, None));
    assert_eq!(e.disputed.len(), 2, "{:?}", e.disputed);
}

#[tokio::test]
async fn a_carer_cannot_record_a_dnacpr_and_the_refusal_is_audited_and_flagged() {
    let mut team = MemoryTeam::new("Ada Quill", Role::DistrictNurse).await.unwrap();
    let patient = winifred(&team.admin).await;
    let carer = team.join("Sandra Ashdown", Role::Carer).await.unwrap();
    assert!(carer.open_patient(patient).await.is_ok(), "the record reached the carer's device");

    let err = carer
        .set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "clinical judgement")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotPermitted { role: Role::Carer, action: Action::RecordCprDecision }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "a carer may not record a CPR decision: only a registered clinician (district or community nurse, hospice or specialist nurse, GP, consultant, paramedic) may"
    );
    let log = carer.audit_log(Some(patient)).await.unwrap();
    let refused: Vec<_> = log.iter().filter(|e| e.action == AuditAction::Refused).collect();
    assert_eq!(refused.len(), 1, "{log:?}");
    assert!(refused[0].flagged, "a refusal is flagged for review");
    assert!(refused[0].detail.contains("record a CPR decision"), "{}", refused[0].detail);
    assert!(carer.open_patient(patient).await.unwrap().record.end_of_life.cpr.is_none(), "nothing written");
    // Nothing reaches the team either.
    team.sync(&carer).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    assert!(team.admin.open_patient(patient).await.unwrap().record.end_of_life.cpr.is_none());
}

#[tokio::test]
async fn what_each_role_may_do_is_enforced_in_core() {
    let mut team = MemoryTeam::new("Ada Quill", Role::DistrictNurse).await.unwrap();
    let patient = winifred(&team.admin).await;
    let carer = team.join("Sandra Ashdown", Role::Carer).await.unwrap();
    assert!(matches!(
        carer.record_death(patient, Place::Home, chrono::Local::now().date_naive()).await,
        Err(Error::NotPermitted { action: Action::RecordDeath, .. })
    ));
    assert!(matches!(
        carer.start_visit(patient).await,
        Err(Error::NotPermitted { action: Action::RecordVisit, .. })
    ));
    // Carers add labelled notes and tasks, in their own words, labelled as theirs.
    let task = carer
        .add_task(patient, "Pick up prescription", Role::DistrictNurse, None, EntrySource::Clinical)
        .await
        .unwrap();
    let note = carer.add_carer_note(patient, "Mum slept badly; ate a little breakfast.").await.unwrap();
    let record = carer.open_patient(patient).await.unwrap().document;
    assert_eq!(record.tasks[&task].source, EntrySource::Carer, "never mixed with clinical entries");
    assert_eq!(record.carer_notes[&note].source, EntrySource::Carer);
    assert!(team.admin.add_carer_note(patient, "x").await.is_err(), "clinicians write visit notes");

    let hca = team.join("Nell Avery", Role::HealthcareAssistant).await.unwrap();
    let visit = hca.start_visit(patient).await.unwrap();
    hca.record_observations(visit, Observations { pulse: Some(80), ..Default::default() }).await.unwrap();
    assert!(matches!(
        hca.set_scale2(patient, true, "type 2 failure").await,
        Err(Error::NotPermitted { action: Action::SetScale2, .. })
    ));
    let paracetamol = NewMedicine {
        name: "Paracetamol 500 mg tablets".into(),
        dmd_code: None,
        dose: "1 g".into(),
        route: Route::Oral,
        frequency: "four times a day".into(),
        anticipatory: false,
        kept_at: None,
        reason: None,
    };
    assert!(matches!(
        hca.add_medicine(patient, paracetamol.clone()).await,
        Err(Error::NotPermitted { action: Action::ChangeMedicines, .. })
    ));

    let therapist = team.join("Jo Pendle", Role::Therapist).await.unwrap();
    let ceiling =
        EndOfLifeUpdate { ceiling_of_treatment: Some("ward-based care".into()), ..Default::default() };
    assert!(matches!(
        therapist.update_end_of_life(patient, ceiling.clone()).await,
        Err(Error::NotPermitted { action: Action::SetCeilingOfTreatment, .. })
    ));

    let admin = team.join("Pat Hollis", Role::Admin).await.unwrap();
    assert!(matches!(
        admin.start_visit(patient).await,
        Err(Error::NotPermitted { action: Action::RecordVisit, .. })
    ));
    admin.set_consent(patient, true, false).await.unwrap();

    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    gp.update_end_of_life(patient, ceiling).await.unwrap();
    gp.add_medicine(patient, paracetamol).await.unwrap();
    gp.set_scale2(patient, true, "confirmed hypercapnic respiratory failure on ABG").await.unwrap();
    assert!(gp.set_scale2(patient, false, "  ").await.is_err(), "clearing needs a reason too");
}

#[tokio::test]
async fn air_or_oxygen_not_recorded_makes_the_set_partial_never_on_air() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let patient = winifred(&nurse).await;
    let visit = nurse.start_visit(patient).await.unwrap();
    let every_sign_but_air_or_oxygen = Observations {
        respiration_rate: Some(16),
        spo2: Some(97),
        on_oxygen: None,
        systolic_bp: Some(130),
        pulse: Some(72),
        consciousness: Some(hedgerow_core::clinical::Consciousness::Alert),
        temperature: Some(36.8),
    };
    let r = nurse.record_observations(visit, every_sign_but_air_or_oxygen).await.unwrap();
    assert!(r.news2.partial);
    assert_eq!(r.news2.missing, [hedgerow_core::clinical::Parameter::AirOrOxygen]);
    assert_eq!(r.news2.complete_band(), None, "never a band");
    assert_eq!(r.news2.advice(), None, "no advice for a partial 0");
    assert_eq!(r.news2.label(), "NEWS2 at least 0, incomplete");
    let row = nurse.caseload().await.unwrap().into_iter().find(|p| p.id == patient).unwrap();
    let latest = row.latest_news2.unwrap();
    assert!(latest.partial);
    assert_eq!(latest.complete_band(), None);
    assert_eq!(latest.label(), "NEWS2 at least 0, incomplete");
}

#[tokio::test]
async fn a_disputed_scale2_is_not_confirmed_so_readings_score_on_scale1() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Tomasz Orrell", Role::Gp).await;
    let patient = winifred(&nurse).await;
    gp.merge_document(
        &nurse.export_patient_document(patient).await.unwrap(),
        true,
        Some(hedgerow_tests::TWO_TEAMS),
    )
    .await
    .unwrap();
    gp.set_scale2(patient, true, "COPD with type 2 respiratory failure").await.unwrap();
    nurse.set_scale2(patient, false, "ABG normal at the respiratory clinic").await.unwrap();
    nurse
        .merge_document(
            &gp.export_patient_document(patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    let row = nurse.caseload().await.unwrap().into_iter().find(|p| p.id == patient).unwrap();
    assert!(row.scale2.is_disputed(), "{:?}", row.scale2);
    let visit = nurse.start_visit(patient).await.unwrap();
    let r = nurse
        .record_observations(
            visit,
            Observations { spo2: Some(89), on_oxygen: Some(false), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(r.news2.scale, hedgerow_core::clinical::Spo2Scale::Scale1);
    assert_eq!(
        r.news2
            .components
            .iter()
            .find(|c| c.parameter == hedgerow_core::clinical::Parameter::Spo2)
            .unwrap()
            .score,
        3
    );
}

#[tokio::test]
async fn consent_starts_not_recorded_and_a_ceiling_alone_is_an_end_of_life_plan() {
    let (_a, gp) = device("Dr Tomasz Orrell", Role::Gp).await;
    let patient = winifred(&gp).await;
    let record = gp.open_patient(patient).await.unwrap().record;
    assert_eq!(record.consent.share_with_team, None, "never a yes nobody gave");
    assert_eq!(record.consent.national_data_opt_out, None);
    assert!(!record.end_of_life.has_plan);

    let ceiling = EndOfLifeUpdate {
        ceiling_of_treatment: Some("ward-based care, not ITU".into()),
        ..Default::default()
    };
    gp.update_end_of_life(patient, ceiling).await.unwrap();
    let view = gp.open_patient(patient).await.unwrap();
    assert!(view.record.end_of_life.has_plan, "a ceiling of treatment alone is a plan");
    assert!(view.summary.end_of_life);
    let e = &view.record.end_of_life;
    assert_eq!(e.ceiling_set_by.as_ref().unwrap().name, "Dr Tomasz Orrell");
    assert_eq!(e.ceiling_set_by.as_ref().unwrap().registration.as_deref(), Some("99Z9999X"));
    assert!(e.ceiling_set_at.is_some());
    let html = gp.export_summary(patient).await.unwrap();
    assert!(html.contains("ward-based care, not ITU"));
    assert!(html.contains("registration 99Z9999X"), "who set the ceiling, with their registration");
}

#[tokio::test]
async fn respect_version_3_items_death_and_registration_numbers_are_recorded() {
    let (_a, gp) = device("Dr Tomasz Orrell", Role::Gp).await;
    let patient = winifred(&gp).await;
    gp.set_cpr(
        patient,
        CprRecommendation::DoNotAttemptCpr,
        Some("patient and daughter".into()),
        "clinical judgement",
    )
    .await
    .unwrap();
    gp.update_end_of_life(
        patient,
        EndOfLifeUpdate {
            care_focus: Some(CareFocus::PrioritiseComfort),
            care_focus_reasons: Some("Wishes to stay at home; comfort first".into()),
            involvement: Some(Involvement::PatientInvolved),
            involvement_detail: Some("Winifred and her daughter Sandra".into()),
            legal_proxy: Some("Sandra Ashdown (health and welfare LPA), 01632 960123".into()),
            advance_decision_location: Some("Blue folder on the dresser".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let view = gp.open_patient(patient).await.unwrap();
    let e = &view.record.end_of_life;
    assert_eq!(e.cpr.as_ref().unwrap().made_by.registration.as_deref(), Some("99Z9999X"));
    assert_eq!(e.care_focus, Some(CareFocus::PrioritiseComfort));
    assert_eq!(e.involvement, Some(Involvement::PatientInvolved));
    let html = gp.export_summary(patient).await.unwrap();
    for text in
        ["prioritise comfort", "Blue folder on the dresser", "Sandra Ashdown (health and welfare LPA)"]
    {
        assert!(html.contains(text), "{text} missing from the summary");
    }
    let died = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    gp.record_death(patient, Place::Home, died).await.unwrap();
    let e = gp.open_patient(patient).await.unwrap().document.end_of_life;
    assert_eq!(
        (e.actual_place_of_death, e.date_of_death.as_deref()),
        (Some(Place::Home), Some("2026-11-28"))
    );
    assert_eq!(e.death_recorded_by.unwrap().name, "Dr Tomasz Orrell");
    let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
    assert!(gp.record_death(patient, Place::Home, tomorrow).await.is_err());
    // A signed visit carries the registration in the signature.
    let visit = gp.start_visit(patient).await.unwrap();
    gp.add_note(visit, "Verified death at home.").await.unwrap();
    let sig = gp.sign_visit(visit).await.unwrap();
    assert_eq!(sig.signed_by.registration.as_deref(), Some("99Z9999X"));
    assert_eq!(gp.open_visit(visit).await.unwrap().signature_valid, Some(true));
}

#[tokio::test]
async fn a_cpr_decision_without_its_clinical_reason_is_refused_and_the_reason_is_audited() {
    let team = MemoryTeam::new("Dr Priya Kellaway", Role::Gp).await.unwrap();
    let patient = winifred(&team.admin).await;
    let err = team.admin.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "  ").await.unwrap_err();
    assert!(err.to_string().contains("the reason for the CPR decision must not be empty"), "{err}");
    let view = team.admin.open_patient(patient).await.unwrap();
    assert!(view.record.end_of_life.cpr.is_none(), "nothing was recorded");

    let reason = "advanced frailty; CPR would not be successful";
    team.admin.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, reason).await.unwrap();
    let log = team.admin.audit_log(Some(patient)).await.unwrap();
    assert!(
        log.iter().any(|e| e.detail
            == format!("record CPR recommendation: do not attempt CPR (DNACPR); reason: {reason}")),
        "{log:?}"
    );
}
