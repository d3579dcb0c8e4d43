//! PURE: the few `multipart/form-data` bodies the admin pages take (a logo
//! upload with its CSRF field), read whole from memory (RFC 7578: parts
//! between `--boundary` lines, each with a Content-Disposition naming the
//! field and, for files, the file name). The bodies are small and already
//! size-limited by the caller, so a streaming parser would buy nothing.

/// One field of the form; its data borrowed from the body (the gate's
/// CSRF check and the handler read a 16 MiB import without copying it).
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

/// The boundary of a `multipart/form-data` Content-Type, if it is one.
pub fn boundary(content_type: &str) -> Option<&str> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"')).filter(|b| !b.is_empty())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The parts of `body`; None when it is not well formed.
pub fn parse<'a>(boundary: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    let mut parts = Vec::new();
    let next = format!("\r\n--{boundary}");
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let body_start = head_end + 4;
        let len = find(&rest[body_start..], next.as_bytes())?;
        let (mut name, mut filename) = (None, None);
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else { continue };
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in v.split(';').skip(1) {
                let Some((pk, pv)) = param.split_once('=') else { continue };
                let pv = pv.trim().trim_matches('"').to_string();
                match pk.trim() {
                    "name" => name = Some(pv),
                    "filename" => filename = Some(pv),
                    _ => {}
                }
            }
        }
        parts.push(Part { name: name?, filename, data: &rest[body_start..body_start + len] });
        rest = &rest[body_start + len + next.len()..];
    }
}

/// The text of field `name` in a multipart body ("" when absent).
pub fn field(parts: &[Part<'_>], name: &str) -> String {
    parts.iter().find(|p| p.name == name).map(|p| String::from_utf8_lossy(p.data).into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_with_a_file_and_fields() {
        let ct = "multipart/form-data; boundary=----WebKitFormBoundaryX3b";
        let b = boundary(ct).unwrap();
        assert_eq!(b, "----WebKitFormBoundaryX3b");
        let body = b"------WebKitFormBoundaryX3b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n\
------WebKitFormBoundaryX3b\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n\
------WebKitFormBoundaryX3b--\r\n";
        let parts = parse(b, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(field(&parts, "csrf"), "abc123");
        assert_eq!(parts[1].filename.as_deref(), Some("l.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x1a\n", "CRLF inside a file is kept");
        assert_eq!(field(&parts, "missing"), "");
    }

    #[test]
    fn malformed_bodies_and_other_types_are_refused() {
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary=\"q\""), Some("q"));
        assert!(parse("b", b"no delimiter here").is_none());
        assert!(parse("b", b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunterminated").is_none());
        assert!(parse("b", b"--b\r\nX: y\r\n\r\nv\r\n--b--").is_none(), "a part without a name");
    }
}
