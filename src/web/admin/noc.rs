//! The NOC pages: every router with its SNMP status (up, down since when,
//! not polled), uptime, CPU, memory, temperature and lango's count of
//! customers online on it; a router's page with its interfaces' current
//! rates, its SFP optics and PoE-out ports when it has them, and charts
//! (inline SVG, no scripts or CDN) over a chosen range; and the router's
//! SNMP settings form (through `ops::noc`, as `lango snmp set` does).

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::rbac::Perm;
use super::{Caller, Chrome, done, failed, not_found, render};
use crate::model::*;
use crate::ops::noc::{self as ops, SnmpInput};
use crate::store::noc as series;
use crate::web::WebState;

pub struct RouterRow {
    pub id: Id,
    pub name: String,
    pub state: &'static str,
    pub since: String,
    pub uptime: String,
    pub cpu: String,
    pub memory: String,
    pub temperature: String,
    pub online: usize,
    pub error: String,
}

pub fn uptime(secs: Option<u64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s >= 86_400 => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
        Some(s) => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

/// A router's line: its state from the health and settings, and the
/// figures as the NOC shows them.
fn row(c: &Caller, nas: &Nas, configured: bool, h: Option<&RouterHealth>, online: usize) -> RouterRow {
    let state = RouterHealth::state(configured, h);
    let since = match h {
        Some(h) if h.down_since.is_some() => c.when(h.down_since),
        Some(h) if configured => c.when(h.ok_at),
        _ => String::new(),
    };
    RouterRow {
        id: nas.id,
        name: nas.name.clone(),
        state,
        since,
        uptime: uptime(h.and_then(|h| h.uptime_secs)),
        cpu: h.and_then(|h| h.cpu).map_or_else(|| "-".into(), |v| format!("{v}%")),
        memory: h.and_then(RouterHealth::mem_percent).map_or_else(|| "-".into(), |v| format!("{v}%")),
        temperature: h.and_then(RouterHealth::hottest).map_or_else(|| "-".into(), |v| format!("{v:.1} °C")),
        online,
        error: h.and_then(|h| h.error.clone()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "admin/noc.html")]
struct NocPage {
    c: Chrome,
    rows: Vec<RouterRow>,
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let (routers, health, snmp, online) =
        match (store.all_nas(), store.router_health(t), store.tenant_router_snmp(t), store.sessions_per_nas(t)) {
            (Ok(a), Ok(b), Ok(d), Ok(e)) => (a, b, d, e),
            (Err(e), ..) | (_, Err(e), ..) | (.., Err(e), _) | (.., Err(e)) => return failed(&c, &e),
        };
    let rows = routers
        .into_iter()
        .filter(|n| n.tenant == t)
        .map(|n| {
            let h = health.iter().find(|(id, _)| *id == n.id).map(|(_, h)| h);
            row(&c, &n, snmp.iter().any(|x| x.nas == n.id), h, online.get(&n.id).copied().unwrap_or(0))
        })
        .collect();
    render(StatusCode::OK, &NocPage { c: c.chrome("NOC"), rows })
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    pub range: String,
}

/// A chart: a title, the SVG, and the largest value shown.
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub peak: String,
}

/// The bottom of the SFP receive power charts, dBm.
const SFP_FLOOR_DBM: f64 = -40.0;

const RANGES: [(&str, i64); 5] =
    [("1h", 3600), ("24h", 86_400), ("48h", 172_800), ("30d", 2_592_000), ("1y", 31_536_000)];

/// Lines of `(points, colour)` scaled into a 600 × 120 box between
/// `from` and `to`; numbers only, so the markup is safe as it is.
pub fn svg(lines: &[(&[series::Point], &str)], from: i64, to: i64) -> (String, f64) {
    let peak = lines.iter().flat_map(|(p, _)| p.iter().map(|(_, v)| *v)).fold(0.0_f64, f64::max);
    let span = (to - from).max(1) as f64;
    let mut out = String::from(
        "<svg viewBox=\"0 0 600 120\" width=\"600\" height=\"120\" class=\"series\" role=\"img\"><rect width=\"600\" height=\"120\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
    );
    for (points, colour) in lines {
        let coords: Vec<String> = points
            .iter()
            .map(|(at, v)| {
                let x = (*at - from) as f64 / span * 600.0;
                let y = if peak > 0.0 { 118.0 - v / peak * 114.0 } else { 118.0 };
                format!("{x:.1},{y:.1}")
            })
            .collect();
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>",
            coords.join(" ")
        ));
    }
    out.push_str("</svg>");
    (out, peak)
}

fn bits(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.1} Gbit/s", v / 1e9),
        v if v >= 1e6 => format!("{:.1} Mbit/s", v / 1e6),
        v if v >= 1e3 => format!("{:.1} kbit/s", v / 1e3),
        v => format!("{v:.0} bit/s"),
    }
}

