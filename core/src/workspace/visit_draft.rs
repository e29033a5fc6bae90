//! What a clinician types into a visit, kept as it is typed: sealed on this device and never
//! synced, it survives signing, locking, a crash and moving between screens, until it is
//! saved into the visit (one transaction) or kept with the visit when it is cancelled.

use super::visit::Signing;
use super::{Context, NewWound};
use crate::clinical::{Action, Consciousness, Observations};
use crate::documents::Timestamp;
use crate::documents::visit::{Cancellation, Exudate};
use crate::error::{Error, Result};
use crate::ids::{PatientId, VisitId};
use crate::store::AuditAction;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "visit-draft/";

fn setting(visit: VisitId) -> String {
    format!("{PREFIX}{}", visit.to_hex())
}

/// The visit entry form as typed: numbers as the clinician wrote them, so that nothing is
/// lost or rewritten before it is saved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitDraft {
    pub respiration_rate: String,
    pub spo2: String,
    /// Not chosen yet leaves the set incomplete, never "on air".
    pub on_oxygen: Option<bool>,
    pub systolic_bp: String,
    pub pulse: String,
    pub consciousness: Option<Consciousness>,
    pub temperature: String,
    pub wound_site: String,
    pub wound_length_cm: String,
    pub wound_width_cm: String,
    pub wound_exudate: Option<Exudate>,
    pub wound_infection: bool,
    pub wound_dressing: String,
    pub note: String,
}

/// A draft as stored: which visit and patient, and when it was last typed into.
#[derive(Serialize, Deserialize)]
struct Stored {
    patient: PatientId,
    updated_at: Timestamp,
    draft: VisitDraft,
}

/// What a save of the draft put into the visit.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SavedDraft {
    pub observations: Option<crate::workspace::RecordedObservations>,
    pub wound: bool,
    pub note: bool,
}

impl VisitDraft {
    fn has_observations(&self) -> bool {
        [&self.respiration_rate, &self.spo2, &self.systolic_bp, &self.pulse, &self.temperature]
            .iter()
            .any(|s| !s.trim().is_empty())
            || self.on_oxygen.is_some()
            || self.consciousness.is_some()
    }

    fn has_wound(&self) -> bool {
        [&self.wound_site, &self.wound_length_cm, &self.wound_width_cm, &self.wound_dressing]
            .iter()
            .any(|s| !s.trim().is_empty())
            || self.wound_exudate.is_some()
            || self.wound_infection
    }

    pub fn is_empty(&self) -> bool {
        !self.has_observations() && !self.has_wound() && self.note.trim().is_empty()
    }

    /// What is typed and not saved, in words: "observations", "wound assessment", "note".
    pub fn unsaved(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.has_observations() {
            out.push("observations");
        }
        if self.has_wound() {
            out.push("wound assessment");
        }
        if !self.note.trim().is_empty() {
            out.push("note");
        }
        out
    }

    /// The observations as typed so far (`None` if none are), or what is wrong with them.
    pub fn observations(&self) -> Result<Option<Observations>> {
        if !self.has_observations() {
            return Ok(None);
        }
        fn whole(s: &str, what: &str) -> Result<Option<u16>> {
            match s.trim() {
                "" => Ok(None),
                t => t
                    .parse()
                    .map(Some)
                    .map_err(|_| Error::Input(format!("{what} '{t}' is not a whole number"))),
            }
        }
        let temperature = match self.temperature.trim() {
            "" => None,
            t => Some(
                t.parse::<f64>().map_err(|_| Error::Input(format!("temperature '{t}' is not a number")))?,
            ),
        };
        let obs = Observations {
            respiration_rate: whole(&self.respiration_rate, "respiration rate")?,
            spo2: whole(&self.spo2, "SpO2")?,
            on_oxygen: self.on_oxygen,
            systolic_bp: whole(&self.systolic_bp, "systolic BP")?,
            pulse: whole(&self.pulse, "pulse")?,
            consciousness: self.consciousness,
            temperature,
        };
        obs.validate()?;
        Ok(Some(obs))
    }

