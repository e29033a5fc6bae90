//! The core's closed vocabularies as UniFFI enums. Each converts both ways by an
//! exhaustive match, so a word added in the core fails this build until it is added here.

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident = $core:path { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name { $($variant),+ }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                use $core as Core;
                match v { $(Core::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                use $core as Core;
                match v { $($name::$variant => Core::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    Role = hedgerow_core::documents::Role {
        DistrictNurse,
        CommunityNurse,
        Gp,
        HospiceNurse,
        PalliativeConsultant,
        Paramedic,
        HealthcareAssistant,
        Therapist,
        CareHomeStaff,
        Carer,
        Family,
        Admin,
    }
);
mirror_enum!(
    AlertKind = hedgerow_core::documents::patient::AlertKind {
        LoneWorker,
        Access,
        Safeguarding,
        Infection,
        Communication,
        Clinical,
    }
);
mirror_enum!(
    AllergySeverity = hedgerow_core::documents::patient::AllergySeverity { Mild, Moderate, Severe, Unknown }
);
mirror_enum!(PlanStatus = hedgerow_core::documents::patient::PlanStatus { Active, Resolved, Closed });
mirror_enum!(
    Route = hedgerow_core::documents::patient::Route {
        Oral,
        Subcutaneous,
        Intramuscular,
        Topical,
        Transdermal,
        Inhaled,
        Other,
    }
);
mirror_enum!(
    CprRecommendation = hedgerow_core::documents::patient::CprRecommendation { AttemptCpr, DoNotAttemptCpr }
);
mirror_enum!(
    Place =
        hedgerow_core::documents::patient::Place { Home, CareHome, Hospice, Hospital, Other, NotDiscussed }
);
mirror_enum!(TaskStatus = hedgerow_core::documents::patient::TaskStatus { Open, Done, Cancelled });
mirror_enum!(Gender = hedgerow_core::documents::patient::Gender { Female, Male, Other, Unknown });
mirror_enum!(
    /// ReSPECT section 3: the focus of care.
    CareFocus = hedgerow_core::documents::patient::CareFocus { PrioritiseSustainingLife, Balance, PrioritiseComfort }
);
mirror_enum!(
    /// ReSPECT section 6: who was involved in making the plan.
    Involvement = hedgerow_core::documents::patient::Involvement {
        PatientInvolved,
        LegalProxyInvolved,
        FamilyInvolved,
        NotInvolved,
    }
);
mirror_enum!(
    /// Entries by carers or family are theirs, kept apart from clinical entries.
    EntrySource = hedgerow_core::documents::patient::EntrySource { Clinical, Carer, Family }
);
mirror_enum!(
    ContactRelationship = hedgerow_core::documents::patient::ContactRelationship {
        Spouse,
        Partner,
        Child,
        Sibling,
        Friend,
        Neighbour,
        PaidCarer,
        Other,
    }
);
mirror_enum!(Exudate = hedgerow_core::documents::visit::Exudate { None, Low, Moderate, High });
mirror_enum!(
    AuditAction = hedgerow_core::store::AuditAction {
        Create,
        View,
        Edit,
        Sign,
        Export,
        Import,
        Reindex,
        BreakGlass,
        Sync,
        Team,
        Refused,
    }
);
mirror_enum!(
    /// ACVPU. Anything but Alert scores 3; NewConfusion means new confusion.
    Consciousness = hedgerow_core::clinical::news2::Consciousness {
        Alert, NewConfusion, Voice, Pain, Unresponsive,
    }
);
mirror_enum!(Spo2Scale = hedgerow_core::clinical::news2::Spo2Scale { Scale1, Scale2 });
mirror_enum!(RiskBand = hedgerow_core::clinical::news2::RiskBand { Low, LowMedium, Medium, High });
mirror_enum!(
    /// The clinical response NEWS2 asks for.
    News2Response = hedgerow_core::clinical::news2::Response {
        Routine, RegisteredNurseAssessment, UrgentClinicianReview, UrgentReview, EmergencyResponse,
    }
);
mirror_enum!(
    News2Parameter = hedgerow_core::clinical::news2::Parameter {
        RespirationRate,
        Spo2,
        AirOrOxygen,
        SystolicBp,
        Pulse,
        Consciousness,
        Temperature,
    }
);
mirror_enum!(
    /// Where a sync with the relay has got to.
    SyncPhase = hedgerow_core::workspace::SyncPhase { Connecting, Receiving, Sending, Done }
);
