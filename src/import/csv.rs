//! CSV of customers and services, one service per line, with a header
//! naming the columns (any order): name, phone, email, category,
//! username, password, plan, type (pppoe, hotspot, dhcp, static), mac,
//! ip, expires (YYYY-MM-DD or YYYY-MM-DD HH:MM, tenant's zone). Lines with
//! the same name and phone are one customer. Quotes as RFC 4180.

use std::collections::HashMap;

use super::*;

/// Fields of one CSV record (RFC 4180 quoting) and how many lines it took.
fn record(lines: &mut std::str::Lines<'_>) -> Option<(Vec<String>, usize)> {
    let mut used = 1;
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = lines.next()?;
    loop {
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => fields.push(std::mem::take(&mut field)),
                (_, c) => field.push(c),
            }
        }
        if quoted {
            field.push('\n');
            match lines.next() {
                Some(l) => {
                    line = l;
                    used += 1;
                }
                None => break,
            }
        } else {
            break;
        }
    }
    fields.push(field);
    Some((fields, used))
}

pub fn read(text: &str, tz: &str) -> Read {
    let mut out = Read::default();
    let mut lines = text.lines();
    let Some((header, _)) = record(&mut lines) else {
        out.problems.push(Problem { line: 1, message: "the file is empty".into() });
        return out;
    };
    let cols: HashMap<String, usize> =
        header.iter().enumerate().map(|(i, h)| (h.trim().to_ascii_lowercase(), i)).collect();
    for need in ["name", "username", "plan"] {
        if !cols.contains_key(need) {
            out.problems.push(Problem { line: 1, message: format!("no {need:?} column") });
        }
    }
    if !out.problems.is_empty() {
        return out;
    }
    let mut line_no = 1;
    let mut customers: HashMap<(String, Option<String>), usize> = HashMap::new();
    while let Some((f, used)) = record(&mut lines) {
        let start = line_no + 1;
        line_no += used;
        if f.iter().all(|x| x.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| cols.get(c).and_then(|&i| f.get(i)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let bad = |m: String| Problem { line: start, message: m };
        let (Some(name), Some(username), Some(plan)) = (get("name"), get("username"), get("plan")) else {
            out.problems.push(bad("name, username and plan are required".into()));
            continue;
        };
        let access = match get("type").as_deref().map(AccessType::parse) {
            None => AccessType::Pppoe,
            Some(Some(a)) => a,
            Some(None) => {
                out.problems.push(bad(format!(
                    "type {:?}: use pppoe, hotspot, dhcp or static",
                    get("type").unwrap_or_default()
                )));
                continue;
            }
        };
        let mac = match get("mac") {
            Some(m) => match Mac::parse(&m) {
                Some(m) => Some(m),
                None => {
                    out.problems.push(bad(format!("mac {m:?} is not a MAC address")));
                    continue;
                }
            },
            None => None,
        };
        let static_ip = match get("ip") {
            Some(ip) => match ip.parse() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    out.problems.push(bad(format!("ip {ip:?} is not an IPv4 address")));
                    continue;
                }
            },
            None => None,
        };
        let expires_at = match get("expires") {
            Some(e) => match super::parse_local(tz, &e) {
                Some(t) => Some(t),
                None => {
                    out.problems.push(bad(format!("expires {e:?}: use YYYY-MM-DD or YYYY-MM-DD HH:MM")));
                    continue;
                }
            },
            None => None,
        };
        let password = get("password").unwrap_or_default();
        if password.is_empty() && access != AccessType::DhcpMac {
            out.problems.push(bad(format!("{username} has no password")));
            continue;
        }
        let phone_raw = get("phone");
        let phone = match phone_raw.as_deref() {
            Some(p) => match msisdn(p) {
                Some(m) => Some(m),
                None => {
                    out.problems.push(bad(format!("phone {p:?} is not a Kenyan mobile number")));
                    continue;
                }
            },
            None => None,
        };
        let service = ImportService {
            line: start,
            plan,
            access,
            username,
            password,
            mac,
            static_ip,
            expires_at,
            disabled: false,
        };
        match customers.get(&(name.clone(), phone.clone())) {
            Some(&i) => out.set.customers[i].services.push(service),
            None => {
                customers.insert((name.clone(), phone.clone()), out.set.customers.len());
                out.set.customers.push(ImportCustomer {
                    line: start,
                    name,
                    phone,
                    email: get("email"),
                    category: get("category").map(|c| c.to_lowercase()),
                    services: vec![service],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_groups_and_names_bad_lines() {
        let text = "name,phone,username,password,plan,type,mac,expires\n\
                    \"Wanjiru, Amina\",0712000001,amina,pw1,Home 10M,pppoe,,2027-01-01\n\
                    \"Wanjiru, Amina\",0712000001,amina-tv,pw2,Home 10M,hotspot,,\n\
                    Bob,,bob,,Home 10M,pppoe,,\n\
                    Cy,12,cy,pw,Home 10M,pppoe,,\n\
                    Dee,,dee,pw,Home 10M,fibre,,\n\
                    \"Multi\nline\",,ml,pw,Home 10M,dhcp,zz,\n";
        let r = read(text, "Africa/Nairobi");
        assert_eq!(r.set.customers.len(), 1, "{:?}", r.set.customers);
        assert_eq!(r.set.customers[0].name, "Wanjiru, Amina");
        assert_eq!(r.set.customers[0].services.len(), 2);
        let lines: Vec<usize> = r.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7], "{:?}", r.problems);
        assert!(r.problems[0].message.contains("bob has no password"));
        assert!(r.problems[3].message.contains("mac \"zz\""));
    }
}
