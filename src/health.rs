//! `lango health`: one plain HTTP/1.0 GET of a running lango's `/healthz`,
//! for container health checks. Success is status 200 and nothing else; no
//! TLS, no redirects, no HTTP client dependency.

use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::config::Config;

/// Most of a reply read; `/healthz` answers with a few dozen bytes.
const MAX_REPLY: u64 = 64 * 1024;

/// `http://<http.listen>/healthz`, with a wildcard listen address replaced by
/// loopback of the same family.
pub fn default_url(cfg: &Config) -> anyhow::Result<String> {
    if !cfg.http.enabled {
        bail!("http is disabled in the config (http.enabled = false); pass --url");
    }
    let mut addr = cfg.http.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(format!("http://{addr}/healthz"))
}

/// `http://host[:port][/path]` → (`host:port` for connecting and the Host
/// header, path).
fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let Some(rest) = url.strip_prefix("http://") else { bail!("{url}: only http:// URLs are supported") };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        bail!("{url}: no host");
    }
    // A port is present when the part after the last ':' is outside an
    // IPv6 literal's brackets.
    let has_port = authority.rfind(':').is_some_and(|i| !authority[i..].contains(']'));
    let authority = if has_port { authority.to_string() } else { format!("{authority}:80") };
    Ok((authority, path.to_string()))
}

/// GET `url`; Ok(body) when the status is 200, otherwise an error that says
/// what was wrong.
pub fn check(url: &str, timeout: Duration) -> anyhow::Result<String> {
    let (authority, path) = split_url(url)?;
    let addrs: Vec<SocketAddr> =
        authority.to_socket_addrs().with_context(|| format!("{url}: cannot resolve {authority}"))?.collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(mut s) = stream else {
        let why = last.map_or_else(|| "no address".to_string(), |e| e.to_string());
        bail!("{url}: cannot connect: {why}");
    };
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: lango-health\r\nConnection: close\r\n\r\n")
        .with_context(|| format!("{url}: sending the request"))?;
    let mut reply = Vec::new();
    s.take(MAX_REPLY).read_to_end(&mut reply).with_context(|| format!("{url}: reading the reply"))?;
    let reply = String::from_utf8_lossy(&reply);
    let status_line = reply.lines().next().unwrap_or("");
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    if !status_line.starts_with("HTTP/") {
        bail!("{url}: not an HTTP reply");
    }
    if status != "200" {
        bail!("{url}: {}", status_line.trim());
    }
    Ok(reply.split_once("\r\n\r\n").map_or("", |(_, body)| body).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_path() {
        let cases = [
            ("http://127.0.0.1:8080/healthz", "127.0.0.1:8080", "/healthz"),
            ("http://localhost/healthz", "localhost:80", "/healthz"),
            ("http://10.0.0.1:81", "10.0.0.1:81", "/"),
            ("http://[::1]:8080/healthz", "[::1]:8080", "/healthz"),
            ("http://[::1]/x", "[::1]:80", "/x"),
        ];
        for (url, authority, path) in cases {
            assert_eq!(split_url(url).unwrap(), (authority.to_string(), path.to_string()), "{url}");
        }
        assert!(split_url("https://x/healthz").is_err());
        assert!(split_url("http:///healthz").is_err());
    }

    #[test]
    fn default_url_uses_loopback_for_wildcards() {
        let mut cfg = Config::default();
        assert_eq!(default_url(&cfg).unwrap(), "http://127.0.0.1:8080/healthz");
        cfg.http.listen = "[::]:81".parse().unwrap();
        assert_eq!(default_url(&cfg).unwrap(), "http://[::1]:81/healthz");
        cfg.http.listen = "10.200.0.2:80".parse().unwrap();
        assert_eq!(default_url(&cfg).unwrap(), "http://10.200.0.2:80/healthz");
        cfg.http.enabled = false;
        assert!(default_url(&cfg).is_err());
    }
}
