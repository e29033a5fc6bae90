//! Colours and text sizes: calm, legible, with danger unmistakable.

use egui::Color32;
use hedgerow_core::clinical::RiskBand;

pub const DANGER: Color32 = Color32::from_rgb(176, 0, 0);
pub const WARN: Color32 = Color32::from_rgb(170, 90, 0);
pub const OK: Color32 = Color32::from_rgb(20, 110, 40);

/// For what must not look settled or scored: an incomplete NEWS2.
pub const NEUTRAL: Color32 = Color32::from_rgb(70, 70, 70);

/// The colour of a NEWS2 score: by band when complete, neutral when incomplete (never the
/// green of a low score).
pub fn news2_colour(band: Option<RiskBand>) -> Color32 {
    band.map_or(NEUTRAL, band_colour)
}

pub fn band_colour(band: RiskBand) -> Color32 {
    match band {
        RiskBand::Low => OK,
        RiskBand::LowMedium => Color32::from_rgb(190, 140, 0),
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
    });
}
