//! daloRADIUS / FreeRADIUS SQL schema → lango: `radcheck` gives each login
//! its password (Cleartext-Password or User-Password), expiry
//! (Expiration), MAC (Calling-Station-Id ==) and Auth-Type := Reject
//! (disabled); `radreply` its static address (Framed-IP-Address) and own
//! speed (Mikrotik-Rate-Limit); `radusergroup` its group, which becomes its
//! plan, shaped by `radgroupreply` / `radgroupcheck` (Mikrotik-Rate-Limit,
//! Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Framed-Pool,
//! Mikrotik-Total-Limit, Simultaneous-Use); `userinfo` the customer.
//! Hashed passwords cannot do CHAP or MS-CHAPv2 and stop the import.

use std::collections::{BTreeMap, HashMap};

use super::sqldump::{self, Row};
use super::*;

const DISABLED_GROUP: &str = "daloRADIUS-Disabled-Users";
const TABLES: [&str; 6] = ["radcheck", "radreply", "radusergroup", "radgroupreply", "radgroupcheck", "userinfo"];

#[derive(Default)]
struct User {
    line: usize,
    password: Option<String>,
    hashed: Option<String>,
    expires: Option<UnixTime>,
    mac: Option<Mac>,
    disabled: bool,
    static_ip: Option<Ipv4Addr>,
    rate: Option<RateLimit>,
    group: Option<(i64, String)>,
}

pub fn read(dump: &str, tz: &str) -> Read {
    let mut out = Read::default();
    let rows = match sqldump::rows(dump, &TABLES) {
        Ok(r) => r,
        Err(e) => {
            out.problems.push(Problem { line: e.line, message: e.message });
            return out;
        }
    };
    let mut users: BTreeMap<String, User> = BTreeMap::new();
    let mut groups: BTreeMap<String, Plan> = BTreeMap::new();
    let mut info: HashMap<String, &Row> = HashMap::new();
    let text = |r: &Row, c: &str| r.get(c).unwrap_or_default().trim().to_string();
    for r in &rows {
        let (attr, value) = (text(r, "attribute"), text(r, "value"));
        match r.table.as_str() {
            "radcheck" => {
                let name = text(r, "username");
                let u = users.entry(name.clone()).or_insert_with(|| User { line: r.line, ..User::default() });
                match attr.as_str() {
                    "Cleartext-Password" | "User-Password" => u.password = Some(value),
                    "MD5-Password" | "Crypt-Password" | "SHA-Password" | "SSHA-Password" | "NT-Password"
                    | "SMD5-Password" | "SHA1-Password" => u.hashed = Some(attr),
                    "Expiration" => match expiration(&value, tz) {
                        Some(t) => u.expires = Some(t),
                        None => out.problems.push(Problem {
                            line: r.line,
                            message: format!(
                                "{name}: Expiration {value:?} is not a date such as \"01 Jan 2027 12:00\""
                            ),
                        }),
                    },
                    "Calling-Station-Id" => u.mac = Mac::parse(&value),
                    "Auth-Type" => u.disabled |= value.eq_ignore_ascii_case("Reject"),
                    "Simultaneous-Use" => {}
                    other => out.warnings.push(Problem { line: r.line, message: format!("{name}: {other} ignored") }),
                }
            }
            "radreply" => {
                let name = text(r, "username");
                let u = users.entry(name.clone()).or_insert_with(|| User { line: r.line, ..User::default() });
                match attr.as_str() {
                    "Framed-IP-Address" => u.static_ip = value.parse().ok(),
                    "Mikrotik-Rate-Limit" => match RateLimit::parse(&value) {
                        Ok(rate) => u.rate = Some(rate),
                        Err(e) => out.problems.push(Problem { line: r.line, message: format!("{name}: {e}") }),
                    },
                    other => {
                        out.warnings.push(Problem { line: r.line, message: format!("{name}: reply {other} ignored") })
                    }
                }
            }
            "radusergroup" => {
                let name = text(r, "username");
                let priority = text(r, "priority").parse().unwrap_or(1);
                let group = text(r, "groupname");
                // daloRADIUS disables a user by putting it in this group.
                if group == DISABLED_GROUP {
                    users.entry(name).or_insert_with(|| User { line: r.line, ..User::default() }).disabled = true;
                    continue;
                }
                groups.entry(group.clone()).or_insert_with(|| plan_named(&group));
                let u = users.entry(name).or_insert_with(|| User { line: r.line, ..User::default() });
                if u.group.as_ref().is_none_or(|(p, _)| priority < *p) {
                    u.group = Some((priority, group));
                }
            }
            "radgroupreply" | "radgroupcheck" => {
                let group = text(r, "groupname");
                if group == DISABLED_GROUP {
                    continue;
                }
                let p = groups.entry(group.clone()).or_insert_with(|| plan_named(&group));
                let n = value.parse::<u64>().ok();
                let secs = n.and_then(|n| u32::try_from(n).ok());
                match attr.as_str() {
                    "Mikrotik-Rate-Limit" => match RateLimit::parse(&value) {
                        Ok(rate) => p.rate = Some(rate),
                        Err(e) => out.problems.push(Problem { line: r.line, message: format!("group {group}: {e}") }),
                    },
                    "Session-Timeout" => p.session_timeout = secs,
                    "Idle-Timeout" => p.idle_timeout = secs,
                    "Acct-Interim-Interval" => p.interim_interval = secs.unwrap_or(300),
                    "Framed-Pool" => p.address_pool = Some(value),
                    "Mikrotik-Total-Limit" => p.quota_bytes = n,
                    "Simultaneous-Use" => p.simultaneous_use = secs.unwrap_or(0),
                    other => {
                        out.warnings.push(Problem { line: r.line, message: format!("group {group}: {other} ignored") })
                    }
                }
            }
            "userinfo" => {
                info.insert(text(r, "username"), r);
            }
            _ => {}
        }
    }
    for (name, u) in users {
        let Some(password) = u.password.clone().or_else(|| Mac::parse(&name).map(|_| String::new())) else {
            let message = match &u.hashed {
                Some(kind) => format!(
                    "{name} has only a hashed password ({kind}); lango needs it in clear for CHAP and MS-CHAPv2: add a Cleartext-Password"
                ),
                None => format!("{name} has no password"),
            };
            out.problems.push(Problem { line: u.line, message });
            continue;
        };
        let base = u.group.as_ref().map(|(_, g)| g.clone());
        // A user's own speed makes a plan of its own: "<group> <rate>".
        let plan = match (&u.rate, &base) {
            (Some(rate), base) => {
                let name = format!("{} {}", base.as_deref().unwrap_or("Imported"), rate);
                let mut p = base.as_ref().and_then(|b| groups.get(b)).cloned().unwrap_or_else(|| plan_named(&name));
                p.name = name.clone();
                p.rate = Some(*rate);
                groups.entry(name.clone()).or_insert(p);
                name
            }
            (None, Some(g)) => g.clone(),
            (None, None) => {
                groups.entry("Imported".into()).or_insert_with(|| plan_named("Imported"));
                "Imported".into()
            }
        };
        let i = info.get(&name);
        let full = i
            .map(|r| format!("{} {}", text(r, "firstname"), text(r, "lastname")).trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| name.clone());
        let phone_raw = i.and_then(|r| {
            ["mobilephone", "workphone", "homephone"].iter().find_map(|c| r.get(c).filter(|v| !v.trim().is_empty()))
        });
        let username_mac = Mac::parse(&name);
        let access = if username_mac.is_some() { AccessType::DhcpMac } else { AccessType::Pppoe };
        out.set.customers.push(ImportCustomer {
            line: u.line,
            name: full,
            phone: phone(phone_raw, i.map_or(u.line, |r| r.line), &mut out.warnings),
            email: i.map(|r| text(r, "email")).filter(|e| !e.is_empty()),
            category: None,
            services: vec![ImportService {
                line: u.line,
                plan,
                access,
                username: name.clone(),
                password,
                mac: u.mac.or(username_mac),
                static_ip: u.static_ip,
                expires_at: u.expires,
                disabled: u.disabled,
            }],
        });
    }
    out.set.plans = groups.into_values().collect();
    out
}

