//! Access-Request: find the service (username, voucher code or MAC), verify
//! PAP / CHAP / MS-CHAPv2 / MAC, run policy, and answer Access-Accept with
//! MikroTik attributes or Access-Reject with a Reply-Message.

use super::authlog::AuthEvent;
use super::codec::{Builder, Code, Packet};
use super::crypto::{self, mschapv2};
use super::dict::{attr, microsoft as ms};
use super::directory::NasEntry;
use super::guard::Key;
use super::reply;
use super::{Radius, counters::Counters};
use crate::clock::Clock;
use crate::model::Mac;
use crate::policy::{self, Decision, RequestKind};
use crate::store::{LoginReader, ServiceLogin};

/// How the client proved who it is.
enum Credential<'a> {
    Pap(Vec<u8>),
    Chap { response: &'a [u8], challenge: &'a [u8] },
    MsChapV2 { challenge: &'a [u8], response: &'a [u8] },
    None,
}

/// Why a request was rejected before policy ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    UnknownUser,
    BadPassword,
    NoCredential,
}

/// Handle a decoded Access-Request from a known NAS whose
/// Message-Authenticator has already been checked. `None` = drop.
pub fn handle(r: &Radius, reader: &mut LoginReader, nas: &NasEntry, req: &Packet<'_>) -> Option<Vec<u8>> {
    Counters::inc(&r.counters.access_requests);
    let secret = nas.secret.as_slice();
    let username_raw = req.attr(attr::USER_NAME).unwrap_or_default();
    let Ok(username) = std::str::from_utf8(username_raw) else {
        return Some(reject(r, req, secret, None, "Invalid username or password"));
    };

    let credential = match credential(req, secret) {
        Ok(c) => c,
        Err(()) => {
            Counters::inc(&r.counters.dropped_bad_password_encoding);
            return None;
        }
    };
    let user_mac = Mac::parse(username);
    let kind = request_kind(req, user_mac.is_some(), &credential);
    let device = req.attr(attr::CALLING_STATION_ID).and_then(|v| std::str::from_utf8(v).ok()).and_then(Mac::parse);

    // Guessing guard: a device or address with too many failed logins is
    // refused before any lookup. MAC authentication is not a guess.
    let (keys, n) = guard_keys(nas.tenant.id, kind, device, req);
    let guard_keys = &keys[..n];
    let now = r.clock.now();
    let note = |outcome: &'static str, message: &str| {
        r.authlog.push(AuthEvent {
            at: now,
            tenant: nas.tenant.id,
            nas: nas.nas.id,
            username: username.to_string(),
            device,
            outcome,
            message: message.to_string(),
        })
    };
    if let Some(left) = r.guard.blocked(guard_keys, now) {
        Counters::inc(&r.counters.access_rejects_guessing);
        let message = format!("Too many wrong codes or passwords: try again in {} minutes", (left + 59) / 60);
        note("rejected", &message);
        return Some(reject(r, req, secret, mschap_ident(&credential), &message));
    }

    let login = match r.store.login(reader, nas.tenant.id, username, user_mac) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "store read failed during authentication");
            Counters::inc(&r.counters.dropped_store_error);
            return None;
        }
    };
    let Some(login) = login else {
        r.guard.failed(guard_keys, now);
        note("rejected", REFUSED);
        return Some(refuse(r, req, secret, &credential, Refusal::UnknownUser, username));
    };

    let success = match verify(&login, &credential, username, kind) {
        Ok(s) => s,
        Err(refusal) => {
            r.guard.failed(guard_keys, now);
            note("rejected", REFUSED);
            return Some(refuse(r, req, secret, &credential, refusal, username));
        }
    };
    r.guard.succeeded(guard_keys);

    let (weekday, minute) = Clock::local_weekday_minute_in(now, &nas.zone);
    let input = policy::Input {
        tenant: &nas.tenant,
        service: &login.service,
        plan: &login.plan,
        usage: &login.usage,
        online: r.online.count(nas.tenant.id, login.service.id),
        kind,
        device,
        now,
        local_weekday: weekday,
        local_minute: minute,
    };
    match policy::evaluate(&input) {
        Decision::Accept(grant) => {
            Counters::inc(&r.counters.access_accepts);
            if grant.captive.is_some() {
                Counters::inc(&r.counters.access_captive);
                note("captive", grant.reply_message.as_deref().unwrap_or("captive"));
            }
            tracing::debug!(user = username, nas = %nas.nas.name, captive = ?grant.captive, "accept");
            let mut b = Builder::new(Code::AccessAccept, req.identifier);
            reply::grant(&mut b, &grant);
            if let Some(v) = &success {
                reply::mschap_success(&mut b, v, secret, &req.authenticator);
            }
            reply::proxy_state(&mut b, req);
            finish(b, req, secret)
        }
        Decision::Reject(reason) => {
            tracing::debug!(user = username, reason = reason.label(), "reject");
            note("rejected", reason.message());
            Some(reject(r, req, secret, mschap_ident(&credential), reason.message()))
        }
    }
}

