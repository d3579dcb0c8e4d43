//! First-run setup at `/setup?token=…`: open only while no admin exists
//! and only with the one-time token lango logged at start (or the
//! operator's `LANGO_SETUP_TOKEN`). The token is compared by digest, dies
//! after an hour or its first successful use, and wrong tokens are limited
//! per address. The form creates the platform admin, the first tenant and
//! the first router in one transaction (`ops::setup::first_run`), signs the
//! new admin in and shows the router's RADIUS secret once with the
//! RouterOS commands to paste. At a site (`[sync] role = "site"`) it makes
//! only the admin (`ops::setup::first_admin`): tenants and routers come
//! from the hub. Once an admin exists the route answers 404.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use super::customers::Errors;
use super::{render, secure_context, session_cookie};
use crate::model::UnixTime;
use crate::ops::setup::{SetupSpec, first_admin, first_run, radius_commands};
use crate::web::WebState;

/// How long a setup token lives.
pub const TOKEN_SECS: i64 = 3600;
/// Wrong tokens from one address within WINDOW before it must wait.
const PER_ADDRESS: u32 = 10;
const WINDOW: i64 = 15 * 60;

/// The one-time setup token (its SHA-256 only), while setup is open.
pub struct SetupGate {
    state: Mutex<GateState>,
}

struct GateState {
    digest: Option<String>,
    expires_at: UnixTime,
    fails: HashMap<IpAddr, (u32, UnixTime)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// Setup is done, or the token expired or was used.
    Closed,
    Wrong,
    TooMany,
}

impl SetupGate {
    /// Setup is not open (an admin exists).
    pub fn closed() -> SetupGate {
        SetupGate { state: Mutex::new(GateState { digest: None, expires_at: 0, fails: HashMap::new() }) }
    }

