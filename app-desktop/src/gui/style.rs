//! Colours and text sizes: calm, legible in daylight, with danger unmistakable. Every colour
//! used for text reads at WCAG AA (4.5:1) on the panel, and input boxes have a border that
//! reads at 3:1 (WCAG's contrast for the edges of controls), checked by the tests.

use egui::{Color32, Stroke};
use hedgerow_core::clinical::RiskBand;

pub const DANGER: Color32 = Color32::from_rgb(176, 0, 0);
pub const WARN: Color32 = Color32::from_rgb(170, 90, 0);
pub const OK: Color32 = Color32::from_rgb(20, 110, 40);

/// For what must not look settled or scored: an incomplete NEWS2.
pub const NEUTRAL: Color32 = Color32::from_rgb(70, 70, 70);

/// A low-medium NEWS2: amber, dark enough to read as text.
pub const AMBER: Color32 = Color32::from_rgb(140, 100, 0);

/// The edge of every input box and button.
pub const EDGE: Color32 = Color32::from_gray(118);

/// Every colour text is written in, for the contrast check.
pub const TEXT_COLOURS: [Color32; 5] = [DANGER, WARN, OK, NEUTRAL, AMBER];

/// The colour of a NEWS2 score: by band when complete, neutral when incomplete (never the
/// green of a low score).
pub fn news2_colour(band: Option<RiskBand>) -> Color32 {
    band.map_or(NEUTRAL, band_colour)
}

pub fn band_colour(band: RiskBand) -> Color32 {
    match band {
        RiskBand::Low => OK,
        RiskBand::LowMedium => AMBER,
        RiskBand::Medium => WARN,
        RiskBand::High => DANGER,
    }
}

pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Light);
    ctx.all_styles_mut(|s| {
        s.text_styles.insert(egui::TextStyle::Body, egui::FontId::proportional(15.0));
        s.text_styles.insert(egui::TextStyle::Button, egui::FontId::proportional(15.0));
        s.text_styles.insert(egui::TextStyle::Heading, egui::FontId::proportional(21.0));
        s.spacing.item_spacing = egui::vec2(8.0, 6.0);
        let v = &mut s.visuals;
        v.extreme_bg_color = Color32::WHITE;
        v.widgets.inactive.bg_stroke = Stroke::new(1.0, EDGE);
        v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(40);
        v.widgets.inactive.fg_stroke.color = Color32::from_gray(30);
        v.weak_text_color = Some(Color32::from_gray(95));
    });
}

/// WCAG 2 contrast ratio of two opaque colours, 1 to 21.
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn luminance(c: Color32) -> f32 {
        let lin = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}
