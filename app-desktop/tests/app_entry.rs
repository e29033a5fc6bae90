//! Entering a visit quickly and legibly: choice rows that are one Tab stop each, input
//! boxes that can be seen in daylight, and text that can be made larger and stays so.

use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_desktop::gui::HedgerowApp;

mod gui;

use gui::{PASS, harness, open_record, type_into, unlock, workspace};

fn start_visit_to_winifred(h: &mut egui_kittest::Harness<'_, HedgerowApp>) {
    open_record(h, "Winifred Ashdown");
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
    // At the largest size the top bar wraps rather than lay one control over another.
    h.get_by_label("Text size").click();
    h.run();
    h.get_by_label("Largest text").click();
    h.run();
    let screen = h.ctx.content_rect();
    let bar: Vec<egui::Rect> = ["Today", "Conflicts", "Audit log", "Care-home round", "Sync", "Lock"]
        .iter()
        .map(|b| h.get_by_label(b).rect())
        .collect();
    for (i, a) in bar.iter().enumerate() {
        assert!(screen.contains_rect(*a), "{a:?} is on screen {screen:?}");
        for b in &bar[i + 1..] {
            assert!(!a.intersects(*b), "{a:?} overlaps {b:?}");
        }
    }
    h.get_by_label("Text size").click();
    h.run();
    h.get_by_label("Larger text").click();
    h.run();
    drop(h);

    // The next time the app opens, even the lock screen is at that size.
    let h = harness(tmp.path());
    assert_eq!(h.ctx.zoom_factor(), 1.15);
    assert!(h.query_by_label("Passphrase").is_some());
}

#[test]
fn the_visit_essentials_are_kept_up_to_date_in_the_app_and_shown_at_the_door() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    open_record(&mut h, "Winifred Ashdown");
    h.get_by_label("Edit visit essentials").click();
    h.run();
    type_into(&mut h, "Access notes (key safe, parking, pets)", "Key safe 4721, back door");
    type_into(&mut h, "GP practice name", "Little Wyck Surgery");
    type_into(&mut h, "GP practice ODS code", "Y90001");
    type_into(&mut h, "ReSPECT review date (YYYY-MM-DD)", "01/03/2027");
    h.get_by_label("Save the essentials").click();
    h.run();
    assert!(h.query_by_label_contains("is not a date written YYYY-MM-DD").is_some(), "a slip is refused");
    assert!(h.query_by_label("Key safe 4721, back door").is_none(), "and nothing half-saved");
    h.get_by_label("ReSPECT review date (YYYY-MM-DD)").focus();
    h.run();
    for _ in 0.."01/03/2027".len() {
        h.key_press(egui::Key::Backspace);
    }
    h.run();
    type_into(&mut h, "ReSPECT review date (YYYY-MM-DD)", "2027-03-01");
    h.get_by_label("Save the essentials").click();
    h.run();
    // The essentials panel shows what was saved.
    assert!(h.query_by_label("Key safe 4721, back door").is_some());
    assert!(h.query_by_label("Little Wyck Surgery (Y90001)").is_some());
    assert!(h.query_by_label("2027-03-01").is_some(), "the ReSPECT review date");

    // The people to call: next of kin with a lasting power of attorney for health and welfare.
    type_into(&mut h, "Contact's name", "Helen Ashdown");
    type_into(&mut h, "Contact's phone", "07700 900123");
    // The form scrolls on its own, below the essentials, as on a small screen.
    for label in ["next of kin", "Lasting power of attorney"] {
        h.get_by_label(label).scroll_to_me();
        h.run();
        h.get_by_label(label).click();
        h.run();
    }
    h.get_by_label("health and welfare").click();
    h.run();
    h.get_by_label("Add the contact").scroll_to_me();
    h.run();
    h.get_by_label("Add the contact").click();
    h.run();
    let helen = "Helen Ashdown (child), 07700 900123";
    assert_eq!(h.query_all_by_label(helen).count(), 2, "next of kin and LPA (health and welfare)");
    h.get_by_label("Remove Helen Ashdown").scroll_to_me();
    h.run();
    h.get_by_label("Remove Helen Ashdown").click();
    h.run();
    assert_eq!(h.query_all_by_label(helen).count(), 0);
}
