//! What the relay tells its operator, through the `metrics` facade: the process installs a
//! Prometheus exporter (`--metrics ADDR`) and these are its series. Recorded by the driver
//! (`serve.rs`, `RelayState::perform`), never by the session, which stays free of effects.
//! Without an exporter installed every call is a no-op.

use crate::session::SessionStats;
use std::time::Duration;

/// Names the series once, described for `/metrics`.
pub fn describe() {
    metrics::describe_gauge!("hedgerow_relay_connections", "device connections open now");
    metrics::describe_counter!("hedgerow_relay_connections_total", "device connections accepted");
    metrics::describe_counter!("hedgerow_relay_sessions_total", "sessions served, one per stream");
    metrics::describe_counter!("hedgerow_relay_requests_total", "protocol requests handled");
    metrics::describe_counter!("hedgerow_relay_syncs_total", "pulls served to the end, one per sync");
    metrics::describe_counter!("hedgerow_relay_entries_stored_total", "sealed entries stored");
    metrics::describe_counter!("hedgerow_relay_bytes_received_total", "bytes received from devices");
    metrics::describe_counter!("hedgerow_relay_bytes_sent_total", "bytes sent to devices");
    metrics::describe_counter!("hedgerow_relay_refusals_total", "requests refused, by reason");
    metrics::describe_histogram!(
        "hedgerow_relay_storage_seconds",
        metrics::Unit::Seconds,
        "time storage took for one request, by operation"
    );
    metrics::describe_histogram!(
        "hedgerow_relay_flight_seconds",
        metrics::Unit::Seconds,
        "time from a device's bytes arriving to the relay's last reply to them"
    );
}

pub(crate) fn connection_opened() {
    metrics::gauge!("hedgerow_relay_connections").increment(1.0);
    metrics::counter!("hedgerow_relay_connections_total").increment(1);
}

pub(crate) fn connection_closed() {
    metrics::gauge!("hedgerow_relay_connections").decrement(1.0);
}

/// One sync's session over, on a connection that may carry more.
pub(crate) fn session_ended(stats: &SessionStats) {
    metrics::counter!("hedgerow_relay_sessions_total").increment(1);
    metrics::counter!("hedgerow_relay_requests_total").increment(stats.requests);
    metrics::counter!("hedgerow_relay_syncs_total").increment(stats.pulls_done);
    metrics::counter!("hedgerow_relay_entries_stored_total").increment(stats.entries_stored);
}

pub(crate) fn refused(reason: &str) {
    metrics::counter!("hedgerow_relay_refusals_total", "reason" => reason.to_owned()).increment(1);
}

pub(crate) fn received(bytes: usize) {
    metrics::counter!("hedgerow_relay_bytes_received_total").increment(bytes as u64);
}

pub(crate) fn sent(bytes: usize) {
    metrics::counter!("hedgerow_relay_bytes_sent_total").increment(bytes as u64);
}

pub(crate) fn flight(took: Duration) {
    metrics::histogram!("hedgerow_relay_flight_seconds").record(took.as_secs_f64());
}

pub(crate) fn storage_took(operation: &'static str, took: Duration) {
    metrics::histogram!("hedgerow_relay_storage_seconds", "operation" => operation)
        .record(took.as_secs_f64());
}
