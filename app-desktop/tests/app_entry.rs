//! Entering a visit quickly and legibly: choice rows that are one Tab stop each, input
//! boxes that can be seen in daylight, and text that can be made larger and stays so.

use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_desktop::gui::HedgerowApp;

mod gui;

use gui::{PASS, harness, type_into, unlock, workspace};

fn start_visit_to_winifred(h: &mut egui_kittest::Harness<'_, HedgerowApp>) {
    type_into(h, "Find a patient", "Winifred");
    h.get_all_by_label("Winifred Ashdown").next().unwrap().click();
    h.run();
    h.get_by_label("Start a visit").click();
    h.run();
}

fn selected(h: &egui_kittest::Harness<'_, HedgerowApp>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
}

#[test]
fn acvpu_is_one_tab_stop_and_the_arrow_keys_move_the_choice() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    start_visit_to_winifred(&mut h);

    // From the air-or-oxygen row, one Tab reaches ACVPU and the next leaves it.
    h.get_by_label("On air").focus();
    h.run();
    h.key_press(egui::Key::Tab);
    h.run();
    assert!(h.get_by_label("Alert").is_focused(), "Tab reaches the first ACVPU choice");
    h.key_press(egui::Key::ArrowRight);
    h.run();
    h.run();
    assert!(selected(&h, "New confusion"), "the arrow moved the choice");
    assert!(!selected(&h, "Alert"));
    assert!(h.query_by_label_contains("NEWS2 PARTIAL: at least 3").is_some(), "new confusion scores 3");
    h.key_press(egui::Key::Tab);
    h.run();
    assert!(h.get_by_label("Wound site").is_focused(), "one more Tab leaves the ACVPU row");
}

#[test]
fn input_boxes_have_a_visible_edge_and_every_text_colour_reads_at_wcag_aa() {
    use hedgerow_desktop::gui::style;
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    let v = h.ctx.global_style().visuals.clone();
    let field = v.text_edit_bg_color();
    let edge = v.widgets.inactive.bg_stroke;
    assert!(edge.width >= 1.0, "input boxes have a border");
    assert!(style::contrast(edge.color, field) >= 3.0, "the border reads against the box");
    assert!(style::contrast(edge.color, v.panel_fill) >= 3.0, "and against the panel");
    for text in [v.text_color(), v.widgets.inactive.text_color(), v.weak_text_color()] {
        assert!(style::contrast(text, v.panel_fill) >= 4.5, "{text:?} on the panel");
        assert!(style::contrast(text, field) >= 4.5, "{text:?} in a box");
    }
    for colour in style::TEXT_COLOURS {
        assert!(style::contrast(colour, v.panel_fill) >= 4.5, "{colour:?} on the panel");
    }
}

#[test]
fn a_larger_text_size_is_chosen_in_the_app_and_kept_for_the_next_time() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    assert_eq!(h.ctx.zoom_factor(), 1.0);
    h.get_by_label("Text size").click();
    h.run();
    h.get_by_label("Larger text").click();
    h.run();
    assert_eq!(h.ctx.zoom_factor(), 1.15);
    assert!(h.query_by_label("Find a patient").is_some(), "Today still lays out");
    drop(h);

    // The next time the app opens, even the lock screen is at that size.
    let h = harness(tmp.path());
    assert_eq!(h.ctx.zoom_factor(), 1.15);
    assert!(h.query_by_label("Passphrase").is_some());
}
