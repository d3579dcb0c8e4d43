//! The pages a router's hotspot serves (login.html and friends), generated
//! for one router so that its login page sends devices to this lango's
//! hotspot page with the router's parameters; as files (`lango hotspot
//! files`), as a zip (the admin page) or one by one for the router's
//! `/tool fetch`.

use askama::Template;

use super::OpError;
use crate::model::Nas;

macro_rules! page {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            lango_url: &'a str,
            nas_id: u64,
            nas_name: &'a str,
        }
    };
}

page!(Login, "hotspot/login.html");
page!(Alogin, "hotspot/alogin.html");
page!(Status, "hotspot/status.html");
page!(Logout, "hotspot/logout.html");
page!(ErrorPage, "hotspot/error.html");

/// The files, in the order a router lists them.
pub const FILES: [&str; 5] = ["login.html", "alogin.html", "status.html", "logout.html", "error.html"];

/// `url` checked: http(s), no trailing slash.
pub fn lango_url(url: &str) -> Result<String, OpError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['"', '\'', '<', '>', ' ', '?', '#']) => Ok(url.to_string()),
        _ => Err(OpError::field("url", "lango's address starts with http:// or https:// (http://10.5.50.2:8080)")),
    }
}

/// One page for router `n`, pointing at lango at `url` (checked).
pub fn page(n: &Nas, url: &str, file: &str) -> Option<String> {
    let (lango_url, nas_id, nas_name) = (url, n.id, n.name.as_str());
    let out = match file {
        "login.html" => Login { lango_url, nas_id, nas_name }.render(),
        "alogin.html" => Alogin { lango_url, nas_id, nas_name }.render(),
        "status.html" => Status { lango_url, nas_id, nas_name }.render(),
        "logout.html" => Logout { lango_url, nas_id, nas_name }.render(),
        "error.html" => ErrorPage { lango_url, nas_id, nas_name }.render(),
        _ => return None,
    };
    out.ok()
}

/// All five pages for router `n` and lango at `url`.
pub fn files(n: &Nas, url: &str) -> Result<Vec<(&'static str, String)>, OpError> {
    let url = lango_url(url)?;
    Ok(FILES.iter().filter_map(|f| page(n, &url, f).map(|body| (*f, body))).collect())
}

/// The RouterOS commands that fetch the pages from lango at `url` into
/// the router's hotspot directory.
pub fn fetch_commands(n: &Nas, url: &str) -> Vec<String> {
    FILES.iter().map(|f| format!("/tool fetch url=\"{url}/hotspot/files/{}/{f}\" dst-path=hotspot/{f}", n.id)).collect()
}
