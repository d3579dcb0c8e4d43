//! Signing in and out: argon2id passwords (checked off the async threads),
//! per-address rate limiting in memory, per-name lockout in the store,
//! optional TOTP as a second step, a new session token at every step
//! (rotation), server-side sign-out, and an audit record of every attempt.
//! A TOTP recovery code (`ops::recovery`) is accepted at the TOTP step in
//! place of the 6 digits. Also the admin's own page: password change, TOTP
//! enrolment and recovery codes.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use super::{Caller, Chrome, done, render, secure_context, session_cookie};
use crate::model::*;
use crate::store::{Attempt, Purpose};
use crate::web::WebState;

/// Failed sign-ins from one address within WINDOW before it must wait.
const PER_ADDRESS: u32 = 20;
const WINDOW: i64 = 15 * 60;

/// Failed sign-ins per client address (in memory: a restart forgives).
static FAILS: Mutex<Option<HashMap<IpAddr, (u32, i64)>>> = Mutex::new(None);

fn address_blocked(ip: IpAddr, now: i64) -> bool {
    let mut g = FAILS.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    map.retain(|_, (_, since)| now - *since < WINDOW);
    map.get(&ip).is_some_and(|(n, _)| *n >= PER_ADDRESS)
}

fn address_failed(ip: IpAddr, now: i64) {
    let mut g = FAILS.lock().unwrap_or_else(|e| e.into_inner());
    let entry = g.get_or_insert_with(HashMap::new).entry(ip).or_insert((0, now));
    entry.0 += 1;
}

/// How long new recovery codes wait in memory for the page that shows them.
const FRESH_SECS: i64 = 10 * 60;

/// Recovery codes just made, by the SHA-256 of the session that made them,
/// until that session's next view of /admin/me shows them (once). Only in
/// memory: the store keeps their digests, and a restart loses them (the
/// page then offers a new set).
static FRESH_CODES: Mutex<Option<FreshCodes>> = Mutex::new(None);

/// Session digest → (codes, when made).
type FreshCodes = HashMap<String, (Vec<String>, i64)>;

fn keep_fresh_codes(session_token: &str, codes: Vec<String>, now: i64) {
    let mut g = FRESH_CODES.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    map.retain(|_, (_, at)| now - *at < FRESH_SECS);
    map.insert(crate::store::sha256_hex(session_token), (codes, now));
}

fn take_fresh_codes(session_token: &str, now: i64) -> Option<Vec<String>> {
    let mut g = FRESH_CODES.lock().unwrap_or_else(|e| e.into_inner());
    let (codes, at) = g.as_mut()?.remove(&crate::store::sha256_hex(session_token))?;
    (now - at < FRESH_SECS).then_some(codes)
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    error: Option<String>,
    csrf: String,
    username: String,
    next: String,
    insecure: bool,
    /// The TOTP step: the password was right.
    totp: bool,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only our own admin pages are a place to go after signing in.
fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/admin") && !next.contains("//") && !next.contains('\\');
    if ok { next.to_string() } else { "/admin".into() }
}

fn login_form(s: &WebState, headers: &HeaderMap, ip: IpAddr, f: LoginPage) -> LoginPage {
    let p = &s.portal;
    LoginPage {
        csrf: p.signer.token("admin-login", &ip.to_string(), p.clock.now() + 3600),
        insecure: !secure_context(s, headers),
        ..f
    }
}

pub async fn login_page(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let ip = s.portal.client_ip(peer, &headers);
    let next = safe_next(&q.next);
    let page =
        LoginPage { error: None, csrf: String::new(), username: String::new(), next, insecure: false, totp: false };
    render(StatusCode::OK, &login_form(&s, &headers, ip, page))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    code: String,
}

/// The same answer for a wrong name, a wrong password and a locked or
/// disabled account, so the page tells a guesser nothing.
const WRONG: &str = "Wrong name or password, or the account is locked. After 5 failures an account waits 15 minutes.";

