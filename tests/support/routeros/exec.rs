//! What the RouterOS simulator does with one sentence: login, the menu
//! verbs (print/getall, add, set, remove), `/cancel`, hotspot login, and the
//! `!trap` RouterOS answers for anything it does not know.

use super::schema::{self, Menu};
use super::{Row, State};

type Reply = Vec<String>;

/// The parsed request: attributes (`=k=v`), queries (`?...`), API
/// attributes (`.tag`, `.proplist` given as `=.proplist=`).
struct Request {
    path: String,
    tag: Option<String>,
    attrs: Vec<(String, String)>,
    queries: Vec<String>,
}

fn parse(sentence: &[String]) -> Request {
    let mut r = Request { path: sentence[0].clone(), tag: None, attrs: vec![], queries: vec![] };
    for w in &sentence[1..] {
        if let Some(t) = w.strip_prefix(".tag=") {
            r.tag = Some(t.to_string());
        } else if let Some(a) = w.strip_prefix('=') {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            r.attrs.push((k.to_string(), v.to_string()));
        } else if w.starts_with('?') {
            r.queries.push(w.clone());
        }
    }
    r
}

/// `.tag` goes right after the reply word. (RouterOS has been seen to put it
/// last too; mikrotik-proto 0.2 parses `!done` only with the tag first, and
/// drops `=ret=`: see ARCHITECTURE.md.)
fn tagged(mut words: Vec<String>, tag: &Option<String>) -> Reply {
    if let Some(t) = tag {
        words.insert(1, format!(".tag={t}"));
    }
    words
}

fn done(tag: &Option<String>, ret: Option<String>) -> Reply {
    let mut w = vec!["!done".to_string()];
    if let Some(r) = ret {
        w.push(format!("=ret={r}"));
    }
    tagged(w, tag)
}

fn trap(tag: &Option<String>, category: Option<u8>, message: &str) -> Reply {
    let mut w = vec!["!trap".to_string()];
    if let Some(c) = category {
        w.push(format!("=category={c}"));
    }
    w.push(format!("=message={message}"));
    tagged(w, tag)
}

pub fn handle(st: &mut State, sentence: &[String], logged_in: &mut bool) -> Vec<Reply> {
    let req = parse(sentence);
    let tag = &req.tag;
    if req.path == "/login" {
        let get = |k: &str| req.attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        return if get("name") == Some(st.user.as_str()) && get("password") == Some(st.password.as_str()) {
            *logged_in = true;
            st.logins += 1;
            vec![done(tag, None)]
        } else {
            vec![trap(tag, None, "invalid user name or password (6)")]
        };
    }
    if !*logged_in {
        return vec![trap(tag, None, "not logged in")];
    }
    if req.path == "/cancel" {
        // Every command here completes at once: nothing is left to cancel.
        return vec![done(tag, None)];
    }
    if let Some((_, message)) = st.traps.iter().find(|(c, _)| *c == req.path) {
        return vec![trap(tag, None, &message.clone())];
    }
    let Some((menu_path, verb)) = req.path.rsplit_once('/') else {
        return vec![trap(tag, Some(0), "no such command prefix")];
    };
    let Some(menu) = schema::menu(menu_path) else {
        return vec![trap(tag, Some(0), "no such command prefix")];
    };
    let verb = if verb == "getall" { "print" } else { verb };
    if !menu.verbs.contains(&verb) {
        return vec![trap(tag, Some(0), "no such command")];
    }
    let result = match verb {
        "print" => print(st, menu, &req),
        "add" => add(st, menu, &req),
        "set" => set(st, menu, &req),
        "remove" => remove(st, menu, &req),
        "login" => hotspot_login(st, &req),
        _ => Err((Some(0), "no such command".to_string())),
    };
    match result {
        Ok(replies) => replies,
        Err((category, message)) => vec![trap(tag, category, &message)],
    }
}

/// A refusal: the trap's category (if any) and message.
type Refusal = (Option<u8>, String);
type Outcome = Result<Vec<Reply>, Refusal>;

