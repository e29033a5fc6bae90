//! A realistic, entirely fictional caseload for trying Hedgerow and for benchmarks.
//! Names are random pairings of invented surnames with common first names; NHS numbers
//! are in the 999 range reserved for testing.

use crate::clinical::{Consciousness, NhsNumber, Observations, Spo2Scale};
use crate::crypto::DeviceKey;
use crate::documents::patient::*;
use crate::documents::team::{Clinician, Device};
use crate::documents::visit::{Action, ObservationSet};
use crate::documents::{ClinicianRef, DocumentKind, PatientRecord, Role, Team, Timestamp, VisitNote};
use crate::error::{Error, Result};
use crate::ids::{ClinicianId, DeviceId, PatientId, TeamId, VisitId, entry_id};
use crate::workspace::{
    Draft, HeadSigner, Identity, Workspace, insert_document_as, sign_note, visit_summary,
};
use automerge::ActorId;
use std::collections::HashSet;

const FIRST: &[&str] = &[
    "Winifred", "Edith", "Harold", "Arthur", "Dorothy", "Margaret", "Albert", "Doris", "Ernest", "Gladys",
    "Reginald", "Mabel", "Stanley", "Ivy", "Cyril", "Violet", "Leonard", "Hilda", "Walter", "Beryl",
    "Norman", "Joan", "Frank", "Irene", "Dennis", "Muriel", "Ronald", "Phyllis", "Kenneth", "Elsie",
    "Maureen", "Derek", "Sheila", "Brian", "Pauline", "Geoffrey", "Brenda", "Trevor", "Jean", "Malcolm",
];
/// The first names above that are women's, for the demo's recorded gender.
const FEMALE: &[&str] = &[
    "Winifred", "Edith", "Dorothy", "Margaret", "Doris", "Gladys", "Mabel", "Ivy", "Violet", "Hilda",
    "Beryl", "Joan", "Irene", "Muriel", "Phyllis", "Elsie", "Maureen", "Sheila", "Pauline", "Brenda", "Jean",
];
const SURNAMES: &[&str] = &[
    "Ashdown",
    "Brackley",
    "Coombe",
    "Dunsford",
    "Elmore",
    "Farrant",
    "Gorringe",
    "Hatherley",
    "Ilsley",
    "Jessop",
    "Kemble",
    "Loder",
    "Marwood",
    "Netherton",
    "Orchard",
    "Pengelly",
    "Quarrie",
    "Rendle",
    "Satterley",
    "Tolley",
    "Upcott",
    "Venning",
    "Widdicombe",
    "Yeo",
    "Beddow",
    "Challacombe",
    "Dimmock",
    "Furze",
    "Gilham",
    "Hext",
    "Lethbridge",
    "Mudge",
    "Pidgeon",
    "Rowcliffe",
    "Skinnard",
    "Tuckett",
];
const STREETS: &[&str] = &[
    "Mill Lane",
    "Church Row",
    "Orchard Close",
    "Station Road",
    "The Green",
    "Back Lane",
    "Chapel Street",
    "Forge Cottages",
    "Well Lane",
    "Holloway Lane",
    "Barton Close",
    "Quarry Hill",
];
/// Fictional care homes, with the village each is in.
const CARE_HOMES: &[(&str, &str)] = &[
    ("Bramblewood House Care Home", "Little Wyck"),
    ("The Larches Nursing Home", "Coldharbour"),
    ("Saltings Court Care Home", "Thornbury Parva"),
];

const VILLAGES: &[&str] = &[
    "Little Wyck",
    "Thornbury Parva",
    "Coldharbour",
    "Nether Stowey Cross",
    "Hartsmoor",
    "Brackenhurst",
    "Ebbcombe",
    "Long Furlong",
    "Ashwell Green",
    "Wraxford",
];

struct ProblemTemplate {
    title: &'static str,
    goal: &'static str,
    intervention: &'static str,
    frequency: &'static str,
    owner: Role,
    note: &'static str,
}