    /// The wound assessment as typed (`None` if nothing is), or what is missing from it.
    pub fn wound(&self) -> Result<Option<NewWound>> {
        if !self.has_wound() {
            return Ok(None);
        }
        let cm = |s: &str, what: &str| -> Result<f64> {
            s.trim().parse().map_err(|_| {
                Error::Input(format!("the wound's {what} '{}' is not a number of centimetres", s.trim()))
            })
        };
        Ok(Some(NewWound {
            site: self.wound_site.trim().to_owned(),
            length_cm: cm(&self.wound_length_cm, "length")?,
            width_cm: cm(&self.wound_width_cm, "width")?,
            depth_cm: None,
            tissue: None,
            exudate: self
                .wound_exudate
                .ok_or_else(|| Error::Input("choose the wound's exudate level".into()))?,
            signs_of_infection: self.wound_infection,
            pain_score: None,
            dressing: Some(self.wound_dressing.trim().to_owned()).filter(|d| !d.is_empty()),
        }))
    }

    /// The draft in words, for keeping with a cancelled visit.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.has_observations() {
            let o = |s: &String| if s.trim().is_empty() { "-".to_owned() } else { s.trim().to_owned() };
            parts.push(format!(
                "observations typed: RR {}, SpO2 {}, {}, BP {}, pulse {}, {}, temperature {}",
                o(&self.respiration_rate),
                o(&self.spo2),
                match self.on_oxygen {
                    Some(true) => "on oxygen",
                    Some(false) => "on air",
                    None => "air or oxygen not recorded",
                },
                o(&self.systolic_bp),
                o(&self.pulse),
                self.consciousness.map_or("ACVPU not recorded".to_owned(), |c| format!("{c:?}")),
                o(&self.temperature),
            ));
        }
        if self.has_wound() {
            parts.push(format!(
                "wound typed: {} {} x {} cm{}",
                self.wound_site.trim(),
                self.wound_length_cm.trim(),
                self.wound_width_cm.trim(),
                self.wound_exudate.map(|e| format!(", exudate {e}")).unwrap_or_default()
            ));
        }
        if !self.note.trim().is_empty() {
            parts.push(format!("note typed: {}", self.note.trim()));
        }
        parts.join("\n")
    }
}

/// A visit this clinician started and has neither signed nor cancelled.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OpenVisit {
    pub visit: VisitId,
    pub patient: PatientId,
    pub started_at: Timestamp,
    /// Something is typed into it and not saved.
    pub unsaved: bool,
}

pub(super) async fn put_visit_draft(cx: &Context, visit: VisitId, draft: &VisitDraft) -> Result<()> {
    let patient = super::access::patient_of_visit(cx, visit).await?;
    let mut tx = cx.store.begin_write().await?;
    match tx.visit_summary(&visit).await? {
        Some(v) if v.signed => return Err(Error::VisitSigned(visit.to_hex())),
        Some(v) if v.cancelled => return Err(Error::VisitCancelled(visit.to_hex())),
        _ => {}
    }
    if draft.is_empty() {
        tx.delete_setting(&setting(visit)).await?;
    } else {
        let stored = Stored { patient, updated_at: Timestamp::now(), draft: draft.clone() };
        let bytes = zeroize::Zeroizing::new(postcard::to_stdvec(&stored).expect("encodes"));
        tx.put_setting(&setting(visit), &bytes).await?;
    }
    tx.commit().await
}

pub(super) async fn visit_draft(cx: &Context, visit: VisitId) -> Result<Option<VisitDraft>> {
    visit_draft_in(&mut cx.store.begin_read().await?, visit).await
}

pub(crate) async fn visit_draft_in(
    tx: &mut impl crate::store::Reads,
    visit: VisitId,
) -> Result<Option<VisitDraft>> {
    Ok(read(tx.setting(&setting(visit)).await?.as_ref().map(|b| b.as_slice()))?.map(|s| s.draft))
}

