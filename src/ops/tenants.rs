//! Tenants as `lango tenant add`, `lango init` and the admin pages make
//! them.

use crate::model::Tenant;

/// A tenant as `tenant add` and the admin UI's tenant form make it: the
/// name defaults to the slug, the currency code is upper-cased, captive
/// sessions get 256k for 5 minutes. (The store checks zone and currency.)
pub fn new_tenant(slug: &str, name: Option<&str>, timezone: &str, currency: &str, captive: bool) -> Tenant {
    let slug = slug.trim().to_string();
    Tenant {
        id: 0,
        name: name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&slug).to_string(),
        slug,
        timezone: timezone.trim().to_string(),
        currency: currency.trim().to_ascii_uppercase(),
        captive_redirect: captive,
        captive_rate_limit: "256k/256k".into(),
        captive_session_timeout: 300,
    }
}

/// Largest logo accepted (it is served from redb on every portal page).
pub const MAX_LOGO: usize = 64 * 1024;

/// A logo file checked: PNG or SVG, at most [`MAX_LOGO`]; its MIME type.
pub fn logo(bytes: &[u8]) -> Result<&'static str, super::OpError> {
    if bytes.is_empty() {
        return Err(super::OpError::field("logo", "choose a PNG or SVG file"));
    }
    if bytes.len() > MAX_LOGO {
        return Err(super::OpError::field("logo", format!("{} KiB is larger than 64 KiB", bytes.len().div_ceil(1024))));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if std::str::from_utf8(bytes).is_ok_and(|s| s.contains("<svg")) {
        Ok("image/svg+xml")
    } else {
        Err(super::OpError::field("logo", "neither a PNG nor an SVG file"))
    }
}

/// Set (`Some`, checked) or remove (`None`) tenant `tenant`'s portal logo,
/// audited (without the bytes).
pub fn set_logo(
    store: &crate::store::Store,
    actor: &str,
    now: crate::model::UnixTime,
    tenant: crate::model::TenantId,
    bytes: Option<Vec<u8>>,
) -> Result<(), super::OpError> {
    let mut b = store.branding(tenant)?;
    b.logo = match bytes {
        Some(bytes) => Some((logo(&bytes)?.to_string(), bytes)),
        None => None,
    };
    store.set_branding(actor, now, tenant, &b)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn logos_are_png_or_svg_and_small() {
        assert_eq!(super::logo(b"\x89PNG\r\n\x1a\nrest").unwrap(), "image/png");
        assert_eq!(super::logo(b"<?xml?><svg xmlns='http://www.w3.org/2000/svg'/>").unwrap(), "image/svg+xml");
        assert!(super::logo(b"GIF89a").is_err());
        assert!(super::logo(b"").is_err());
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; 64 * 1024]].concat();
        assert_eq!(super::logo(&big).unwrap_err().about().map(|(f, _)| f), Some("logo"));
    }
}
