//! Colours and text sizes: calm, legible, with danger unmistakable.

use egui::Color32;
use hedgerow_core::clinical::RiskBand;

pub const DANGER: Color32 = Color32::from_rgb(176, 0, 0);
pub const WARN: Color32 = Color32::from_rgb(170, 90, 0);
pub const OK: Color32 = Color32::from_rgb(20, 110, 40);

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