const PROBLEMS: &[ProblemTemplate] = &[
    ProblemTemplate {
        title: "Venous leg ulcer, left gaiter area",
        goal: "Ulcer area reduced by 40% in 4 weeks",
        intervention: "Cleanse, emollient, non-adherent dressing and two-layer compression",
        frequency: "twice weekly",
        owner: Role::DistrictNurse,
        note: "Leg ulcer redressed. Wound bed granulating, moderate exudate, no signs of infection. Compression reapplied; patient tolerating well.",
    },
    ProblemTemplate {
        title: "Long-term urethral catheter",
        goal: "No catheter-associated infection; no blockages",
        intervention: "Catheter change and bag checks; fluid intake advice",
        frequency: "every 12 weeks and as needed",
        owner: Role::DistrictNurse,
        note: "Catheter draining clear urine. Bag changed. Reminded to keep fluids up; family aware of signs of infection.",
    },
    ProblemTemplate {
        title: "Type 2 diabetes requiring insulin administration",
        goal: "Blood glucose within agreed range (6-15 mmol/L) with no hypoglycaemia",
        intervention: "Check capillary glucose and administer insulin as prescribed",
        frequency: "daily",
        owner: Role::CommunityNurse,
        note: "Capillary glucose 9.4 mmol/L before breakfast. Insulin given as prescribed, site rotated. Eating well.",
    },
    ProblemTemplate {
        title: "Category 2 pressure ulcer, sacrum",
        goal: "Healed within 6 weeks; no new pressure damage",
        intervention: "Repositioning 4-hourly, pressure-relieving mattress, hydrocolloid dressing",
        frequency: "every 3 days",
        owner: Role::DistrictNurse,
        note: "Sacral area reviewed: wound smaller, edges healthy. Mattress functioning. Carers repositioning as planned.",
    },
    ProblemTemplate {
        title: "Heart failure: fluid balance and breathlessness",
        goal: "Stable weight and no admission for decompensation",
        intervention: "Weekly weight, ankle oedema check, medicines review with GP",
        frequency: "weekly",
        owner: Role::CommunityNurse,
        note: "Weight stable. Mild pitting oedema to mid-shin, unchanged. Breathless on stairs only.",
    },
    ProblemTemplate {
        title: "Vitamin B12 deficiency",
        goal: "Injections given on time",
        intervention: "Hydroxocobalamin 1 mg intramuscular injection",
        frequency: "every 12 weeks",
        owner: Role::HealthcareAssistant,
        note: "B12 injection given into left deltoid. No reaction. Next due in 12 weeks.",
    },
];

const PALLIATIVE_NOTES: &[&str] = &[
    "Comfortable at rest, pain controlled on current regime. Family present and coping; discussed what to expect.",
    "More drowsy today, taking sips only. Mouth care given. Just-in-case medicines checked and in date.",
    "Reviewed with hospice nurse by phone. Syringe driver discussed with family; they wish to stay at home.",
];

const ALLERGIES: &[(&str, &str)] = &[
    ("Penicillin", "rash"),
    ("Codeine", "vomiting"),
    ("Latex", "contact dermatitis"),
    ("Elastoplast adhesive", "blistering"),
    ("Trimethoprim", "angioedema"),
];

const MEDICINES: &[(&str, &str, Route, &str)] = &[
    ("Furosemide 40 mg tablets", "40 mg", Route::Oral, "once daily, morning"),
    ("Ramipril 5 mg capsules", "5 mg", Route::Oral, "once daily"),
    ("Metformin 500 mg tablets", "500 mg", Route::Oral, "twice daily with meals"),
    ("Insulin glargine 100 units/ml", "18 units", Route::Subcutaneous, "once daily, evening"),
    ("Paracetamol 500 mg tablets", "1 g", Route::Oral, "four times daily when required"),
    ("Apixaban 2.5 mg tablets", "2.5 mg", Route::Oral, "twice daily"),
    ("Bisoprolol 2.5 mg tablets", "2.5 mg", Route::Oral, "once daily"),
    ("Hydroxocobalamin 1 mg/ml injection", "1 mg", Route::Intramuscular, "every 12 weeks"),
];

const ANTICIPATORY: &[(&str, &str)] = &[
    (
        "Morphine sulfate 10 mg/ml injection",
        "2.5-5 mg subcutaneously, hourly when required for pain or breathlessness",
    ),
    ("Midazolam 10 mg/2 ml injection", "2.5-5 mg subcutaneously, hourly when required for agitation"),
    ("Levomepromazine 25 mg/ml injection", "6.25 mg subcutaneously, 8-hourly when required for nausea"),
    (
        "Glycopyrronium 200 micrograms/ml injection",
        "200 micrograms subcutaneously, 4-hourly when required for secretions",
    ),
];

