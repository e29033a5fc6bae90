//! The observations chart: NEWS2 over time with its bands, then each vital sign with every
//! reading coloured by the points it scored (green 0, amber 1-2, red 3).

use super::style;
use egui_plot::{HLine, Line, Plot, PlotPoints, Points};
use hedgerow_core::clinical::news2::Parameter;
use hedgerow_core::documents::Timestamp;
use hedgerow_core::workspace::ScoredObservations;

const DAY_MS: f64 = 86_400_000.0;

/// One vital sign's chart: the NEWS2 parameter it scores as, its title, and its reading.
type Vital = (Parameter, &'static str, fn(&ScoredObservations) -> Option<f64>);

fn score_colour(score: u8) -> egui::Color32 {
    match score {
        0 => style::OK,
        1 | 2 => style::WARN,
        _ => style::DANGER,
    }
}

/// Days before now, so the axis reads "-14" for a fortnight ago.
fn x(at: Timestamp, now: Timestamp) -> f64 {
    (at.0 - now.0) as f64 / DAY_MS
}

pub fn show(ui: &mut egui::Ui, history: &[ScoredObservations]) {
    if history.is_empty() {
        ui.label("No observations recorded yet.");
        return;
    }
    let now = Timestamp::now();
    ui.label(format!(
        "{} sets of observations; days before today along the bottom. NEWS2 bands: 0-4 low, 5-6 medium, 7+ high.",
        history.len()
    ));
    let news2: Vec<[f64; 2]> =
        history.iter().map(|s| [x(s.observations.recorded_at, now), f64::from(s.news2.total)]).collect();
    ui.strong("NEWS2");
    Plot::new("news2").height(200.0).include_y(0.0).include_y(10.0).show(ui, |plot| {
        for (y, colour) in [(5.0, style::WARN), (7.0, style::DANGER)] {
            plot.hline(HLine::new("", y).color(colour));
        }
        plot.line(Line::new("NEWS2", PlotPoints::from(news2.clone())));
        plot.points(Points::new("readings", PlotPoints::from(news2)).radius(4.0));
    });
    let vitals: [Vital; 5] = [
        (Parameter::RespirationRate, "Respiration rate (per minute)", |s| {
            s.observations.respiration_rate.map(|v| v as f64)
        }),
        (Parameter::Spo2, "SpO2 (%)", |s| s.observations.spo2.map(|v| v as f64)),
        (Parameter::SystolicBp, "Systolic blood pressure (mmHg)", |s| {
            s.observations.systolic_bp.map(|v| v as f64)
        }),
        (Parameter::Pulse, "Pulse (per minute)", |s| s.observations.pulse.map(|v| v as f64)),
        (Parameter::Temperature, "Temperature (°C)", |s| s.observations.temperature_c),
    ];
    ui.columns(2, |cols| {
        for (i, (parameter, title, value)) in vitals.iter().enumerate() {
            let ui = &mut cols[i % 2];
            ui.strong(*title);
            let readings: Vec<(f64, f64, u8)> = history
                .iter()
                .filter_map(|s| {
                    let v = value(s)?;
                    let score = s
                        .news2
                        .components
                        .iter()
                        .find(|c| c.parameter == *parameter)
                        .map(|c| c.score)
                        .unwrap_or(0);
                    Some((x(s.observations.recorded_at, now), v, score))
                })
                .collect();
            if readings.is_empty() {
                ui.label("Not recorded.");
                continue;
            }
            Plot::new(*title).height(150.0).show(ui, |plot| {
                let line: Vec<[f64; 2]> = readings.iter().map(|(t, v, _)| [*t, *v]).collect();
                plot.line(Line::new(*title, PlotPoints::from(line)).color(egui::Color32::GRAY));
                for score in 0..=3u8 {
                    let pts: Vec<[f64; 2]> =
                        readings.iter().filter(|r| r.2 == score).map(|(t, v, _)| [*t, *v]).collect();
                    if !pts.is_empty() {
                        let name = format!("scored {score}");
                        plot.points(
                            Points::new(name, PlotPoints::from(pts)).radius(4.0).color(score_colour(score)),
                        );
                    }
                }
            });
        }
    });
}
