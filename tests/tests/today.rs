//! Today as the core triages it for every shell: who needs attention and in what order,
//! tasks and reviews due with overdue marked, visits today and visits left unsigned.

use chrono::{Days, Local};
use hedgerow_core::clinical::{Consciousness, Observations};
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::EntrySource;
use hedgerow_core::ids::PatientId;
use hedgerow_core::workspace::NewProblem;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_tests::{PASSPHRASE, fictional_nhs_number};
use tempfile::TempDir;

async fn device(name: &str, role: Role) -> (TempDir, Workspace) {
    let tmp = tempfile::tempdir().unwrap();
    let clinician = NewClinician { name: name.into(), role, registration: None };
    let ws = Workspace::create(tmp.path(), PASSPHRASE, clinician, None).await.unwrap();
    (tmp, ws)
}

async fn patient(ws: &Workspace, n: usize, name: &str) -> PatientId {
    let new = NewPatient {
        nhs_number: fictional_nhs_number(n).parse().unwrap(),
        name: name.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 3, 1).unwrap(),
        address: None,
    };
    ws.add_patient(new).await.unwrap().id
}

/// A visit today with these observations, left unsigned.
async fn visited_with(ws: &Workspace, patient: PatientId, obs: Observations) {
    let visit = ws.start_visit(patient).await.unwrap();
    ws.record_observations(visit, obs).await.unwrap();
}

fn names(list: &[hedgerow_core::store::PatientSummary]) -> Vec<&str> {
    list.iter().map(|p| p.name.as_str()).collect()
}

#[tokio::test]
async fn today_puts_conflicts_then_the_highest_news2_first_and_marks_what_is_overdue() {
    let (_n, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_g, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let today = Local::now().date_naive();
    let (yesterday, tomorrow) = (today - Days::new(1), today + Days::new(1));

    let disputed = patient(&nurse, 1, "Agnes Disputed").await;
    hedgerow_tests::dispute_cpr(&nurse, &gp, disputed).await.unwrap();
    let very_unwell = patient(&nurse, 2, "Bertram Unwell").await;
    visited_with(
        &nurse,
        very_unwell,
        Observations {
            respiration_rate: Some(26),
            spo2: Some(90),
            on_oxygen: Some(false),
            systolic_bp: Some(88),
            pulse: Some(120),
            consciousness: Some(Consciousness::Alert),
            temperature: Some(38.5),
        },
    )
    .await;
    // Incomplete, but what is known already scores 5: it counts, never hidden as low.
    let incomplete_but_raised = patient(&nurse, 3, "Cora Incomplete").await;
    visited_with(
        &nurse,
        incomplete_but_raised,
        Observations { respiration_rate: Some(26), pulse: Some(120), ..Default::default() },
    )
    .await;
    let well = patient(&nurse, 4, "Dennis Well").await;
    visited_with(
        &nurse,
        well,
        Observations {
            respiration_rate: Some(16),
            spo2: Some(97),
            on_oxygen: Some(false),
            systolic_bp: Some(130),
            pulse: Some(72),
            consciousness: Some(Consciousness::Alert),
            temperature: Some(36.8),
        },
    )
    .await;
    let incomplete_zero = patient(&nurse, 5, "Edna Partial").await;
    visited_with(&nurse, incomplete_zero, Observations { pulse: Some(80), ..Default::default() }).await;

    nurse
        .add_task(well, "Change the dressing", Role::DistrictNurse, Some(yesterday), EntrySource::Clinical)
        .await
        .unwrap();
    nurse.add_task(well, "Bloods", Role::DistrictNurse, Some(today), EntrySource::Clinical).await.unwrap();
    nurse
        .add_task(well, "Not yet", Role::DistrictNurse, Some(tomorrow), EntrySource::Clinical)
        .await
        .unwrap();
    let review = |title: &str, days_ago: u64| NewProblem {
        title: title.into(),
        review_date: Some(today - Days::new(days_ago)),
        ..Default::default()
    };
    nurse.add_problem(incomplete_zero, review("Pressure area care", 0)).await.unwrap();
    nurse.add_problem(incomplete_zero, review("Venous leg ulcer", 3)).await.unwrap();

    let day = nurse.today(today).await.unwrap();
    assert_eq!(day.date, today);
    assert_eq!(day.caseload.len(), 5);
    assert_eq!(
        names(&day.needs_attention),
        ["Agnes Disputed", "Bertram Unwell", "Cora Incomplete"],
        "a disagreement first, then the highest score; a complete low score and an incomplete 0 are not flagged"
    );
    let tasks: Vec<(&str, bool, String)> =
        day.tasks_due.iter().map(|t| (t.task.title.as_str(), t.overdue, t.when())).collect();
    assert_eq!(
        tasks,
        [("Change the dressing", true, format!("{yesterday} OVERDUE")), ("Bloods", false, today.to_string()),],
        "due by today, earliest first, yesterday's overdue"
    );
    assert!(day.tasks_due.iter().all(|t| t.patient_name == "Dennis Well"));
    let reviews: Vec<(&str, i64)> =
        day.reviews_due.iter().map(|r| (r.what.as_str(), r.days_overdue)).collect();
    assert_eq!(reviews, [("Care plan: Venous leg ulcer", 3), ("Care plan: Pressure area care", 0)]);
    assert_eq!(day.reviews_due[0].when(), format!("{} OVERDUE by 3 day(s)", today - Days::new(3)));
    assert_eq!(day.reviews_due[1].when(), format!("{today} due today"));
    let mut visited = names(&day.visited_today);
    visited.sort();
    assert_eq!(visited, ["Bertram Unwell", "Cora Incomplete", "Dennis Well", "Edna Partial"]);
    assert!(day.visited_today.windows(2).all(|w| w[0].last_visit >= w[1].last_visit), "latest first");
    assert_eq!(day.unsigned_visits.len(), 4, "every visit above was left unsigned");

    // The GP's device saw none of it but the disagreement, and the GP has no visits open.
    let gp_day = gp.today(today).await.unwrap();
    assert_eq!(names(&gp_day.needs_attention), ["Agnes Disputed"]);
    assert!(gp_day.unsigned_visits.is_empty() && gp_day.tasks_due.is_empty());
}