fn print(st: &mut State, menu: &Menu, req: &Request) -> Outcome {
    let mut proplist: Option<Vec<String>> = None;
    for (k, v) in &req.attrs {
        match k.as_str() {
            ".proplist" => proplist = Some(v.split(',').map(str::to_string).collect()),
            "detail" | "without-paging" | "as-value" => {}
            other => return Err((None, format!("unknown parameter {other}"))),
        }
    }
    let rows = st.tables.get(menu.path).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| query(r, &req.queries)) {
        let mut words = vec!["!re".to_string()];
        for (k, v) in row {
            if proplist.as_ref().is_none_or(|p| p.contains(k)) {
                words.push(format!("={k}={v}"));
            }
        }
        out.push(tagged(words, &req.tag));
    }
    out.push(done(&req.tag, None));
    Ok(out)
}

/// Evaluate `?` query words on a row, with RouterOS's stack semantics:
/// each word pushes a result, `?#` operations combine them, and the row
/// matches when every value left on the stack is true.
fn query(row: &Row, words: &[String]) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    for w in words {
        let q = &w[1..];
        if let Some(ops) = q.strip_prefix('#') {
            for op in ops.chars() {
                match op {
                    '!' => {
                        let a = stack.pop().unwrap_or(true);
                        stack.push(!a);
                    }
                    '&' | '|' => {
                        let b = stack.pop().unwrap_or(true);
                        let a = stack.pop().unwrap_or(true);
                        stack.push(if op == '&' { a && b } else { a || b });
                    }
                    '.' => {
                        let a = stack.last().copied().unwrap_or(true);
                        stack.push(a);
                    }
                    _ => {}
                }
            }
            continue;
        }
        let cmp = |a: &str, b: &str| match (a.parse::<i64>(), b.parse::<i64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        };
        let r = if let Some(name) = q.strip_prefix('-') {
            !row.contains_key(name)
        } else if let Some(rest) = q.strip_prefix('<') {
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            row.get(k).is_some_and(|x| cmp(x, v).is_lt())
        } else if let Some(rest) = q.strip_prefix('>') {
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            row.get(k).is_some_and(|x| cmp(x, v).is_gt())
        } else if let Some((k, v)) = q.split_once('=') {
            row.get(k).is_some_and(|x| x == v)
        } else {
            row.contains_key(q)
        };
        stack.push(r);
    }
    stack.into_iter().all(|b| b)
}

/// Check parameters against the menu; RouterOS prints yes/no as true/false.
fn checked(menu: &Menu, attrs: &[(String, String)], adding: bool) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for (k, v) in attrs {
        if k == ".id" || k == "numbers" {
            continue;
        }
        let Some((_, values)) = menu.params.iter().find(|(n, _)| n == k) else {
            return Err((None, format!("unknown parameter {k}")));
        };
        if !adding && (k == "copy-from" || k == "place-before") && !menu.singleton {
            return Err((None, format!("unknown parameter {k}")));
        }
        if !values.is_empty() && !values.contains(&v.as_str()) {
            return Err((Some(1), format!("input does not match any value of {k}")));
        }
        let v = match (values, v.as_str()) {
            (&["no", "yes"], "yes") => "true".to_string(),
            (&["no", "yes"], "no") => "false".to_string(),
            _ => v.clone(),
        };
        out.push((k.clone(), v));
    }
    Ok(out)
}

/// A mangle rule's routing mark must name a routing table with fib (or the
/// built-in `main`), as RouterOS 7 requires.
fn known_mark(st: &State, attrs: &[(String, String)]) -> Result<(), Refusal> {
    let Some((_, mark)) = attrs.iter().find(|(k, _)| k == "new-routing-mark") else { return Ok(()) };
    let tables = st.tables.get("/routing/table").map(Vec::as_slice).unwrap_or_default();
    let fib = |r: &Row| r.get("fib").is_some_and(|f| f == "true" || f == "yes" || f.is_empty());
    if mark == "main" || tables.iter().any(|r| r.get("name") == Some(mark) && fib(r)) {
        Ok(())
    } else {
        Err((Some(1), "input does not match any value of new-routing-mark".into()))
    }
}

