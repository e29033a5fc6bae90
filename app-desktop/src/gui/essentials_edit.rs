//! Keeping the visit essentials up to date from the record: the address, phone and how to get
//! in, the GP practice, the key worker and hospice, the ReSPECT review date, and the people
//! to call. Only what the clinician changed is written, each by the core call that checks it
//! (so an administrator may fix an address but not the ReSPECT review date).

use hedgerow_core::Workspace;
use hedgerow_core::view::ContactRelationship;
use hedgerow_core::view::GpPractice;
use hedgerow_core::workspace::NewContact;
use hedgerow_core::workspace::{DetailsUpdate, EndOfLifeUpdate, LPA_KINDS, PatientView};

/// The form as typed, starting from the record.
pub struct EssentialsForm {
    address: String,
    phone: String,
    access_notes: String,
    gp_name: String,
    gp_ods: String,
    gp_phone: String,
    key_worker: String,
    hospice: String,
    respect_review: String,
    contact: NewContactForm,
}

struct NewContactForm {
    name: String,
    relationship: ContactRelationship,
    phone: String,
    next_of_kin: bool,
    main_carer: bool,
    lpa: Option<&'static str>,
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// `Some(new)` when it differs from what the record holds (an emptied field clears it).
fn changed(new: &str, old: &Option<String>) -> Option<String> {
    let new = new.trim();
    (new != old.as_deref().unwrap_or("").trim()).then(|| new.to_owned())
}

impl EssentialsForm {
    pub fn new(view: &PatientView) -> Self {
        let r = &view.record;
        let gp = r.gp_practice.clone();
        Self {
            address: text(&r.demographics.address),
            phone: text(&r.demographics.phone),
            access_notes: text(&r.demographics.access_notes),
            gp_name: gp.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
            gp_ods: gp.as_ref().and_then(|g| g.ods_code.clone()).unwrap_or_default(),
            gp_phone: gp.as_ref().and_then(|g| g.phone.clone()).unwrap_or_default(),
            key_worker: text(&r.end_of_life.key_worker),
            hospice: text(&r.end_of_life.hospice),
            respect_review: text(&r.end_of_life.respect_review_date),
            contact: NewContactForm {
                name: String::new(),
                relationship: ContactRelationship::Child,
                phone: String::new(),
                next_of_kin: false,
                main_carer: false,
                lpa: None,
            },
        }
    }

    /// Returns Ok(true) once something was written, so the record is read again.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
    ) -> Result<bool, String> {
        let call = |e: hedgerow_core::Error| e.to_string();
        let mut done = false;
        // Its own scroll, so the record's tabs stay in reach on a small screen.
        let scroll = egui::ScrollArea::vertical().id_salt("essentials-form").max_height(320.0);
        scroll
            .show(ui, |ui| {
                egui::Frame::group(ui.style())
                    .show(ui, |ui| -> Result<(), String> {
                        ui.strong("Edit the visit essentials");
                        egui::Grid::new("edit-essentials").num_columns(2).spacing([12.0, 6.0]).show(
                            ui,
                            |ui| {
                                for (label, value) in [
                                    ("Home address", &mut self.address),
                                    ("Patient's phone", &mut self.phone),
                                    ("Access notes (key safe, parking, pets)", &mut self.access_notes),
                                    ("GP practice name", &mut self.gp_name),
                                    ("GP practice ODS code", &mut self.gp_ods),
                                    ("GP practice phone", &mut self.gp_phone),
                                    ("Key worker's name and role", &mut self.key_worker),
                                    ("Hospice team involved", &mut self.hospice),
                                    ("ReSPECT review date (YYYY-MM-DD)", &mut self.respect_review),
                                ] {
                                    super::edit::text_field(ui, label, value, 420.0);
                                    ui.end_row();
                                }
                            },
                        );
                        if ui.button("Save the essentials").clicked() {
                            done |= self.save(rt, ws, view)?;
                        }
                        ui.separator();
                        ui.strong("People to call");
                        for c in &view.record.contacts {
                            ui.horizontal(|ui| -> Result<(), String> {
                                let mut roles = Vec::new();
                                if c.next_of_kin {
                                    roles.push("next of kin".to_owned());
                                }
                                if c.main_informal_carer {
                                    roles.push("main carer".to_owned());
                                }
                                if let Some((_, lpa)) = LPA_KINDS
                                    .iter()
                                    .find(|(k, _)| Some(*k) == c.lasting_power_of_attorney.as_deref())
                                {
                                    roles.push(format!("LPA {lpa}"));
                                }
                                ui.label(format!(
                                    "{} ({}), {}{}",
                                    c.name,
                                    c.relationship.label(),
                                    c.phone.as_deref().unwrap_or("no phone recorded"),
                                    if roles.is_empty() {
                                        String::new()
                                    } else {
                                        format!("; {}", roles.join(", "))
                                    }
                                ));
                                if ui.button(format!("Remove {}", c.name)).clicked() {
                                    rt.block_on(ws.remove_contact(view.summary.id, &c.id)).map_err(call)?;
                                    done = true;
                                }
                                Ok(())
                            })
                            .inner?;
                        }
                        done |= self.contact(ui, rt, ws, view)?;
                        Ok(())
                    })
                    .inner
            })
            .inner?;
        Ok(done)
    }