    /// Setup is open with `token` until `expires_at`.
    pub fn open(token: &str, expires_at: UnixTime) -> SetupGate {
        let digest = Some(crate::store::sha256_hex(token));
        SetupGate { state: Mutex::new(GateState { digest, expires_at, fails: HashMap::new() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(&self, token: &str, ip: IpAddr, now: UnixTime) -> Result<(), Refusal> {
        let mut g = self.lock();
        g.fails.retain(|_, (_, since)| now - *since < WINDOW);
        if g.fails.get(&ip).is_some_and(|(n, _)| *n >= PER_ADDRESS) {
            return Err(Refusal::TooMany);
        }
        let Some(want) = g.digest.clone().filter(|_| now < g.expires_at) else {
            return Err(Refusal::Closed);
        };
        // Comparing digests: the time taken says nothing about the token.
        if crate::store::sha256_hex(token) == want {
            return Ok(());
        }
        g.fails.entry(ip).or_insert((0, now)).0 += 1;
        Err(Refusal::Wrong)
    }

    /// The token is used: setup is over.
    fn close(&self) {
        self.lock().digest = None;
    }
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize, Default)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    admin: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
    #[serde(default)]
    tenant_name: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    vat: String,
    #[serde(default)]
    vat_inclusive: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    router_name: String,
    #[serde(default)]
    router_address: String,
}

impl SetupForm {
    fn defaults() -> SetupForm {
        SetupForm {
            currency: "KES".into(),
            timezone: "Africa/Nairobi".into(),
            vat: "16".into(),
            vat_inclusive: "on".into(),
            language: "en".into(),
            router_name: "router".into(),
            router_address: "10.200.0.1".into(),
            ..SetupForm::default()
        }
    }
}

pub struct Done {
    admin: String,
    router: String,
    address: String,
    secret: String,
    lango: String,
    commands: String,
    fingerprint: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    f: SetupForm,
    errors: Errors,
    error: Option<String>,
    csrf: String,
    token: String,
    insecure: bool,
    done: Option<Done>,
    /// This lango is a site: setup makes only the admin.
    site: bool,
}

fn is_site(s: &WebState) -> bool {
    s.portal.store.sync_mode().is_ok_and(|m| m == crate::store::sync::Mode::Site)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found\n").into_response()
}

fn page(s: &WebState, headers: &HeaderMap, ip: IpAddr, status: StatusCode, p: SetupPage) -> Response {
    let portal = &s.portal;
    let csrf = portal.signer.token("setup", &ip.to_string(), portal.clock.now() + TOKEN_SECS);
    render(status, &SetupPage { csrf, insecure: !secure_context(s, headers), ..p })
}

/// A refused token: a page without a form (there is nothing to send).
fn refused(why: Refusal) -> Response {
    let (status, text) = match why {
        Refusal::Closed => (
            StatusCode::FORBIDDEN,
            "This setup link has expired or was used. Restart lango for a new one: it is printed in the log.",
        ),
        Refusal::Wrong => (
            StatusCode::FORBIDDEN,
            "This setup link is not right. Copy the whole link from lango's log (RouterOS: /log print).",
        ),
        Refusal::TooMany => {
            (StatusCode::TOO_MANY_REQUESTS, "Too many wrong setup links from this address. Wait 15 minutes.")
        }
    };
    render(status, &SetupRefusal { text: text.into() })
}

#[derive(Template)]
#[template(
    source = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Set up lango</title><link rel=\"stylesheet\" href=\"/admin/static/admin.css\"></head><body class=\"login\"><main class=\"narrow\"><h1>Set up lango</h1><p class=\"error\" role=\"alert\" id=\"error\">{{ text }}</p></main></body></html>",
    ext = "html"
)]
struct SetupRefusal {
    text: String,
}

fn open(s: &WebState) -> bool {
    match s.portal.store.has_admin() {
        Ok(has) => !has,
        Err(e) => {
            tracing::error!(error = %e, "setup: reading admins");
            false
        }
    }
}

pub async fn form(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    if !open(&s) {
        return not_found();
    }
    let ip = s.portal.client_ip(peer, &headers);
    if let Err(why) = s.setup.check(&q.token, ip, s.portal.clock.now()) {
        tracing::warn!(%ip, ?why, "setup page refused");
        return refused(why);
    }
    let p = SetupPage {
        f: SetupForm::defaults(),
        errors: Errors::default(),
        error: None,
        csrf: String::new(),
        token: q.token,
        insecure: false,
        done: None,
        site: is_site(&s),
    };
    page(&s, &headers, ip, StatusCode::OK, p)
}

pub async fn submit(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    if !open(&s) {
        return not_found();
    }
    let p = &s.portal;
    let now = p.clock.now();
    let ip = p.client_ip(peer, &headers);
    if let Err(why) = s.setup.check(&f.token, ip, now) {
        tracing::warn!(%ip, ?why, "setup form refused");
        return refused(why);
    }
    let again = |f: SetupForm, errors: Errors, error: Option<String>| {
        let token = f.token.clone();
        let f = SetupForm { password: String::new(), password2: String::new(), ..f };
        let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::FORBIDDEN };
        page(
            &s,
            &headers,
            ip,
            status,
            SetupPage { f, errors, error, csrf: String::new(), token, insecure: false, done: None, site: is_site(&s) },
        )
    };
    if !p.signer.verify("setup", &ip.to_string(), &f.csrf, now) {
        return again(f, Errors::default(), Some("This page has expired. Please send it again.".into()));
    }
    let mut errors = Errors::default();
    if f.password != f.password2 {
        errors.add("password2", "The two passwords differ.");
    }
    let spec = SetupSpec {
        admin: f.admin.clone(),
        password: f.password.clone(),
        tenant_name: f.tenant_name.clone(),
        currency: f.currency.clone(),
        timezone: f.timezone.clone(),
        vat: f.vat.clone(),
        vat_inclusive: f.vat_inclusive == "on",
        language: f.language.clone(),
        router_name: f.router_name.clone(),
        router_address: f.router_address.clone(),
    };
    if errors.any() {
        // Still report the other fields' problems in the same answer.
        if let Some(problem) = crate::ops::setup::password_problem(&spec.password, &spec.admin) {
            errors.add("password", problem);
        }
        return again(f, errors, None);
    }
    let store = p.store.clone();
    let actor = format!("setup from {ip}");
    if is_site(&s) {
        let made = tokio::task::spawn_blocking(move || first_admin(&store, now, &actor, &spec)).await;
        return match made {
            Ok(Ok(())) => {
                s.setup.close();
                tracing::info!(admin = f.admin.trim(), %ip, "setup of a site finished");
                signed_in(&s, &headers, ip, now, f.admin.trim(), None)
            }
            Ok(Err(problems)) => {
                let whole = setup_problems(problems, &mut errors);
                again(f, errors, whole)
            }
            Err(e) => {
                tracing::error!(error = %e, "setup task");
                again(f, errors, Some("Something went wrong on our side.".into()))
            }
        };
    }
    // argon2id hashing is slow by design: off the async threads.
    let made = tokio::task::spawn_blocking(move || first_run(&store, now, &actor, &spec)).await;
    let done = match made {
        Ok(Ok(done)) => done,
        Ok(Err(problems)) => {
            let whole = setup_problems(problems, &mut errors);
            return again(f, errors, whole);
        }
        Err(e) => {
            tracing::error!(error = %e, "setup task");
            return again(f, errors, Some("Something went wrong on our side.".into()));
        }
    };
    s.setup.close();
    tracing::info!(admin = f.admin.trim(), tenant = done.tenant.slug, router = done.nas.name, %ip, "setup finished");
    let lango = lango_address(&s, &headers);
    let src = (done.nas.prefix == if done.nas.address.is_ipv4() { 32 } else { 128 }).then_some(done.nas.address);
    let shown = Done {
        admin: f.admin.trim().to_string(),
        router: done.nas.name.clone(),
        address: format!("{}/{}", done.nas.address, done.nas.prefix),
        commands: radius_commands(&lango, src, &done.secret),
        secret: done.secret,
        lango,
        fingerprint: s.tls_fingerprint.clone(),
    };
    signed_in(&s, &headers, ip, now, f.admin.trim(), Some(shown))
}