/// An SFP as the router page shows it.
pub struct OpticRow {
    pub index: u32,
    pub name: String,
    pub rx: String,
    pub tx: String,
    pub temperature: String,
    /// "ok", "no light", "tx fault", "empty".
    pub state: &'static str,
}

/// A PoE-out port as the router page shows it.
pub struct PoeRow {
    pub index: u32,
    pub name: String,
    pub status: String,
    pub overloaded: bool,
    pub volts: String,
    pub milliamps: String,
    pub watts: String,
}

fn shown(v: Option<f64>, unit: &str, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$} {unit}"))
}

fn optic_rows(h: Option<&RouterHealth>) -> Vec<OpticRow> {
    let optics = h.map(|h| h.optics.as_slice()).unwrap_or_default();
    optics
        .iter()
        .map(|o| OpticRow {
            index: o.index,
            name: o.name.clone(),
            rx: shown(o.rx_dbm, "dBm", 2),
            tx: shown(o.tx_dbm, "dBm", 2),
            temperature: shown(o.temperature_c, "°C", 0),
            state: o.state(),
        })
        .collect()
}

fn poe_rows(h: Option<&RouterHealth>) -> Vec<PoeRow> {
    let ports = h.map(|h| h.poe.as_slice()).unwrap_or_default();
    ports
        .iter()
        .map(|p| PoeRow {
            index: p.index,
            name: p.name.clone(),
            status: p.status_word(),
            overloaded: p.overloaded(),
            volts: shown(p.voltage_v, "V", 1),
            milliamps: p.current_ma.map_or_else(|| "-".into(), |ma| format!("{ma} mA")),
            watts: shown(p.power_w, "W", 1),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/noc_router.html")]
struct RouterPage {
    c: Chrome,
    nas: Nas,
    row: RouterRow,
    health: Option<RouterHealth>,
    ifaces: Vec<(IfaceNow, String, String)>,
    optics: Vec<OpticRow>,
    poe: Vec<PoeRow>,
    charts: Vec<Chart>,
    ranges: Vec<(&'static str, bool)>,
    f: SnmpInput,
    configured: bool,
    can_edit: bool,
    can_ack: bool,
    errors: Errors,
}

fn router_page(s: &WebState, c: &Caller, id: Id, range: &str, f: Option<(SnmpInput, Errors)>) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let nas = match crate::ops::routers::router(store, t, id) {
        Ok(n) => n,
        Err(crate::ops::OpError::Field { .. }) => return not_found(c),
        Err(e) => return failed(c, &e),
    };
    let (health, snmp, online) = match (store.router_health(t), store.router_snmp(t, id), store.sessions_per_nas(t)) {
        (Ok(h), Ok(sn), Ok(o)) => (h.into_iter().find(|(n, _)| *n == id).map(|(_, h)| h), sn, o),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return failed(c, &e),
    };
    let now = s.portal.clock.now();
    let secs = RANGES.iter().find(|(r, _)| *r == range).map_or(86_400, |(_, s)| *s);
    let from = now - secs;
    let get = |m| store.series(t, id, m, from, now, now).unwrap_or_default();
    let mut charts = Vec::new();
    let (svg_cpu, peak) = svg(&[(&get(series::CPU), "#c0392b"), (&get(series::MEM), "#2980b9")], from, now);
    charts.push(Chart { title: "CPU (red) and memory (blue), %".into(), svg: svg_cpu, peak: format!("{peak:.0}%") });
    let (svg_s, peak) = svg(&[(&get(series::SESSIONS), "#27ae60")], from, now);
    charts.push(Chart { title: "Customers online".into(), svg: svg_s, peak: format!("{peak:.0}") });
    let ifaces: Vec<IfaceNow> = health.as_ref().map(|h| h.ifaces.clone()).unwrap_or_default();
    for f in &ifaces {
        let (i, o) = (get(series::iface_in(f.index)), get(series::iface_out(f.index)));
        if i.is_empty() && o.is_empty() {
            continue;
        }
        let (svg_if, peak) = svg(&[(&i, "#2980b9"), (&o, "#e67e22")], from, now);
        charts.push(Chart { title: format!("{}: in (blue), out (orange)", f.name), svg: svg_if, peak: bits(peak) });
    }
    // Receive power is negative: drawn as dB above a -40 dBm floor (the
    // usual bottom of an SFP's reading), labelled with the real best value.
    for o in health.as_ref().map(|h| h.optics.as_slice()).unwrap_or_default() {
        let points = get(series::optic_rx(o.index));
        if points.is_empty() {
            continue;
        }
        let best = points.iter().map(|(_, v)| *v).fold(f64::MIN, f64::max);
        let lifted: Vec<series::Point> = points.iter().map(|(at, v)| (*at, (v - SFP_FLOOR_DBM).max(0.0))).collect();
        let (svg_o, _) = svg(&[(&lifted, "#8e44ad")], from, now);
        let title = format!("{}: receive power, dBm (from {SFP_FLOOR_DBM})", o.name);
        charts.push(Chart { title, svg: svg_o, peak: format!("{best:.1} dBm") });
    }
    for p in health.as_ref().map(|h| h.poe.as_slice()).unwrap_or_default() {
        let points = get(series::poe_power(p.index));
        if points.is_empty() {
            continue;
        }
        let (svg_p, peak) = svg(&[(&points, "#d35400")], from, now);
        charts.push(Chart { title: format!("{}: PoE power, W", p.name), svg: svg_p, peak: format!("{peak:.1} W") });
    }
    let row = row(c, &nas, snmp.is_some(), health.as_ref(), online.get(&id).copied().unwrap_or(0));
    let (optics, poe) = (optic_rows(health.as_ref()), poe_rows(health.as_ref()));
    let ifaces = ifaces
        .into_iter()
        .map(|f| {
            let (i, o) = (
                f.in_bps.map_or_else(|| "-".into(), |v| bits(v as f64)),
                f.out_bps.map_or_else(|| "-".into(), |v| bits(v as f64)),
            );
            (f, i, o)
        })
        .collect();
    let (f, errors) = f.unwrap_or_else(|| {
        let f = snmp.as_ref().map(ops::input_of).unwrap_or(SnmpInput {
            version: "v2c".into(),
            auth: "sha".into(),
            ..SnmpInput::default()
        });
        (f, Errors::default())
    });
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = RouterPage {
        c: c.chrome(format!("NOC: {}", nas.name)),
        nas,
        row,
        health,
        ifaces,
        optics,
        poe,
        charts,
        ranges: RANGES.iter().map(|(r, _)| (*r, *r == range || (range.is_empty() && *r == "24h"))).collect(),
        f,
        configured: snmp.is_some(),
        can_edit: c.can(Perm::EditNas),
        can_ack: c.can(Perm::AckAlerts),
        errors,
    };
    render(status, &page)
}

pub async fn router(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Query(q): Query<RangeQuery>,
) -> Response {
    router_page(&s, &c, id, &q.range, None)
}

#[derive(Deserialize, Default)]
pub struct SnmpForm {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub auth_pass: String,
    #[serde(default)]
    pub priv_pass: String,
}

pub async fn save(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<SnmpForm>,
) -> Response {
    let input = SnmpInput {
        host: f.host,
        port: f.port,
        version: f.version,
        community: Some(f.community),
        user: f.user,
        auth: f.auth,
        auth_pass: Some(f.auth_pass),
        priv_pass: Some(f.priv_pass),
    };
    match ops::save(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &input) {
        Ok(_) => done(&format!("/admin/noc/{id}"), "SNMP settings saved; the router is polled from the next round."),
        Err(problems) => match Errors::of(&c, problems) {
            Ok(errors) if errors.get("id").is_empty() => {
                let back = SnmpInput { community: None, auth_pass: None, priv_pass: None, ..input };
                router_page(&s, &c, id, "", Some((back, errors)))
            }
            Ok(_) => not_found(&c),
            Err(r) => r,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct MaintenanceForm {
    #[serde(default, rename = "for")]
    pub span: String,
}

pub async fn maintenance(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<MaintenanceForm>,
) -> Response {
    match ops::maintenance(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &f.span) {
        Ok(Some(until)) => {
            done(&format!("/admin/noc/{id}"), &format!("Maintenance until {}: nothing is announced.", c.time(until)))
        }
        Ok(None) => done(&format!("/admin/noc/{id}"), "Maintenance ended."),
        Err(crate::ops::OpError::Field { field: "id", .. }) => not_found(&c),
        Err(crate::ops::OpError::Field { message, .. }) => done(&format!("/admin/noc/{id}"), &message),
        Err(e) => failed(&c, &e),
    }
}

pub async fn ack(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    let store = &s.portal.store;
    match crate::ops::routers::router(store, c.tenant_id(), id) {
        Ok(_) => {}
        Err(crate::ops::OpError::Field { .. }) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    }
    match store.ack_router(&c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(()) => done(&format!("/admin/noc/{id}"), "Acknowledged."),
        Err(crate::store::StoreError::Invalid(m)) => done(&format!("/admin/noc/{id}"), &m),
        Err(e) => failed(&c, &e),
    }
}

pub async fn off(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match ops::off(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(()) => done(&format!("/admin/noc/{id}"), "SNMP polling stopped for this router."),
        Err(crate::ops::OpError::Field { .. }) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}
