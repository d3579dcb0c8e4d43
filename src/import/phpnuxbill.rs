//! PHPNuxBill → lango: `tbl_plans` (with `tbl_bandwidth` for the speed)
//! become plans (price, validity in minutes/hours/days/months, data limit,
//! shared users, pool, enabled); `tbl_customers` become customers with one
//! login each (PPPoE or hotspot by `service_type`, the PPPoE password when
//! set); the latest `tbl_user_recharges` row of a customer gives its plan
//! and expiry (`expiration` + `time`, in the tenant's zone). A customer
//! who never recharged comes in expired, on the first plan of its type.

use std::collections::HashMap;

use super::sqldump::{self, Row};
use super::*;

const TABLES: [&str; 4] = ["tbl_plans", "tbl_bandwidth", "tbl_customers", "tbl_user_recharges"];

pub fn read(dump: &str, tz: &str, now: UnixTime) -> Read {
    let mut out = Read::default();
    let rows = match sqldump::rows(dump, &TABLES) {
        Ok(r) => r,
        Err(e) => {
            out.problems.push(Problem { line: e.line, message: e.message });
            return out;
        }
    };
    let of = |t: &'static str| rows.iter().filter(move |r| r.table == t);
    let text = |r: &Row, c: &str| r.get(c).unwrap_or_default().trim().to_string();
    let bandwidth: HashMap<String, String> = of("tbl_bandwidth")
        .map(|r| {
            let unit = |u: String| if u.eq_ignore_ascii_case("Mbps") { "M" } else { "k" };
            let rate = format!(
                "{}{}/{}{}",
                text(r, "rate_up"),
                unit(text(r, "rate_up_unit")),
                text(r, "rate_down"),
                unit(text(r, "rate_down_unit"))
            );
            (text(r, "id"), rate)
        })
        .collect();
    // plan id → (name, access)
    let mut plans: HashMap<String, (String, AccessType)> = HashMap::new();
    for r in of("tbl_plans") {
        let name = text(r, "name_plan");
        let access = match text(r, "type").to_ascii_lowercase().as_str() {
            "hotspot" => AccessType::Hotspot,
            "pppoe" => AccessType::Pppoe,
            other => {
                out.warnings.push(Problem { line: r.line, message: format!("plan {name}: type {other:?} skipped") });
                continue;
            }
        };
        let mut p = plan_named(&name);
        p.offer.access = vec![access];
        match crate::model::units::parse_money(&text(r, "price")) {
            Ok(price) => p.price = price,
            Err(_) => out
                .problems
                .push(Problem { line: r.line, message: format!("plan {name}: price {:?}", text(r, "price")) }),
        }
        let n: u32 = text(r, "validity").parse().unwrap_or(0);
        use crate::billing::{Period, PeriodUnit};
        p.validity = match text(r, "validity_unit").as_str() {
            "Mins" => {
                out.warnings
                    .push(Problem { line: r.line, message: format!("plan {name}: {n} minutes rounded up to hours") });
                Period { unit: PeriodUnit::Hour, count: n.div_ceil(60).max(1) }
            }
            "Hrs" => Period { unit: PeriodUnit::Hour, count: n.max(1) },
            "Days" => Period { unit: PeriodUnit::Day, count: n.max(1) },
            "Months" => Period { unit: PeriodUnit::Month, count: n.max(1) },
            other => {
                out.problems.push(Problem { line: r.line, message: format!("plan {name}: validity unit {other:?}") });
                continue;
            }
        };
        if let Some(rate) = bandwidth.get(&text(r, "id_bw")) {
            match RateLimit::parse(rate) {
                Ok(rl) => p.rate = Some(rl),
                Err(e) => {
                    out.problems.push(Problem { line: r.line, message: format!("plan {name}: speed {rate}: {e}") })
                }
            }
        }
        let limited = text(r, "typebp") == "Limited" && text(r, "limit_type") != "Time_Limit";
        if limited && let Ok(n) = text(r, "data_limit").parse::<u64>() {
            let unit = if text(r, "data_unit") == "GB" { 1_000_000_000 } else { 1_000_000 };
            p.quota_bytes = Some(n * unit);
        }
        p.simultaneous_use = text(r, "shared_users").parse().unwrap_or(1);
        p.address_pool = Some(text(r, "pool")).filter(|s| !s.is_empty());
        p.disabled = text(r, "enabled") == "0";
        plans.insert(text(r, "id"), (name, access));
        out.set.plans.push(p);
    }
    // customer id → latest recharge (highest id)
    let mut latest: HashMap<String, &Row> = HashMap::new();
    for r in of("tbl_user_recharges") {
        let id: i64 = text(r, "id").parse().unwrap_or(0);
        let c = text(r, "customer_id");
        if latest.get(&c).is_none_or(|old| text(old, "id").parse::<i64>().unwrap_or(0) < id) {
            latest.insert(c, r);
        }
    }
    for r in of("tbl_customers") {
        let username = text(r, "username");
        let access = if text(r, "service_type").eq_ignore_ascii_case("Hotspot") {
            AccessType::Hotspot
        } else {
            AccessType::Pppoe
        };
        let pppoe_pw = text(r, "pppoe_password");
        let password = if access == AccessType::Pppoe && !pppoe_pw.is_empty() { pppoe_pw } else { text(r, "password") };
        if password.is_empty() {
            out.problems.push(Problem { line: r.line, message: format!("{username} has no password") });
            continue;
        }
        let (plan, expires_at) = match latest.get(&text(r, "id")) {
            Some(rc) => {
                let Some((name, _)) = plans.get(&text(rc, "plan_id")) else {
                    out.problems.push(Problem {
                        line: rc.line,
                        message: format!("{username}: recharge with unknown plan {}", text(rc, "plan_id")),
                    });
                    continue;
                };
                let date = text(rc, "expiration").parse::<jiff::civil::Date>();
                let time = text(rc, "time").parse::<jiff::civil::Time>().unwrap_or(jiff::civil::Time::midnight());
                match date.ok().and_then(|d| local(tz, d, time)) {
                    Some(t) => (name.clone(), Some(t)),
                    None => {
                        out.problems.push(Problem {
                            line: rc.line,
                            message: format!("{username}: expiration {:?} is not a date", text(rc, "expiration")),
                        });
                        continue;
                    }
                }
            }
            None => {
                let Some((name, _)) = plans.values().filter(|(_, a)| *a == access).min_by(|a, b| a.0.cmp(&b.0)) else {
                    out.problems
                        .push(Problem { line: r.line, message: format!("{username}: no {} plan", access.as_str()) });
                    continue;
                };
                out.warnings.push(Problem {
                    line: r.line,
                    message: format!("{username} never recharged: comes in expired on {name}"),
                });
                (name.clone(), Some(now))
            }
        };
        let fullname = text(r, "fullname");
        out.set.customers.push(ImportCustomer {
            line: r.line,
            name: if fullname.is_empty() { username.clone() } else { fullname },
            phone: phone(r.get("phonenumber"), r.line, &mut out.warnings),
            email: Some(text(r, "email")).filter(|e| !e.is_empty()),
            category: None,
            services: vec![ImportService {
                line: r.line,
                plan,
                access,
                username,
                password,
                mac: None,
                static_ip: None,
                expires_at,
                disabled: false,
            }],
        });
    }
    out
}
