//! Looking at a process from outside, as an operator would: a free loopback port for it,
//! its CPU time, its Prometheus page and one series on it.

use std::io::{Read, Write};

/// A loopback TCP port free at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// User plus system CPU seconds process `pid` has used (from `/proc`).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// The metrics page served on loopback `port`, as Prometheus scrapes it.
pub fn scrape_metrics(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the metrics endpoint answers");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .expect("a request sent");
    let mut page = String::new();
    s.read_to_string(&mut page).expect("the page read");
    page
}

/// The value of the series named `line_start` (its name and labels, exactly), if on `page`.
pub fn series(page: &str, line_start: &str) -> Option<f64> {
    page.lines().find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}