pub async fn login(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let p = &s.portal;
    let now = p.clock.now();
    let ip = p.client_ip(peer, &headers);
    let username = f.username.trim().to_string();
    let next = safe_next(&f.next);
    let again = |status: StatusCode, msg: &str| {
        let page = LoginPage {
            error: Some(msg.into()),
            csrf: String::new(),
            username: username.clone(),
            next: next.clone(),
            insecure: false,
            totp: false,
        };
        render(status, &login_form(&s, &headers, ip, page))
    };
    if !p.signer.verify("admin-login", &ip.to_string(), &f.csrf, now) {
        return again(StatusCode::FORBIDDEN, "This page has expired. Please try again.");
    }
    if address_blocked(ip, now) {
        return again(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins from this address. Wait 15 minutes.");
    }
    let admin = match p.store.admin_by_name(&username) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "admin login");
            return again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.");
        }
    };
    let hash = admin.as_ref().map(|a| a.password_hash.clone());
    let password = f.password.clone();
    // argon2id is deliberately slow: off the async threads. An unknown
    // name is checked against a dummy hash so it takes as long.
    let right = tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password)).await.unwrap_or(false);
    let tenant = admin.as_ref().map_or(0, |a| a.tenant);
    let locked = p.store.login_lock(&username, now).ok().flatten().is_some();
    let attempt = match &admin {
        None => Attempt::UnknownName,
        Some(_) if locked => Attempt::Locked,
        Some(a) if a.disabled => Attempt::Disabled,
        Some(_) if !right => Attempt::BadPassword,
        Some(a) if a.totp.is_some() => {
            // Half a session: only the TOTP step accepts it.
            let old = super::session_token(&headers);
            return match p.store.start_admin_session(now, a, &ip.to_string(), true, Some(old)) {
                Ok((token, _)) => {
                    let page = LoginPage {
                        error: None,
                        csrf: String::new(),
                        username: username.clone(),
                        next,
                        insecure: false,
                        totp: true,
                    };
                    let mut r = render(StatusCode::OK, &login_form(&s, &headers, ip, page));
                    r.headers_mut().append(header::SET_COOKIE, session_cookie(secure_context(&s, &headers), &token));
                    r
                }
                Err(e) => {
                    tracing::error!(error = %e, "admin login");
                    again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.")
                }
            };
        }
        Some(_) => Attempt::Ok,
    };
    if let Err(e) = p.store.note_login(now, &username, tenant, &ip.to_string(), attempt) {
        tracing::error!(error = %e, "admin login audit");
        return again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.");
    }
    let Some(admin) = admin.filter(|_| attempt == Attempt::Ok) else {
        address_failed(ip, now);
        tracing::warn!(admin = username, %ip, ?attempt, "admin sign-in refused");
        return again(StatusCode::UNAUTHORIZED, WRONG);
    };
    signed_in(&s, &headers, &admin, ip, &next)
}

/// A full session replacing whatever cookie the browser came with.
fn signed_in(s: &WebState, headers: &HeaderMap, admin: &Admin, ip: IpAddr, next: &str) -> Response {
    let old = super::session_token(headers);
    match s.portal.store.start_admin_session(s.portal.clock.now(), admin, &ip.to_string(), false, Some(old)) {
        Ok((token, _)) => {
            let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, next.to_string())]).into_response();
            r.headers_mut().append(header::SET_COOKIE, session_cookie(secure_context(s, headers), &token));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "admin session");
            super::message(None, StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "")
        }
    }
}

pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    use argon2::password_hash::{PasswordVerifier, phc::PasswordHash};
    // A valid argon2id hash of a random string, for unknown names.
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$bGFuZ29kdW1teXNhbHQ$Zbm2X0zYxJpS3c0nI8Hq0m2Kq3kqv6Qk1yH0w7pQ6hE";
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(DUMMY)) else { return false };
    let _turn = crate::demo::argon2_turn();
    argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && hash.is_some()
}

