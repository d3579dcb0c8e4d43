//! An admin's password reset, as `lango admin reset` and the admins page
//! do it: a new generated password (shown once by the caller), the admin's
//! sessions and lockout ended, optionally its TOTP (and recovery codes)
//! cleared; audited without the password.

use super::OpError;
use crate::model::{Admin, UnixTime};
use crate::store::Store;

/// Reset `admin`; the new password.
pub fn reset(store: &Store, actor: &str, now: UnixTime, admin: &Admin, clear_totp: bool) -> Result<String, OpError> {
    let password = super::secrets::password();
    let mut a = admin.clone();
    a.password_hash = crate::demo::hash_password(&password).map_err(|e| OpError::Refused(e.to_string()))?;
    if clear_totp {
        a.totp = None;
    }
    store.update_admin(actor, now, &a, "admin.reset")?;
    store.clear_login_lock(&a.username)?;
    Ok(password)
}
