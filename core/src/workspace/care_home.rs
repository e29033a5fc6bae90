//! Care-home rounds: the residents of one home on the caseload, in the order a clinician
//! walks the corridors (by room, then by name).

use super::Context;
use crate::error::Result;
use crate::store::PatientSummary;
use serde::Serialize;

/// One care home and the residents on the caseload who live there.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CareHome {
    pub name: String,
    pub residents: Vec<PatientSummary>,
}

/// The care home an address names: the part that says "care home" or "nursing home".
pub fn care_home_of(address: &str) -> Option<&str> {
    address.split(',').map(str::trim).find(|part| {
        let lower = part.to_lowercase();
        lower.contains("care home") || lower.contains("nursing home")
    })
}

/// "Room 12" (or "Flat 3", "Room 4a") anywhere in the address, as a number to walk by.
fn room_of(address: &str) -> Option<u32> {
    address.split(',').map(str::trim).find_map(|part| {
        let mut words = part.split_whitespace();
        let first = words.next()?.to_lowercase();
        if first != "room" && first != "flat" {
            return None;
        }
        let digits: String = words.next()?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// Groups a caseload by care home, homes by name, residents by room then name. Patients
/// living elsewhere are left out.
pub fn care_homes(caseload: Vec<PatientSummary>) -> Vec<CareHome> {
    let mut homes: Vec<CareHome> = Vec::new();
    for p in caseload {
        let Some(home) = p.address.as_deref().and_then(care_home_of) else { continue };
        let key = home.to_lowercase();
        match homes.iter_mut().find(|h| h.name.to_lowercase() == key) {
            Some(h) => h.residents.push(p),
            None => homes.push(CareHome { name: home.to_owned(), residents: vec![p] }),
        }
    }
    for h in &mut homes {
        h.residents.sort_by(|a, b| {
            let room = |p: &PatientSummary| p.address.as_deref().and_then(room_of).unwrap_or(u32::MAX);
            room(a).cmp(&room(b)).then_with(|| a.name.cmp(&b.name))
        });
    }
    homes.sort_by(|a, b| a.name.cmp(&b.name));
    homes
}

pub(super) async fn caseload_care_homes(cx: &Context) -> Result<Vec<CareHome>> {
    Ok(care_homes(super::patients::caseload(cx).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident(name: &str, address: Option<&str>) -> PatientSummary {
        PatientSummary::of(name, "9990001235", address)
    }

    #[test]
    fn residents_are_grouped_by_home_and_walked_by_room_then_name() {
        let homes = care_homes(vec![
            resident("Walter Gorringe", Some("Room 12, Bramblewood House Care Home, Little Wyck")),
            resident("Ivy Coombe", Some("14 Mill Lane, Coldharbour")),
            resident("Doris Elmore", Some("Room 3, bramblewood house care home, Little Wyck")),
            resident("Arthur Dunsford", Some("The Larches Nursing Home, Coldharbour")),
            resident("Beryl Ashdown", Some("Room 3, Bramblewood House Care Home, Little Wyck")),
            resident("Cyril Farrant", None),
        ]);
        let names: Vec<(&str, Vec<&str>)> = homes
            .iter()
            .map(|h| (h.name.as_str(), h.residents.iter().map(|r| r.name.as_str()).collect()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Bramblewood House Care Home", vec!["Beryl Ashdown", "Doris Elmore", "Walter Gorringe"]),
                ("The Larches Nursing Home", vec!["Arthur Dunsford"]),
            ]
        );
    }

    #[test]
    fn only_an_address_naming_a_home_is_a_care_home() {
        assert_eq!(
            care_home_of("Room 4, Saltings Court Care Home, Thornbury Parva"),
            Some("Saltings Court Care Home")
        );
        assert_eq!(care_home_of("2 Homefield Road, Coldharbour"), None);
        assert_eq!(room_of("Room 4a, Saltings Court Care Home"), Some(4));
        assert_eq!(room_of("Flat 9, Orchard Close"), Some(9));
        assert_eq!(room_of("9 Orchard Close"), None);
    }
}