/// A fictional colleague who wrote some of the demo visits, with a key of their own.
struct Colleague {
    who: ClinicianRef,
    identity: Identity,
    key: DeviceKey,
    actor: ActorId,
}

impl Colleague {
    /// `registration` is fictional, in the shape of an NMC PIN or GMC number.
    fn new(name: &str, role: Role, registration: &str, team_id: TeamId) -> Result<Self> {
        let actor_bytes = crate::crypto::random_bytes::<16>()?;
        let identity = Identity {
            clinician_id: ClinicianId::random(),
            name: name.into(),
            role,
            registration: Some(registration.into()),
            device_id: DeviceId::random(),
            actor_id: hex::encode(actor_bytes),
            team_id,
            demo: true,
        };
        Ok(Self {
            who: identity.clinician_ref(),
            identity,
            key: DeviceKey::generate()?,
            actor: ActorId::from(actor_bytes.as_slice()),
        })
    }
}

/// What a demo run made.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct DemoReport {
    pub patients: usize,
    pub visits: usize,
    pub end_of_life: usize,
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn unique_nhs(rng: &mut fastrand::Rng, taken: &mut HashSet<String>) -> NhsNumber {
    loop {
        let mut nine = [9u8, 9, 9, 0, 0, 0, 0, 0, 0];
        for d in nine.iter_mut().skip(3) {
            *d = rng.u8(0..10);
        }
        if let Some(n) = NhsNumber::from_first_nine(nine)
            && taken.insert(n.digits())
        {
            return n;
        }
    }
}

fn date(ms: i64) -> String {
    Timestamp(ms).to_datetime().format("%Y-%m-%d").to_string()
}

const DAY_MS: i64 = 86_400_000;

/// Adds `count` fictional patients with months of history. `progress` is told after each
/// committed batch how many patients are done.
pub async fn populate(
    ws: &Workspace,
    count: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<DemoReport> {
    if !ws.identity().demo {
        return Err(Error::Input(
            "this workspace holds real records: demo patients go only into a demo workspace (`hedgerow --data DEMO_DIR demo`)".into(),
        ));
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let me = ws.identity().clone();
    let cx = ws.context();
    let team_id = me.team_id;
    let colleagues = vec![
        Colleague::new("Tamsin Rowe", Role::DistrictNurse, "99Z0001D", team_id)?,
        Colleague::new("Dr Priya Kellaway", Role::Gp, "9900001", team_id)?,
        Colleague::new("Owen Pritchard", Role::HospiceNurse, "99Z0002H", team_id)?,
        Colleague::new("Nell Avery", Role::HealthcareAssistant, "(not registered)", team_id)?,
    ];
    let mut taken: HashSet<String> = ws.caseload().await?.into_iter().map(|p| p.nhs_number).collect();
    let now = Timestamp::now().0;
    let mut report = DemoReport::default();

    {
        let mut tx = cx.store.begin_write().await?;
        let mut team: Draft<Team> = cx
            .draft(&mut tx, team_id.0, DocumentKind::Team, || {
                Error::Corrupt("the team document is missing".into())
            })
            .await?;
        for c in &colleagues {
            team.value.clinicians.entry(c.identity.clinician_id.to_hex()).or_insert(Clinician {
                name: c.identity.name.clone(),
                role: c.identity.role,
                registration: c.identity.registration.clone(),
                admin: false,
                added_at: Timestamp(now),
            });
            team.value.devices.entry(c.identity.device_id.to_hex()).or_insert(Device {
                clinician_id: c.identity.clinician_id.to_hex(),
                label: "demo colleague's laptop".into(),
                public_key: hex::encode(c.key.public_key()),
                actor_id: c.identity.actor_id.clone(),
                enrolled_by: Some(me.clinician_ref()),
                enrolled_at: Timestamp(now),
                revoked: None,
            });
        }
        cx.save(&mut tx, &mut team, "demo: add colleagues").await?;
        tx.commit().await?;
    }

    const BATCH: usize = 25;
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let mut tx = cx.store.begin_write().await?;
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let (patient_id, visits, eol) =
                demo_patient(&mut tx, &mut rng, &mut taken, &colleagues, cx.device_key(), now).await?;
            ids.push(patient_id);
            report.visits += visits;
            report.end_of_life += usize::from(eol);
        }
        crate::workspace::add_to_caseload(cx, &mut tx, &ids).await?;
        tx.commit().await?;
        done += n;
        report.patients = done;
        progress(done);
    }
    Ok(report)
}

