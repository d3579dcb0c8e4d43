//! The dashboard, the live list of online sessions with its disconnect
//! button, and the audit log (per object, per admin, CSV export).

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::{AuditRow, audit_rows};
use super::{Caller, Chrome, ListQuery, PAGE, csv_response, done, failed, render};
use crate::model::*;
use crate::store::AuditFilter;
use crate::web::WebState;
use crate::web::portal::pages::local_time;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    online: usize,
    revenue_today: String,
    payments_today: usize,
    revenue_month: String,
    expiring: Vec<(Id, String, String)>,
    expiring_count: usize,
    unmatched: usize,
    routers: Vec<(String, String, bool, String)>,
    tenants: Vec<(TenantId, String, bool)>,
    wallet: Option<String>,
    /// For platform admins: backups failing or overdue.
    backup_alert: Option<String>,
}

/// What a platform admin should hear about backups, if anything.
fn backup_alert(s: &WebState, c: &Caller, now: UnixTime) -> Option<String> {
    if c.admin.role != Role::PlatformAdmin || s.backups.every_hours == 0 {
        return None;
    }
    let st = s.portal.store.backup_status().ok()?;
    let utc = crate::ops::time::utc;
    if st.failures > 0 {
        let e = st.last_error.unwrap_or_default();
        return Some(format!("Backups are failing ({} in a row): {e}", st.failures));
    }
    let overdue = 2 * s.backups.every_hours as i64 * 3600;
    match st.last_ok_at {
        Some(at) if now - at > overdue => Some(format!("No backup since {}.", utc(at))),
        _ => None,
    }
}

/// When a router was last heard from, as the pages say it.
pub(super) fn heard_text(c: &Caller, at: Option<UnixTime>) -> String {
    at.map_or_else(|| "not since start".into(), |at| c.time(at))
}

impl DashboardPage {
    /// No figures: before any tenant exists, or a reseller's (its wallet).
    fn bare(c: &Caller, tenants: Vec<(TenantId, String, bool)>, wallet: Option<String>) -> DashboardPage {
        DashboardPage {
            c: c.chrome("Dashboard"),
            online: 0,
            revenue_today: String::new(),
            payments_today: 0,
            revenue_month: String::new(),
            expiring: vec![],
            expiring_count: 0,
            unmatched: 0,
            routers: vec![],
            tenants,
            wallet,
            backup_alert: None,
        }
    }
}

/// Midnight today and the first of this month, in the tenant's zone.
fn day_and_month_start(now: UnixTime, tz: &str) -> (UnixTime, UnixTime) {
    let zone = crate::clock::Clock::zone(tz);
    let Ok(ts) = jiff::Timestamp::from_second(now) else { return (now, now) };
    let z = ts.to_zoned_datetime(zone);
    let day = z.start_of_day().map(|d| d.timestamp().as_second()).unwrap_or(now);
    let month = z.first_of_month().ok().and_then(|m| m.start_of_day().ok()).map(|d| d.timestamp().as_second());
    (day, month.unwrap_or(day))
}

pub async fn dashboard(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    let tenants = if c.admin.role == Role::PlatformAdmin {
        store.tenants().unwrap_or_default().into_iter().map(|t| (t.id, t.name, t.id == c.tenant_id())).collect()
    } else {
        Vec::new()
    };
    let Some(tenant) = c.tenant.clone() else {
        return render(StatusCode::OK, &DashboardPage::bare(&c, tenants, None));
    };
    // A reseller's dashboard is its wallet; the tenant's figures are not its business.
    if let Some(r) = c.reseller() {
        let wallet = store.balance(tenant.id, r).map(|b| c.money(b)).ok();
        return render(StatusCode::OK, &DashboardPage::bare(&c, tenants, wallet));
    }
    let (day, month) = day_and_month_start(now, &tenant.timezone);
    let d = match store.dashboard(tenant.id, now, day, month, now + 3 * 86_400) {
        Ok(d) => d,
        Err(e) => return failed(&c, &e),
    };
    let directory = s.radius.directory();
    let routers = store
        .all_nas()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.tenant == tenant.id)
        .map(|n| {
            let at = directory.heard_at(n.id);
            // Up: a request within two interim intervals (10 minutes).
            let up = !n.disabled && at.is_some_and(|at| now - at < 600);
            (n.name.clone(), format!("{}/{}", n.address, n.prefix), up, heard_text(&c, at))
        })
        .collect();
    let page = DashboardPage {
        c: c.chrome("Dashboard"),
        online: d.online,
        revenue_today: c.money(d.revenue_today),
        payments_today: d.payments_today,
        revenue_month: c.money(d.revenue_month),
        expiring: d
            .expiring
            .iter()
            .map(|sv| (sv.customer, sv.username.clone(), local_time(sv.expires_at.unwrap_or(0), &tenant.timezone)))
            .collect(),
        expiring_count: d.expiring_count,
        unmatched: d.unmatched,
        routers,
        tenants,
        wallet: None,
        backup_alert: backup_alert(&s, &c, now),
    };
    render(StatusCode::OK, &page)
}