pub async fn totp(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let p = &s.portal;
    let now = p.clock.now();
    let ip = p.client_ip(peer, &headers);
    let next = safe_next(&f.next);
    let restart = |msg: &str| {
        let page = LoginPage {
            error: Some(msg.into()),
            csrf: String::new(),
            username: String::new(),
            next: next.clone(),
            insecure: false,
            totp: false,
        };
        render(StatusCode::UNAUTHORIZED, &login_form(&s, &headers, ip, page))
    };
    if !p.signer.verify("admin-login", &ip.to_string(), &f.csrf, now) {
        return restart("This page has expired. Please sign in again.");
    }
    let token = super::session_token(&headers);
    // The second step counts against the address like the first: guessing
    // codes (or recovery codes) from one place stops there too.
    if address_blocked(ip, now) {
        let _ = p.store.end_admin_session(token);
        return restart("Too many failed sign-ins from this address. Wait 15 minutes.");
    }
    let Ok(Some(session)) = p.store.admin_session(token, now) else {
        return restart("That took too long. Please sign in again.");
    };
    let Ok(Some(admin)) = p.store.admin(session.tenant, &session.username) else {
        return restart("Please sign in again.");
    };
    let secret = admin.totp.as_ref().and_then(|t| p.store.secrets().open(Purpose::TotpSecret, t).ok());
    let locked = p.store.login_lock(&admin.username, now).ok().flatten().is_some();
    // Anything but 6 digits is tried as a recovery code; it is used up in
    // the transaction that starts the session, and only when nothing else
    // refuses the attempt.
    let mut recovered = None;
    let attempt = if locked {
        Attempt::Locked
    } else if admin.disabled {
        Attempt::Disabled
    } else if !session.pending_totp || secret.is_none() {
        Attempt::BadTotp
    } else if crate::ops::recovery::is_totp_code(&f.code) {
        let right = secret.is_some_and(|k| super::totp::verify(&k, &f.code, now));
        if right { Attempt::Ok } else { Attempt::BadTotp }
    } else {
        let digest = crate::ops::recovery::digest(&f.code);
        let used = digest
            .map(|d| p.store.start_admin_session_with_recovery_code(now, &admin, &ip.to_string(), Some(token), &d));
        match used {
            Some(Ok(Some((full, _, left)))) => {
                recovered = Some((full, left));
                Attempt::Ok
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "admin recovery code");
                return super::message(None, StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "");
            }
            None | Some(Ok(None)) => Attempt::BadTotp,
        }
    };
    let _ = p.store.note_login(now, &admin.username, admin.tenant, &ip.to_string(), attempt);
    if attempt != Attempt::Ok {
        address_failed(ip, now);
        let _ = p.store.end_admin_session(token);
        return restart("Wrong code. Sign in again.");
    }
    if let Some((full, left)) = recovered {
        tracing::info!(admin = admin.username, %ip, left, "admin signed in with a recovery code");
        let text = match left {
            0 => "You signed in with your last recovery code. Make new ones on this page now.".to_string(),
            1 => "You signed in with a recovery code: 1 is left. Make new ones on this page soon.".to_string(),
            n => format!("You signed in with a recovery code: {n} are left."),
        };
        // The count is on the account page, where new codes are made.
        let mut r = done("/admin/me", &text);
        r.headers_mut().append(header::SET_COOKIE, session_cookie(secure_context(&s, &headers), &full));
        return r;
    }
    signed_in(&s, &headers, &admin, ip, &next)
}

pub async fn logout(State(s): State<WebState>, Extension(c): Extension<Caller>, headers: HeaderMap) -> Response {
    let _ = s.portal.store.end_admin_session(&c.token);
    let mut r = done("/admin/login", "Signed out.");
    r.headers_mut().append(header::SET_COOKIE, super::clear_cookie(secure_context(&s, &headers)));
    r
}

#[derive(Template)]
#[template(path = "admin/me.html")]
struct MePage {
    c: Chrome,
    totp_on: bool,
    /// Unused recovery codes (when TOTP is on).
    codes_left: usize,
    /// Recovery codes just made, shown this once.
    fresh_codes: Option<Vec<String>>,
    /// Enrolment in progress: the secret to type and its QR code.
    enrol: Option<Enrol>,
    error: Option<String>,
}

struct Enrol {
    secret: String,
    qr_svg: String,
    token: String,
}

pub async fn me(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let fresh = take_fresh_codes(&c.token, s.portal.clock.now());
    me_view(&s, &c, None, StatusCode::OK, fresh)
}

fn me_page(s: &WebState, c: &Caller, error: Option<String>, status: StatusCode) -> Response {
    me_view(s, c, error, status, None)
}