async fn demo_patient(
    tx: &mut crate::store::WriteTx<'_>,
    rng: &mut fastrand::Rng,
    taken: &mut HashSet<String>,
    colleagues: &[Colleague],
    // The colleagues are no devices of the team: this device answers for what they wrote.
    voucher: &crate::crypto::DeviceKey,
    now: i64,
) -> Result<(PatientId, usize, bool)> {
    let id = PatientId::random();
    let nhs = unique_nhs(rng, taken);
    let first = *pick(rng, FIRST);
    let name = format!("{first} {}", pick(rng, SURNAMES));
    let dob = format!("{}-{:02}-{:02}", rng.i32(1926..1966), rng.u8(1..13), rng.u8(1..29));
    let address = format!("{} {}, {}", rng.u8(1..60), pick(rng, STREETS), pick(rng, VILLAGES));
    // About one patient in seven lives in a care home, chosen from the NHS number so that the
    // random stream (and every other demo patient) stays as it was.
    let digits = nhs.digits();
    let hash = digits.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let address = if hash % 7 == 0 {
        let (home, village) = CARE_HOMES[(hash / 7) as usize % CARE_HOMES.len()];
        format!("Room {}, {home}, {village}", hash / 49 % 60 + 1)
    } else {
        address
    };
    let nurse = &colleagues[0];
    let created = now - rng.i64(120..360) * DAY_MS;
    let mut record = PatientRecord::new(
        id.to_hex(),
        Demographics {
            nhs_number: nhs.digits(),
            name: name.clone(),
            preferred_name: None,
            date_of_birth: dob,
            address: Some(address),
            phone: None,
            access_notes: rng.bool().then(|| "Key safe by the back door: code held by the team".to_owned()),
            gender: Some(if FEMALE.contains(&first) { Gender::Female } else { Gender::Male }),
        },
        nurse.who.clone(),
        Timestamp(created),
    );
    let village = rng.usize(..VILLAGES.len());
    record.gp_practice = Some(GpPractice {
        name: format!("{} Surgery", VILLAGES[village]),
        // Fictional, in the shape of a practice's ODS code.
        ods_code: Some(format!("Y9{village:04}")),
        phone: None,
    });
    // Most patients' consent was asked at the first visit; a few have not been asked yet.
    if hash % 10 != 3 {
        record.consent = Consent {
            share_with_team: Some(true),
            national_data_opt_out: Some(false),
            recorded_by: Some(nurse.who.clone()),
            recorded_at: Some(Timestamp(created)),
            share_with_teams: Default::default(),
        };
    }
    let surname = name.split(' ').next_back().unwrap_or("");
    record.contacts.insert(
        entry_id(),
        Contact {
            name: format!("{} {surname}", pick(rng, FIRST)),
            relationship: *pick(
                rng,
                &[ContactRelationship::Spouse, ContactRelationship::Child, ContactRelationship::Sibling],
            ),
            phone: None,
            next_of_kin: true,
            main_informal_carer: rng.bool(),
            lasting_power_of_attorney: (rng.u8(0..4) == 0).then(|| "health-and-welfare".to_owned()),
        },
    );
    if rng.u8(0..5) == 0 {
        record.alerts.insert(
            entry_id(),
            Alert {
                kind: AlertKind::LoneWorker,
                text: "Large dog in the house: ask for it to be shut away before entering".into(),
                added_by: nurse.who.clone(),
                added_at: Timestamp(created),
                active: true,
            },
        );
    }
    for _ in 0..rng.usize(0..3) {
        let (substance, reaction) = pick(rng, ALLERGIES);
        if record.allergies.values().any(|a| a.substance == *substance) {
            continue;
        }
        record.allergies.insert(
            entry_id(),
            Allergy {
                substance: (*substance).into(),
                reaction: Some((*reaction).into()),
                severity: AllergySeverity::Moderate,
                recorded_by: nurse.who.clone(),
                recorded_at: Timestamp(created),
            },
        );
    }
    let mut problems: Vec<&ProblemTemplate> = Vec::new();
    for _ in 0..rng.usize(1..4) {
        let p = pick(rng, PROBLEMS);
        if !problems.iter().any(|q| q.title == p.title) {
            problems.push(p);
        }
    }
    for p in &problems {
        let mut goals = Entries::new();
        goals.insert(
            entry_id(),
            Goal { text: p.goal.into(), target_date: Some(date(now + 28 * DAY_MS)), achieved: false },
        );
        let mut interventions = Entries::new();
        interventions.insert(
            entry_id(),
            Intervention {
                text: p.intervention.into(),
                frequency: Some(p.frequency.into()),
                owner_role: p.owner,
                status: PlanStatus::Active,
            },
        );
        record.care_plan.insert(
            entry_id(),
            Problem {
                title: p.title.into(),
                detail: None,
                status: PlanStatus::Active,
                owner_role: p.owner,
                review_date: Some(date(now + rng.i64(-7..42) * DAY_MS)),
                goals,
                interventions,
                created_by: nurse.who.clone(),
                created_at: Timestamp(created),
            },
        );
    }
    let gp = &colleagues[1];
    let medicine = |name: &str, dose: &str, route: Route, frequency: &str, at: i64, reason: &str| Medicine {
        name: name.into(),
        dmd_code: None,
        dose: dose.into(),
        route,
        frequency: frequency.into(),
        start_date: Some(date(at)),
        stop_date: None,
        anticipatory: false,
        kept_at: None,
        changed_by: gp.who.clone(),
        changed_at: Timestamp(at),
        change_reason: Some(reason.into()),
        gp_proposal: None,
    };
    for _ in 0..rng.usize(1..5) {
        let (name, dose, route, frequency) = pick(rng, MEDICINES);
        if record.medicines.values().any(|m| m.name == *name) {
            continue;
        }
        record
            .medicines
            .insert(entry_id(), medicine(name, dose, *route, frequency, created, "started by GP"));
    }
    let end_of_life = rng.u8(0..100) < 8;
    if end_of_life {
        let hospice = &colleagues[2];
        for (name, dose) in ANTICIPATORY {
            let started = now - 20 * DAY_MS;
            let reason = "anticipatory medicines for end of life care";
            record.medicines.insert(
                entry_id(),
                Medicine {
                    anticipatory: true,
                    kept_at: Some("Just-in-case box on the kitchen shelf".into()),
                    ..medicine(name, dose, Route::Subcutaneous, "when required", started, reason)
                },
            );
        }
        record.end_of_life = EndOfLife {
            on_palliative_register: true,
            preferred_place_of_care: Some(Place::Home),
            preferred_place_of_care_second: Some(Place::Hospice),
            preferred_place_of_death: Some(*pick(rng, &[Place::Home, Place::Home, Place::Hospice])),
            preferred_place_of_death_second: Some(Place::Hospice),
            cpr: Some(CprDecision {
                recommendation: CprRecommendation::DoNotAttemptCpr,
                made_by: gp.who.clone(),
                made_at: Timestamp(now - 25 * DAY_MS),
                discussed_with: Some("patient and next of kin".into()),
            }),
            ceiling_of_treatment: Some(
                "Symptom control at home; not for hospital admission unless symptoms cannot be managed"
                    .into(),
            ),
            ceiling_set_by: Some(gp.who.clone()),
            ceiling_set_at: Some(Timestamp(now - 25 * DAY_MS)),
            care_focus: Some(CareFocus::PrioritiseComfort),
            care_focus_reasons: Some("Advanced disease; the person's wish is comfort at home".into()),
            involvement: Some(Involvement::PatientInvolved),
            involvement_detail: Some("Discussed with the patient and next of kin".into()),
            summary: Some(
                "Advanced disease, prognosis weeks. Advance care plan kept in the home folder.".into(),
            ),
            personal_preferences: Some("Wants to stay at home with family; comfort is the priority".into()),
            people_to_involve: vec!["next of kin".into()],
            has_capacity: Some(true),
            key_worker: Some(hospice.who.name.clone()),
            hospice: Some(format!("{} Hospice", pick(rng, VILLAGES))),
            anticipatory_medicines_prescribed: true,
            anticipatory_medicines_location: Some("Just-in-case box on the kitchen shelf".into()),
            respect_review_date: Some(date(now + 28 * DAY_MS)),
            ..EndOfLife::default()
        };
    }
    let task_titles =
        ["Bloods due: U&Es and HbA1c", "Review care plan", "Order dressings", "Referral to hospice team"];
    for _ in 0..rng.usize(0..3) {
        record.tasks.insert(
            entry_id(),
            Task {
                title: (*pick(rng, &task_titles)).into(),
                assignee_role: Role::DistrictNurse,
                due_date: Some(date(now + rng.i64(-3..14) * DAY_MS)),
                status: TaskStatus::Open,
                source: EntrySource::Clinical,
                created_by: nurse.who.clone(),
                created_at: Timestamp(created),
            },
        );
    }

    // Visits over the months since the patient joined the caseload.
    let mut visits = 0;
    let mut at = created + rng.i64(1..7) * DAY_MS;
    let unwell = rng.u8(0..10) == 0;
    while at < now - DAY_MS {
        let c = if end_of_life && rng.bool() { &colleagues[2] } else { pick(rng, colleagues) };
        let vid = VisitId::random();
        let started = Timestamp(at + rng.i64(8..17) * 3_600_000);
        let mut note =
            VisitNote::new(vid.to_hex(), id.to_hex(), c.who.clone(), c.identity.device_id.to_hex(), started);
        let obs = demo_observations(rng, unwell && now - at < 14 * DAY_MS);
        note.observations.insert(
            entry_id(),
            ObservationSet::from_observations(&obs, Spo2Scale::Scale1, c.who.clone(), started),
        );
        let text = if end_of_life {
            *pick(rng, PALLIATIVE_NOTES)
        } else {
            problems[rng.usize(..problems.len())].note
        };
        note.narrative.update(text);
        note.actions.insert(entry_id(), Action { text: "Next visit as per care plan".into(), done: true });
        note.signature = Some(sign_note(&note, &c.identity, &c.key, Timestamp(started.0 + 40 * 60_000)));
        insert_document_as(
            tx,
            &c.identity,
            HeadSigner::Vouch(voucher),
            c.actor.clone(),
            vid.0,
            DocumentKind::Visit,
            &note,
            "demo visit",
        )
        .await?;
        tx.put_visit_summary(&visit_summary(&note)?).await?;
        record.visits.insert(
            vid.to_hex(),
            crate::documents::patient::VisitRef { started_at: started, clinician: c.who.clone() },
        );
        visits += 1;
        at += rng.i64(5..22) * DAY_MS;
    }
    insert_document_as(
        tx,
        &nurse.identity,
        HeadSigner::Vouch(voucher),
        nurse.actor.clone(),
        id.0,
        DocumentKind::Patient,
        &record,
        "demo patient",
    )
    .await?;
    tx.refresh_patient(&record, &[]).await?;
    Ok((id, visits, end_of_life))
}

fn demo_observations(rng: &mut fastrand::Rng, unwell: bool) -> Observations {
    if unwell {
        Observations {
            respiration_rate: Some(rng.u16(20..27)),
            spo2: Some(rng.u16(90..96)),
            on_oxygen: Some(false),
            systolic_bp: Some(rng.u16(95..125)),
            pulse: Some(rng.u16(95..125)),
            consciousness: Some(if rng.u8(0..4) == 0 {
                Consciousness::NewConfusion
            } else {
                Consciousness::Alert
            }),
            temperature: Some(f64::from(rng.u16(375..392)) / 10.0),
        }
    } else {
        Observations {
            respiration_rate: Some(rng.u16(12..21)),
            spo2: Some(rng.u16(94..100)),
            on_oxygen: Some(false),
            systolic_bp: Some(rng.u16(112..160)),
            pulse: Some(rng.u16(58..92)),
            consciousness: Some(Consciousness::Alert),
            temperature: Some(f64::from(rng.u16(361..377)) / 10.0),
        }
    }
}