pub(super) async fn visit_in_progress(cx: &Context) -> Result<Option<(PatientId, VisitId)>> {
    let mut rx = cx.store.begin_read().await?;
    let mut newest: Option<(Timestamp, PatientId, VisitId)> = None;
    for name in rx.setting_names(PREFIX).await? {
        let Some(visit) = name.strip_prefix(PREFIX).and_then(|h| h.parse::<VisitId>().ok()) else {
            continue;
        };
        // A visit signed or cancelled since (on another device) is not in progress.
        let open = rx.visit_summary(&visit).await?.is_some_and(|v| !v.signed && !v.cancelled);
        if open
            && let Some(s) = read(rx.setting(&name).await?.as_ref().map(|b| b.as_slice()))?
            && newest.as_ref().is_none_or(|(at, _, _)| s.updated_at > *at)
        {
            newest = Some((s.updated_at, s.patient, visit));
        }
    }
    Ok(newest.map(|(_, p, v)| (p, v)))
}

pub(super) async fn save_visit_draft(cx: &Context, visit: VisitId) -> Result<SavedDraft> {
    cx.permit(Action::RecordVisit, None).await?;
    let mut tx = cx.store.begin_write().await?;
    let Some(draft) = visit_draft_in(&mut tx, visit).await? else {
        return Ok(SavedDraft::default());
    };
    let (obs, wound) = (draft.observations()?, draft.wound()?);
    let mut saved = SavedDraft::default();
    if let Some(obs) = obs {
        saved.observations = Some(super::visit::record_observations_in(cx, &mut tx, visit, obs).await?);
    }
    if let Some(wound) = wound {
        super::visit::record_wound_in(cx, &mut tx, visit, wound).await?;
        saved.wound = true;
    }
    if !draft.note.trim().is_empty() {
        super::visit::add_note_in(cx, &mut tx, visit, &draft.note).await?;
        saved.note = true;
    }
    tx.delete_setting(&setting(visit)).await?;
    tx.commit().await?;
    Ok(saved)
}

pub(super) async fn cancel_visit(cx: &Context, visit: VisitId, reason: &str) -> Result<()> {
    cx.permit(Action::RecordVisit, None).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input("say why the visit is cancelled".into()));
    }
    let mut tx = cx.store.begin_write().await?;
    let mut edit = cx.begin_visit_edit(&mut tx, visit, Signing::Unsigned).await?;
    let discarded = visit_draft_in(&mut tx, visit).await?.map(|d| d.describe()).unwrap_or_default();
    edit.note.value.cancelled =
        Some(Cancellation { by: edit.by.clone(), at: edit.at, reason: reason.to_owned(), discarded });
    tx.delete_setting(&setting(visit)).await?;
    let audited = (AuditAction::Edit, format!("cancelled visit {visit}: {reason}"));
    cx.finish_visit_edit(&mut tx, edit, "cancel visit", audited).await?;
    tx.commit().await
}

pub(super) async fn open_visits(cx: &Context) -> Result<Vec<OpenVisit>> {
    let since = Timestamp(Timestamp::now().0 - 30 * 86_400_000);
    let mut rx = cx.store.begin_read().await?;
    let drafts = rx.setting_names(PREFIX).await?;
    let me = cx.me.clinician_id.to_hex();
    let mut out: Vec<OpenVisit> = rx
        .visits_since(since)
        .await?
        .into_iter()
        .filter(|v| !v.signed && !v.cancelled && v.clinician.id == me)
        .map(|v| OpenVisit {
            visit: v.id,
            patient: v.patient_id,
            started_at: v.started_at,
            unsaved: drafts.contains(&setting(v.id)),
        })
        .collect();
    out.sort_by_key(|v| v.started_at.0);
    Ok(out)
}

fn read(bytes: Option<&[u8]>) -> Result<Option<Stored>> {
    bytes
        .map(|b| postcard::from_bytes(b).map_err(|e| Error::Corrupt(format!("a visit draft: {e}"))))
        .transpose()
}