pub struct SessionRow {
    pub nas: Id,
    pub nas_name: String,
    pub acct: String,
    pub username: String,
    pub customer: Option<Id>,
    pub ip: String,
    /// The session's IPv6 address, link prefix and delegated prefix.
    pub ipv6: String,
    pub mac: String,
    pub since: String,
    pub traffic: String,
}

/// A session's IPv6 address and prefixes, as one line.
fn shown_v6(v6: Option<&crate::model::SessionV6>) -> String {
    v6.map(|v| v.nets().map(|n| if n.len == 128 { n.addr.to_string() } else { n.to_string() }).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(" · ")
}

#[derive(Template)]
#[template(path = "admin/sessions.html")]
struct SessionsPage {
    c: Chrome,
    q: String,
    rows: Vec<SessionRow>,
    total: usize,
    shown_from: usize,
    next: Option<String>,
    can_disconnect: bool,
}

pub async fn sessions(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let tz = c.zone().to_string();
    let mut all = match store.tenant_active_sessions(t) {
        Ok(v) => v,
        Err(e) => return failed(&c, &e),
    };
    let needle = q.q.trim().to_lowercase();
    // An IPv6 address finds the session whose address or prefix holds it.
    let v6: Option<std::net::Ipv6Addr> = needle.parse().ok();
    all.retain(|x| {
        needle.is_empty()
            || x.username.to_lowercase().contains(&needle)
            || x.framed_ip.is_some_and(|ip| ip.to_string() == needle)
            || v6.is_some_and(|a| x.ipv6.as_ref().is_some_and(|s| s.holds(a)))
            || x.calling_station_id.as_deref().is_some_and(|m| m.to_lowercase().contains(&needle))
    });
    all.sort_by(|a, b| b.started_at.cmp(&a.started_at).then_with(|| a.acct_session_id.cmp(&b.acct_session_id)));
    let nas = store.all_nas().unwrap_or_default();
    let customer_of = |id: Option<Id>| -> Option<Id> { store.service(t, id?).ok().flatten().map(|s| s.customer) };
    if q.csv() {
        let rows = all.iter().map(|x| {
            vec![
                x.username.clone(),
                x.framed_ip.map(|i| i.to_string()).unwrap_or_default(),
                x.calling_station_id.clone().unwrap_or_default(),
                x.nas.to_string(),
                x.acct_session_id.clone(),
                local_time(x.started_at, &tz),
                (x.counters.bytes_in + x.counters.bytes_out).to_string(),
                shown_v6(x.ipv6.as_ref()),
            ]
        });
        return csv_response(
            "sessions",
            &["username", "address", "mac", "nas", "acct_session_id", "since", "bytes", "ipv6"],
            rows,
        );
    }
    let total = all.len();
    let from = q.before().map_or(0, |b| b as usize).min(total);
    let rows = all[from..(from + PAGE).min(total)]
        .iter()
        .map(|x| SessionRow {
            nas: x.nas,
            nas_name: nas
                .iter()
                .find(|n| n.id == x.nas && n.tenant == t)
                .map_or_else(|| x.nas.to_string(), |n| n.name.clone()),
            acct: x.acct_session_id.clone(),
            username: x.username.clone(),
            customer: customer_of(x.service),
            ip: x.framed_ip.map(|i| i.to_string()).unwrap_or_default(),
            ipv6: shown_v6(x.ipv6.as_ref()),
            mac: x.calling_station_id.clone().unwrap_or_default(),
            since: local_time(x.started_at, &tz),
            traffic: crate::model::units::show_bytes(x.counters.bytes_in + x.counters.bytes_out),
        })
        .collect();
    let next = (from + PAGE < total).then(|| format!("/admin/sessions?q={}&before={}", urlencode(&q.q), from + PAGE));
    let page = SessionsPage {
        c: c.chrome("Online now"),
        q: q.q,
        rows,
        total,
        shown_from: from + 1,
        next,
        can_disconnect: c.can(super::rbac::Perm::Disconnect),
    };
    render(StatusCode::OK, &page)
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap_or_default().trim_start_matches('=').to_string()
}

#[derive(Deserialize)]
pub struct DisconnectForm {
    #[serde(default)]
    nas: Id,
    #[serde(default)]
    acct: String,
}

pub async fn disconnect(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<DisconnectForm>,
) -> Response {
    match s.portal.store.admin_disconnect(&c.actor(), s.portal.clock.now(), c.tenant_id(), f.nas, &f.acct) {
        Ok(true) => done("/admin/sessions", "Disconnect sent; the session will drop within seconds."),
        Ok(false) => done("/admin/sessions", "That session had already ended."),
        Err(e) => failed(&c, &e),
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    object: String,
    #[serde(default)]
    actor: String,
    before: Option<String>,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    c: Chrome,
    object: String,
    actor: String,
    rows: Vec<AuditRow>,
    next: Option<String>,
    csv: String,
}

pub async fn audit(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let store = &s.portal.store;
    let objects = [q.object.trim().to_string()];
    let actor = crate::store::admin::actor_name(q.actor.trim()).to_string();
    let filter = if !objects[0].is_empty() {
        AuditFilter::Objects(&objects)
    } else if !actor.is_empty() {
        AuditFilter::Actor(&actor)
    } else {
        AuditFilter::All
    };
    let csv = q.format == "csv";
    let limit = if csv { 100_000 } else { PAGE };
    let before = q.before.as_deref().and_then(|b| b.parse().ok());
    let page = match store.audit_page(c.tenant_id(), filter, before, limit) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    let base = format!("/admin/audit?object={}&actor={}", urlencode(&q.object), urlencode(&q.actor));
    let next = page.next.map(|n| format!("{base}&before={n}"));
    let rows = audit_rows(&c, page.items);
    if csv {
        let rows = rows.into_iter().map(|r| vec![r.at, r.actor, r.action, r.object, r.before, r.after]);
        return csv_response("audit", &["at", "actor", "action", "object", "before", "after"], rows);
    }
    let page = AuditPage {
        c: c.chrome("Audit log"),
        object: q.object,
        actor: q.actor,
        rows,
        next,
        csv: format!("{base}&format=csv"),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin/auth_log.html")]
struct AuthLogPage {
    c: Chrome,
    q: String,
    rows: Vec<(String, String, String, String, &'static str, String)>,
}

/// Recent refusals and captive logins with the Reply-Message sent: why a
/// customer cannot get online.
pub async fn auth_log(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let tz = c.zone().to_string();
    let nas = s.portal.store.all_nas().unwrap_or_default();
    let rows = s
        .radius
        .authlog
        .recent(c.tenant_id(), &q.q, 200)
        .into_iter()
        .map(|e| {
            let router = nas.iter().find(|n| n.id == e.nas).map_or_else(|| e.nas.to_string(), |n| n.name.clone());
            let device = e.device.map(|m| m.to_string()).unwrap_or_default();
            (local_time(e.at, &tz), e.username, router, device, e.outcome, e.message)
        })
        .collect();
    render(StatusCode::OK, &AuthLogPage { c: c.chrome("Refused logins"), q: q.q, rows })
}