/// FreeRADIUS's Expiration forms: "01 Jan 2027", "Jan 01 2027",
/// "January 1 2027 12:00", with optional ":SS".
fn expiration(s: &str, tz: &str) -> Option<UnixTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let month = |m: &str| {
        let m = m.to_ascii_lowercase();
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            .iter()
            .position(|x| m.starts_with(x))
            .map(|i| i as i8 + 1)
    };
    let (day, mon, year, rest) = match parts.as_slice() {
        [a, b, y, rest @ ..] if a.chars().all(|c| c.is_ascii_digit()) => {
            (a.parse().ok()?, month(b)?, y.parse().ok()?, rest)
        }
        [b, a, y, rest @ ..] => (a.trim_end_matches(',').parse().ok()?, month(b)?, y.parse().ok()?, rest),
        _ => return None,
    };
    let time = match rest {
        [] => jiff::civil::Time::midnight(),
        [t] => {
            let mut it = t.split(':').map(|x| x.parse::<i8>());
            let (h, m) = (it.next()?.ok()?, it.next()?.ok()?);
            let sec = it.next().transpose().ok()?.unwrap_or(0);
            jiff::civil::Time::new(h, m, sec, 0).ok()?
        }
        _ => return None,
    };
    let date = jiff::civil::Date::new(year, mon, day).ok()?;
    local(tz, date, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_forms() {
        let nbi = "Africa/Nairobi";
        let want = local(nbi, jiff::civil::date(2027, 1, 1), jiff::civil::time(12, 0, 0, 0)).unwrap();
        assert_eq!(expiration("01 Jan 2027 12:00", nbi), Some(want));
        assert_eq!(expiration("Jan 01 2027 12:00:00", nbi), Some(want));
        assert_eq!(expiration("January 1 2027 12:00", nbi), Some(want));
        assert_eq!(expiration("2027-01-01", nbi), None);
        assert_eq!(expiration("31 Feb 2027", nbi), None);
    }
}