fn credential<'a>(req: &'a Packet<'a>, secret: &[u8]) -> Result<Credential<'a>, ()> {
    if let Some(hidden) = req.attr(attr::USER_PASSWORD) {
        let pw = crypto::unhide_password(hidden, secret, &req.authenticator).map_err(|_| ())?;
        return Ok(Credential::Pap(pw));
    }
    if let Some(response) = req.attr(attr::CHAP_PASSWORD) {
        if response.len() != 17 {
            return Err(());
        }
        let challenge = req.attr(attr::CHAP_CHALLENGE).unwrap_or(&req.authenticator);
        return Ok(Credential::Chap { response, challenge });
    }
    if let (Some(challenge), Some(response)) =
        (req.vsa(ms::VENDOR_ID, ms::MS_CHAP_CHALLENGE), req.vsa(ms::VENDOR_ID, ms::MS_CHAP2_RESPONSE))
    {
        if challenge.len() != 16 || response.len() != 50 {
            return Err(());
        }
        return Ok(Credential::MsChapV2 { challenge, response });
    }
    Ok(Credential::None)
}

/// MikroTik: PPP sends Framed-Protocol = PPP; the hotspot sends
/// Service-Type = Login-User; the DHCP server and hotspot login-by-mac send
/// the MAC as User-Name with no (or an empty, or the MAC as) password.
fn request_kind(req: &Packet<'_>, username_is_mac: bool, c: &Credential<'_>) -> RequestKind {
    let mac_like = username_is_mac
        && match c {
            Credential::None => true,
            Credential::Pap(pw) => pw.is_empty() || Mac::parse(std::str::from_utf8(pw).unwrap_or("")).is_some(),
            _ => false,
        };
    if mac_like {
        RequestKind::Mac
    } else if req.attr_u32(attr::FRAMED_PROTOCOL) == Some(1) {
        RequestKind::Ppp
    } else if req.attr_u32(attr::SERVICE_TYPE) == Some(1) {
        RequestKind::Hotspot
    } else {
        RequestKind::Unknown
    }
}

/// Check the credential against the stored password. MS-CHAPv2 success
/// yields what the Access-Accept must carry back.
fn verify(
    login: &ServiceLogin,
    c: &Credential<'_>,
    username: &str,
    kind: RequestKind,
) -> Result<Option<mschapv2::Verified>, Refusal> {
    let stored = login.password.as_slice();
    match c {
        _ if kind == RequestKind::Mac => {
            // A MAC login proves the device by its address; the service must
            // really be bound to that MAC.
            let mac = Mac::parse(username);
            if mac.is_some() && (login.service.mac == mac || login.service.username == username) {
                Ok(None)
            } else {
                Err(Refusal::BadPassword)
            }
        }
        Credential::Pap(pw) => crypto::ct_eq(pw, stored).then_some(None).ok_or(Refusal::BadPassword),
        Credential::Chap { response, challenge } => {
            crypto::chap_verify(response, challenge, stored).then_some(None).ok_or(Refusal::BadPassword)
        }
        Credential::MsChapV2 { challenge, response } => {
            let password = std::str::from_utf8(stored).map_err(|_| Refusal::BadPassword)?;
            mschapv2::verify(challenge, response, username.as_bytes(), password).map(Some).ok_or(Refusal::BadPassword)
        }
        Credential::None => Err(Refusal::NoCredential),
    }
}

fn mschap_ident(c: &Credential<'_>) -> Option<(u8, [u8; 16])> {
    match c {
        Credential::MsChapV2 { challenge, response } => {
            let mut ch = [0u8; 16];
            ch.copy_from_slice(challenge);
            Some((response[0], ch))
        }
        _ => None,
    }
}

/// The device (Calling-Station-Id MAC) and, for hotspot logins, the client
/// address (Framed-IP-Address) whose failures count.
/// (No allocation: the keys and how many of them are set.)
fn guard_keys(
    tenant: crate::model::TenantId,
    kind: RequestKind,
    device: Option<Mac>,
    req: &Packet<'_>,
) -> ([Key; 2], usize) {
    let mut keys = [Key::Device(tenant, 0); 2];
    let mut n = 0;
    if kind == RequestKind::Mac {
        return (keys, 0);
    }
    if let Some(m) = device {
        keys[n] = Key::Device(tenant, m.0);
        n += 1;
    }
    if kind == RequestKind::Hotspot
        && let Some(ip) = req.attr(attr::FRAMED_IP_ADDRESS).and_then(|v| <[u8; 4]>::try_from(v).ok())
    {
        keys[n] = Key::Address(tenant, u32::from_be_bytes(ip));
        n += 1;
    }
    (keys, n)
}

fn refuse(r: &Radius, req: &Packet<'_>, secret: &[u8], c: &Credential<'_>, why: Refusal, username: &str) -> Vec<u8> {
    tracing::debug!(user = username, reason = ?why, "reject before policy");
    reject(r, req, secret, mschap_ident(c), REFUSED)
}

/// What a wrong username or password is told (the same for both).
const REFUSED: &str = "Invalid username or password";

fn reject(r: &Radius, req: &Packet<'_>, secret: &[u8], mschap: Option<(u8, [u8; 16])>, message: &str) -> Vec<u8> {
    Counters::inc(&r.counters.access_rejects);
    let mut b = Builder::new(Code::AccessReject, req.identifier);
    reply::reply_message(&mut b, message);
    if let Some((ident, challenge)) = mschap {
        reply::mschap_error(&mut b, ident, &challenge);
    }
    reply::proxy_state(&mut b, req);
    // A reply that cannot be encoded is a bug in our attribute sizes; a
    // bare reject is still correct.
    finish(b, req, secret).unwrap_or_else(|| {
        Builder::new(Code::AccessReject, req.identifier)
            .finish_response(&req.authenticator, secret)
            .expect("empty reject encodes")
    })
}

fn finish(b: Builder, req: &Packet<'_>, secret: &[u8]) -> Option<Vec<u8>> {
    match b.finish_response(&req.authenticator, secret) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::error!(error = %e, "reply too large to encode");
            None
        }
    }
}
