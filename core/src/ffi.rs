//! How the core's own types cross to Kotlin, Swift and Python (the `uniffi` feature): ids
//! as their hex text, times as the platform's instant. The mobile crate re-exports them.

use crate::clinical::news2::{News2Score, RiskBand};
use crate::documents::Timestamp;
use crate::documents::patient::CprRecommendation;
use crate::ids::{ClinicianId, DeviceId, PatientId, TeamId, VisitId};
use crate::store::{LatestNews2, PatientSummary};
use crate::view::{Disputed, ReviewDueToday, TaskDueToday, Watched};
use chrono::NaiveDate;
use std::time::{Duration, SystemTime};

macro_rules! id_as_text {
    ($($id:ident),+) => {
        $(uniffi::custom_type!($id, String, {
            lower: |id| id.to_hex(),
            try_lift: |text| Ok(text.parse::<$id>()?),
        });)+
    };
}
id_as_text!(PatientId, VisitId, TeamId, ClinicianId, DeviceId);

uniffi::custom_type!(Timestamp, SystemTime, {
    lower: |t| {
        let ms = Duration::from_millis(t.0.unsigned_abs());
        if t.0 >= 0 { SystemTime::UNIX_EPOCH + ms } else { SystemTime::UNIX_EPOCH - ms }
    },
    try_lift: |t| Ok(Timestamp(match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis())?,
        Err(before) => -i64::try_from(before.duration().as_millis())?,
    })),
});

// Calendar dates cross as the record writes them, YYYY-MM-DD.
uniffi::custom_type!(NaiveDate, String, {
    remote,
    lower: |d| d.format("%Y-%m-%d").to_string(),
    try_lift: |text| Ok(crate::view::parse_date(&text, "the date")?),
});

/// The CPR recommendation as a screen must show it: `decided` only when settled (`None`
/// when none is recorded or while disputed), and every recommendation while disputed.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct WatchedCprRecommendation {
    pub decided: Option<CprRecommendation>,
    pub disputed: Option<Disputed>,
}

/// SpO2 Scale 2 as a screen must show it: `decided` is true only when settled on Scale 2.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct WatchedScale2 {
    pub decided: bool,
    pub disputed: Option<Disputed>,
}

type CprField = Watched<Option<CprRecommendation>>;
type Scale2Field = Watched<bool>;

fn watched<T>(value: T, disputed: Option<Disputed>) -> Watched<T> {
    match disputed {
        None => Watched::Settled { value },
        Some(d) => Watched::Disputed { label: d.label, values: d.values },
    }
}

uniffi::custom_type!(CprField, WatchedCprRecommendation, {
    lower: |w| WatchedCprRecommendation { decided: w.settled().copied().flatten(), disputed: Disputed::of(&w) },
    try_lift: |d| Ok(watched(d.decided, d.disputed)),
});

uniffi::custom_type!(Scale2Field, WatchedScale2, {
    lower: |w| WatchedScale2 { decided: w.settled() == Some(&true), disputed: Disputed::of(&w) },
    try_lift: |d| Ok(watched(d.decided, d.disputed)),
});

// Words the core decides, as methods in Kotlin and Swift.

#[uniffi::export]
impl LatestNews2 {
    /// "NEWS2 6, medium risk" or "NEWS2 at least 3, incomplete".
    #[uniffi::method(name = "label")]
    pub fn ffi_label(&self) -> String {
        self.label()
    }

    /// The band to colour by; none (a neutral colour) for an incomplete set.
    #[uniffi::method(name = "complete_band")]
    pub fn ffi_complete_band(&self) -> Option<RiskBand> {
        self.complete_band()
    }
}

#[uniffi::export]
impl News2Score {
    /// One line a clinician reads at a glance.
    #[uniffi::method(name = "headline")]
    pub fn ffi_headline(&self) -> String {
        self.headline()
    }

    /// What to do, under the score ("At least: ..." for an incomplete set); none while an
    /// incomplete set's known parameters score 0.
    #[uniffi::method(name = "advice")]
    pub fn ffi_advice(&self) -> Option<String> {
        self.advice_line()
    }

    /// The least often to observe, beside the advice.
    #[uniffi::method(name = "monitoring")]
    pub fn ffi_monitoring(&self) -> Option<String> {
        self.advice().map(|_| self.response.monitoring().to_owned())
    }

    /// "NEWS2 6, medium risk" or "NEWS2 at least 3, incomplete".
    #[uniffi::method(name = "label")]
    pub fn ffi_label(&self) -> String {
        self.label()
    }
}

#[uniffi::export]
impl PatientSummary {
    /// "CPR: do not attempt CPR (DNACPR)", "CPR: no decision recorded" or "CPR: DISPUTED".
    #[uniffi::method(name = "cpr_banner")]
    pub fn ffi_cpr_banner(&self) -> String {
        self.cpr_banner()
    }

    /// The NHS number as written for people: "943 476 5919".
    #[uniffi::method(name = "nhs_display")]
    pub fn ffi_nhs_display(&self) -> String {
        self.nhs_display()
    }
}

#[uniffi::export]
impl TaskDueToday {
    /// "2026-11-20 OVERDUE" or the due date.
    #[uniffi::method(name = "when")]
    pub fn ffi_when(&self) -> String {
        self.when()
    }
}

#[uniffi::export]
impl ReviewDueToday {
    /// "2026-11-20 OVERDUE by 5 day(s)" or "2026-11-25 due today".
    #[uniffi::method(name = "when")]
    pub fn ffi_when(&self) -> String {
        self.when()
    }
}