/// Each problem under its field; one that names none, as the whole answer.
fn setup_problems(problems: Vec<crate::ops::OpError>, errors: &mut Errors) -> Option<String> {
    let mut whole = None;
    for e in problems {
        match e.about() {
            Some((field, message)) => errors.add(field, message),
            None => {
                tracing::error!(error = %e, "setup");
                whole = Some(format!("Setup could not be saved: {e}"));
            }
        }
    }
    whole
}

/// The finished page (the router's secret and commands, when one was
/// made), with the new admin signed in.
fn signed_in(
    s: &WebState,
    headers: &HeaderMap,
    ip: IpAddr,
    now: UnixTime,
    admin: &str,
    done: Option<Done>,
) -> Response {
    let site = done.is_none();
    let done = done.unwrap_or(Done {
        admin: admin.to_string(),
        router: String::new(),
        address: String::new(),
        secret: String::new(),
        lango: String::new(),
        commands: String::new(),
        fingerprint: s.tls_fingerprint.clone(),
    });
    let page_body = SetupPage {
        f: SetupForm::default(),
        errors: Errors::default(),
        error: None,
        csrf: String::new(),
        token: String::new(),
        insecure: false,
        done: Some(done),
        site,
    };
    let mut r = render(StatusCode::OK, &page_body);
    let admin = match s.portal.store.admin(0, admin) {
        Ok(Some(a)) => a,
        _ => return r,
    };
    match s.portal.store.start_admin_session(now, &admin, &ip.to_string(), false, None) {
        Ok((token, _)) => {
            r.headers_mut().append(header::SET_COOKIE, session_cookie(secure_context(s, headers), &token));
        }
        Err(e) => tracing::error!(error = %e, "setup: signing the new admin in"),
    }
    r
}

/// The host the router should send RADIUS to: `http.public_url`'s host, or
/// the one the browser used to reach this page.
fn lango_address(s: &WebState, headers: &HeaderMap) -> String {
    let from_url = |u: &str| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let host = rest.split('/').next().unwrap_or("");
        host.rsplit_once(':')
            .map_or(host, |(h, p)| if p.bytes().all(|b| b.is_ascii_digit()) { h } else { host })
            .to_string()
    };
    let home = from_url(&s.portal.home);
    if !home.is_empty() {
        return home.trim_matches(['[', ']']).to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let host = from_url(host);
    let host = host.trim_matches(['[', ']']);
    if host.is_empty() || host.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))) {
        "LANGO-ADDRESS".into()
    } else {
        host.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_takes_the_token_once_until_it_expires_and_limits_guessing() {
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let g = SetupGate::open("right-token-abcdef", 1000 + TOKEN_SECS);
        assert_eq!(g.check("right-token-abcdef", ip, 1000), Ok(()));
        assert_eq!(g.check("wrong", ip, 1001), Err(Refusal::Wrong));
        for _ in 1..PER_ADDRESS {
            assert_eq!(g.check("wrong", ip, 1002), Err(Refusal::Wrong));
        }
        assert_eq!(g.check("right-token-abcdef", ip, 1003), Err(Refusal::TooMany));
        assert_eq!(g.check("right-token-abcdef", other, 1003), Ok(()));
        assert_eq!(g.check("right-token-abcdef", ip, 1003 + WINDOW), Ok(()));
        assert_eq!(g.check("right-token-abcdef", other, 1000 + TOKEN_SECS), Err(Refusal::Closed), "an hour old");
        g.close();
        assert_eq!(g.check("right-token-abcdef", other, 1004), Err(Refusal::Closed));
        assert_eq!(SetupGate::closed().check("", ip, 0), Err(Refusal::Closed));
    }
}