    fn save(
        &mut self,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
    ) -> Result<bool, String> {
        let call = |e: hedgerow_core::Error| e.to_string();
        let r = &view.record;
        let d = &r.demographics;
        let gp_before = r.gp_practice.clone();
        let gp_changed = changed(&self.gp_name, &gp_before.as_ref().map(|g| g.name.clone())).is_some()
            || changed(&self.gp_ods, &gp_before.as_ref().and_then(|g| g.ods_code.clone())).is_some()
            || changed(&self.gp_phone, &gp_before.as_ref().and_then(|g| g.phone.clone())).is_some();
        let details = DetailsUpdate {
            address: changed(&self.address, &d.address),
            phone: changed(&self.phone, &d.phone),
            access_notes: changed(&self.access_notes, &d.access_notes),
            gp_practice: gp_changed.then(|| GpPractice {
                name: self.gp_name.trim().to_owned(),
                ods_code: super::edit::optional(&self.gp_ods),
                phone: super::edit::optional(&self.gp_phone),
            }),
            ..Default::default()
        };
        let e = &r.end_of_life;
        let respect_review_date = changed(&self.respect_review, &e.respect_review_date)
            .filter(|d| !d.is_empty())
            .map(|d| hedgerow_core::view::parse_date(&d, "the ReSPECT review date"))
            .transpose()
            .map_err(call)?;
        // The end of life plan keeps a value once set: emptying one here changes nothing.
        let end_of_life = EndOfLifeUpdate {
            key_worker: changed(&self.key_worker, &e.key_worker).filter(|k| !k.is_empty()),
            hospice: changed(&self.hospice, &e.hospice).filter(|h| !h.is_empty()),
            respect_review_date,
            ..Default::default()
        };
        let details_changed = details.address.is_some()
            || details.phone.is_some()
            || details.access_notes.is_some()
            || details.gp_practice.is_some();
        let eol_changed = end_of_life.key_worker.is_some()
            || end_of_life.hospice.is_some()
            || end_of_life.respect_review_date.is_some();
        if !details_changed && !eol_changed {
            return Err("nothing to save: the essentials are as the record has them".into());
        }
        if details_changed {
            rt.block_on(ws.update_details(view.summary.id, details)).map_err(call)?;
        }
        if eol_changed {
            rt.block_on(ws.update_end_of_life(view.summary.id, end_of_life)).map_err(call)?;
        }
        Ok(true)
    }

    fn contact(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
    ) -> Result<bool, String> {
        let c = &mut self.contact;
        let mut add = false;
        ui.horizontal_wrapped(|ui| {
            super::edit::text_field(ui, "Contact's name", &mut c.name, 180.0);
            egui::ComboBox::from_label("Relationship").selected_text(c.relationship.label()).show_ui(
                ui,
                |ui| {
                    for r in ContactRelationship::ALL {
                        ui.selectable_value(&mut c.relationship, *r, r.label());
                    }
                },
            );
            super::edit::text_field(ui, "Contact's phone", &mut c.phone, 130.0);
            ui.checkbox(&mut c.next_of_kin, "next of kin");
            ui.checkbox(&mut c.main_carer, "main carer");
            let shown =
                c.lpa.and_then(|k| LPA_KINDS.iter().find(|(s, _)| *s == k)).map_or("none", |(_, n)| *n);
            egui::ComboBox::from_label("Lasting power of attorney").selected_text(shown).show_ui(ui, |ui| {
                ui.selectable_value(&mut c.lpa, None, "none");
                for (k, n) in LPA_KINDS {
                    ui.selectable_value(&mut c.lpa, Some(k), n);
                }
            });
            add = ui.button("Add the contact").clicked();
        });
        if !add {
            return Ok(false);
        }
        let new = NewContact {
            name: c.name.clone(),
            relationship: c.relationship,
            phone: Some(c.phone.clone()),
            next_of_kin: c.next_of_kin,
            main_informal_carer: c.main_carer,
            lasting_power_of_attorney: c.lpa.map(str::to_owned),
        };
        rt.block_on(ws.add_contact(view.summary.id, new)).map_err(|e| e.to_string())?;
        c.name.clear();
        c.phone.clear();
        c.next_of_kin = false;
        c.main_carer = false;
        c.lpa = None;
        Ok(true)
    }
}
