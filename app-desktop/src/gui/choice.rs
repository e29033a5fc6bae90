//! One choice of a few (ACVPU, air or oxygen, exudate) as a row of buttons that is a single
//! Tab stop, the way a radio group is: Tab reaches the chosen one (or the first), the arrow
//! keys move the choice, and Tab again goes on to the next field. A nurse typing a set of
//! observations is not made to step through five buttons to reach the temperature.

pub fn one_of<T: Copy + PartialEq>(ui: &mut egui::Ui, value: &mut Option<T>, options: &[(T, &str)]) {
    let stop = options.iter().position(|(v, _)| Some(*v) == *value).unwrap_or(0);
    let mut responses = Vec::with_capacity(options.len());
    for (i, (option, name)) in options.iter().enumerate() {
        let sense = if i == stop { egui::Sense::click() } else { egui::Sense::CLICK };
        let selected = Some(*option) == *value;
        // Framed whether chosen or not, so each choice reads as a button in daylight.
        let response = ui.add(egui::Button::new(*name).selected(selected).sense(sense));
        if response.clicked() {
            *value = Some(*option);
        }
        // Read out as the radio group it is, with which one is chosen.
        let chosen = Some(*option) == *value;
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::RadioButton, true, chosen, *name));
        responses.push(response);
    }
    let focused = &responses[stop];
    if !focused.has_focus() {
        return;
    }
    let filter = egui::EventFilter { horizontal_arrows: true, ..Default::default() };
    ui.memory_mut(|m| m.set_focus_lock_filter(focused.id, filter));
    let (left, right) =
        ui.input(|i| (i.key_pressed(egui::Key::ArrowLeft), i.key_pressed(egui::Key::ArrowRight)));
    let next = match (left, right) {
        (true, false) => stop.checked_sub(1),
        (false, true) => Some(stop + 1).filter(|n| *n < options.len()),
        _ => None,
    };
    if let Some(n) = next {
        *value = Some(options[n].0);
        // The newly chosen button is the group's Tab stop from the next frame on.
        ui.memory_mut(|m| m.request_focus(responses[n].id));
        ui.ctx().request_repaint();
    }
}