fn add(st: &mut State, menu: &Menu, req: &Request) -> Outcome {
    let attrs = checked(menu, &req.attrs, true)?;
    known_mark(st, &attrs)?;
    if menu.path == "/queue/simple" && !attrs.iter().any(|(k, _)| k == "target") {
        return Err((None, "failure: target not specified".into()));
    }
    let id = st.new_id();
    let mut row = Row::new();
    row.insert(".id".into(), id.clone());
    if menu.params.iter().any(|(n, _)| *n == "disabled") {
        row.insert("disabled".into(), "false".into());
    }
    for (k, v) in attrs {
        if k != "place-before" && k != "copy-from" {
            row.insert(k, v);
        }
    }
    st.tables.entry(menu.path.to_string()).or_default().push(row);
    Ok(vec![done(&req.tag, Some(id))])
}

fn ids(req: &Request) -> Option<Vec<String>> {
    req.attrs
        .iter()
        .find(|(k, _)| k == ".id" || k == "numbers")
        .map(|(_, v)| v.split(',').map(str::to_string).collect())
}

fn set(st: &mut State, menu: &Menu, req: &Request) -> Outcome {
    let attrs = checked(menu, &req.attrs, false)?;
    known_mark(st, &attrs)?;
    let rows = st.tables.entry(menu.path.to_string()).or_default();
    if menu.singleton {
        for (k, v) in attrs {
            rows[0].insert(k, v);
        }
        return Ok(vec![done(&req.tag, None)]);
    }
    let Some(wanted) = ids(req) else {
        return Err((None, "missing value(s) of argument(s) numbers".into()));
    };
    for id in &wanted {
        let Some(row) = rows.iter_mut().find(|r| r.get(".id") == Some(id)) else {
            return Err((None, "no such item".into()));
        };
        for (k, v) in &attrs {
            row.insert(k.clone(), v.clone());
        }
    }
    Ok(vec![done(&req.tag, None)])
}

fn remove(st: &mut State, menu: &Menu, req: &Request) -> Outcome {
    let Some(wanted) = ids(req) else {
        return Err((None, "missing value(s) of argument(s) numbers".into()));
    };
    if let Some((k, _)) = req.attrs.iter().find(|(k, _)| k != ".id" && k != "numbers") {
        return Err((None, format!("unknown parameter {k}")));
    }
    let rows = st.tables.entry(menu.path.to_string()).or_default();
    if wanted.iter().any(|id| !rows.iter().any(|r| r.get(".id") == Some(id))) {
        return Err((None, "no such item".into()));
    }
    rows.retain(|r| !r.get(".id").is_some_and(|id| wanted.contains(id)));
    Ok(vec![done(&req.tag, None)])
}

/// `/ip/hotspot/active/login`: a host logs in (RouterOS would ask RADIUS;
/// the simulator records the session).
fn hotspot_login(st: &mut State, req: &Request) -> Outcome {
    const PARAMS: [&str; 5] = ["domain", "ip", "mac-address", "password", "user"];
    if let Some((k, _)) = req.attrs.iter().find(|(k, _)| !PARAMS.contains(&k.as_str())) {
        return Err((None, format!("unknown parameter {k}")));
    }
    let get = |k: &str| req.attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (Some(user), Some(ip)) = (get("user"), get("ip")) else {
        return Err((None, "missing value(s) of argument(s) user, ip".into()));
    };
    let id = st.new_id();
    let mut row = Row::new();
    row.insert(".id".into(), id);
    row.insert("user".into(), user);
    row.insert("address".into(), ip);
    if let Some(mac) = get("mac-address") {
        row.insert("mac-address".into(), mac);
    }
    row.insert("uptime".into(), "0s".into());
    st.tables.entry("/ip/hotspot/active".into()).or_default().push(row);
    Ok(vec![done(&req.tag, None)])
}