fn me_view(
    s: &WebState,
    c: &Caller,
    error: Option<String>,
    status: StatusCode,
    fresh_codes: Option<Vec<String>>,
) -> Response {
    let enrol = (c.admin.totp.is_none()).then(|| {
        // A fresh secret per page view, carried in a signed field so the
        // confirmation needs no server state until it succeeds.
        let hex = crate::store::random_hex(20);
        let secret = crate::store::from_hex(&hex).unwrap_or_default();
        let issuer = c.tenant.as_ref().map_or("lango".to_string(), |t| format!("lango {}", t.name));
        let uri = super::totp::uri(&issuer, &c.admin.username, &secret);
        let token =
            s.portal.signer.token("totp-enrol", &format!("{}:{hex}", c.admin.username), s.portal.clock.now() + 600);
        Enrol {
            secret: super::totp::base32(&secret),
            qr_svg: crate::pdf::qr_svg(&uri).unwrap_or_default(),
            token: format!("{hex}:{token}"),
        }
    });
    let codes_left = match s.portal.store.recovery_codes_left(c.admin.tenant, &c.admin.username) {
        Ok(n) => n,
        Err(e) => return super::failed(c, &e),
    };
    let page = MePage {
        c: c.chrome("Your account"),
        totp_on: c.admin.totp.is_some(),
        codes_left,
        fresh_codes: fresh_codes.filter(|_| c.admin.totp.is_some()),
        enrol,
        error,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let hash = c.admin.password_hash.clone();
    let current = f.current.clone();
    let right = tokio::task::spawn_blocking(move || verify_password(Some(&hash), &current)).await.unwrap_or(false);
    let problem = if !right {
        Some("Your current password is wrong.")
    } else if f.new.chars().count() < 12 {
        Some("The new password needs at least 12 characters.")
    } else if f.new != f.repeat {
        Some("The two new passwords differ.")
    } else {
        None
    };
    if let Some(p) = problem {
        return me_page(&s, &c, Some(p.into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let new = f.new.clone();
    let Ok(Ok(hash)) = tokio::task::spawn_blocking(move || crate::demo::hash_password(&new)).await else {
        return super::failed(&c, &"password hashing failed");
    };
    let admin = Admin { password_hash: hash, ..c.admin.clone() };
    if let Err(e) = s.portal.store.update_admin(&c.actor(), s.portal.clock.now(), &admin, "admin.password") {
        return super::failed(&c, &e);
    }
    // Every session of this admin ended with the change; this browser
    // signs in again with the new password.
    done("/admin/login", "Password changed. Sign in with the new one.")
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    enrol: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    off: String,
}

pub async fn enrol_totp(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<TotpForm>,
) -> Response {
    let now = s.portal.clock.now();
    let store = &s.portal.store;
    if f.off == "1" {
        if c.admin.totp.is_none() {
            return done("/admin/me", "Two-step sign-in was already off.");
        }
        let admin = Admin { totp: None, ..c.admin.clone() };
        return match store.update_admin(&c.actor(), now, &admin, "admin.totp_off") {
            Ok(()) => done("/admin/me", "Two-step sign-in turned off."),
            Err(e) => super::failed(&c, &e),
        };
    }
    let Some((hex, token)) = f.enrol.split_once(':') else {
        return me_page(&s, &c, Some("The enrolment form is incomplete.".into()), StatusCode::UNPROCESSABLE_ENTITY);
    };
    if !s.portal.signer.verify("totp-enrol", &format!("{}:{hex}", c.admin.username), token, now) {
        return me_page(&s, &c, Some("That code expired; scan the new one.".into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let secret = crate::store::from_hex(hex).unwrap_or_default();
    if secret.len() != 20 || !super::totp::verify(&secret, &f.code, now) {
        return me_page(
            &s,
            &c,
            Some("Wrong code: type the 6 digits your app shows now.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let admin = Admin { totp: Some(store.secrets().seal(Purpose::TotpSecret, &secret)), ..c.admin.clone() };
    if let Err(e) = store.update_admin(&c.actor(), now, &admin, "admin.totp_on") {
        return super::failed(&c, &e);
    }
    match crate::ops::recovery::renew(store, &c.actor(), now, &admin) {
        Ok(codes) => keep_fresh_codes(&c.token, codes, now),
        // TOTP is on; the page offers the button that makes a set.
        Err(e) => tracing::error!(error = %e, admin = admin.username, "recovery codes at TOTP enrolment"),
    }
    done("/admin/me", "Two-step sign-in is on. You will be asked for a code at every sign-in.")
}

/// "Make new recovery codes": a new set, shown once on /admin/me; the old
/// set stops working.
pub async fn recovery_codes(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let now = s.portal.clock.now();
    if c.admin.totp.is_none() {
        let text = "Recovery codes stand in for your authenticator's codes: turn two-step sign-in on first.";
        return me_page(&s, &c, Some(text.into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    match crate::ops::recovery::renew(&s.portal.store, &c.actor(), now, &c.admin) {
        Ok(codes) => {
            keep_fresh_codes(&c.token, codes, now);
            done("/admin/me", "New recovery codes made; the old ones no longer work.")
        }
        Err(e) => super::failed(&c, &e),
    }
}

#[derive(Deserialize)]
pub struct SwitchForm {
    tenant: TenantId,
}

/// A platform admin picks the tenant its pages show.
pub async fn switch_tenant(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<SwitchForm>,
) -> Response {
    let known = s.portal.store.tenants().map(|ts| ts.iter().any(|t| t.id == f.tenant)).unwrap_or(false);
    if !known {
        return super::not_found(&c);
    }
    match s.portal.store.set_session_tenant(&c.token, f.tenant) {
        Ok(()) => done("/admin", "Tenant switched."),
        Err(e) => super::failed(&c, &e),
    }
}
