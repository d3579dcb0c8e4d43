//! Personal data at rest. A customer's phone and e-mail, the payer's phone
//! on a payment and an STK Push, and every raw payment callback body are
//! stored sealed (ChaCha20-Poly1305 under lango.key, like the NAS secrets):
//! a copied database file or backup shows names and amounts, never an
//! MSISDN. Finding a customer by phone goes through an HMAC token of the
//! number ([`SecretBox::phone_token`]), never through the number itself.
//!
//! A [`Personal`] record is stored as its version byte, then the record with
//! those fields emptied and the fields sealed. Its type does not implement
//! `Stored`, so reading one without the key does not compile: [`open_row`]
//! gives the whole record, [`bare_row`] the record without its personal
//! fields (a name for a report). Older versions, written in clear, still
//! read; schema 7 re-seals them on upgrade.

use redb::ReadableTable;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use super::legacy::body as body_of;
use super::secret::{Purpose, SecretBox};
use crate::model::{Customer, Payment, Sealed, StkRequest};

/// A record with personal fields that are sealed at rest.
pub(crate) trait Personal: Serialize + DeserializeOwned + Sized {
    /// The personal fields, taken out as one value.
    type Fields: Serialize + DeserializeOwned;
    const NAME: &'static str;
    /// The sealed shape's version; every lower one is the clear shape.
    const VERSION: u8;
    /// Moves the personal fields out, leaving the record without them.
    fn take(&mut self) -> Self::Fields;
    fn restore(&mut self, fields: Self::Fields);
    /// A clear record of an older version.
    fn clear(version: u8, bytes: &[u8]) -> Result<Self, StoreError>;
}

/// The stored bytes of `value`, its personal fields sealed.
pub(crate) fn seal_row<T: Personal + Clone>(secrets: &SecretBox, value: &T) -> Vec<u8> {
    let mut bare = value.clone();
    let fields = bare.take();
    let plain = postcard::to_allocvec(&fields).expect("postcard to Vec cannot fail");
    let sealed = secrets.seal(Purpose::Personal, &plain);
    let mut out = vec![T::VERSION];
    out.extend(postcard::to_allocvec(&(bare, sealed)).expect("postcard to Vec cannot fail"));
    out
}

/// `value` in the clear shape of the version before the sealed one (what
/// travels between nodes inside a sealed change).
pub(crate) fn clear_row<T: Personal>(value: &T) -> Vec<u8> {
    let mut out = vec![T::VERSION - 1];
    out.extend(postcard::to_allocvec(value).expect("postcard to Vec cannot fail"));
    out
}

/// The whole record, its personal fields opened.
pub(crate) fn open_row<T: Personal>(secrets: &SecretBox, bytes: &[u8]) -> Result<T, StoreError> {
    let (mut bare, sealed) = match split::<T>(bytes)? {
        Row::Sealed(bare, sealed) => (bare, sealed),
        Row::Clear(value) => return Ok(value),
    };
    let plain = secrets.open(Purpose::Personal, &sealed)?;
    let fields = postcard::from_bytes(&plain).map_err(|e| corrupt::<T>(e.to_string()))?;
    bare.restore(fields);
    Ok(bare)
}

/// The record without its personal fields (they read as empty), for what
/// needs no more than a name or an amount.
pub(crate) fn bare_row<T: Personal>(bytes: &[u8]) -> Result<T, StoreError> {
    Ok(match split::<T>(bytes)? {
        Row::Sealed(bare, _) => bare,
        Row::Clear(mut value) => {
            value.take();
            value
        }
    })
}

impl super::Store {
    /// A stored record with personal fields, opened (for a caller that
    /// read the raw row, as the API's lists do).
    pub(crate) fn open_personal<T: Personal>(&self, bytes: &[u8]) -> Result<T, StoreError> {
        open_row(&self.secrets, bytes)
    }
}

/// [`open_row`] of the row under `key`.
pub(crate) fn get_open<'k, K: redb::Key + 'static, T: Personal>(
    secrets: &SecretBox,
    table: &impl ReadableTable<K, &'static [u8]>,
    key: impl std::borrow::Borrow<K::SelfType<'k>>,
) -> Result<Option<T>, StoreError> {
    table.get(key)?.map(|v| open_row(secrets, v.value())).transpose()
}

/// [`bare_row`] of the row under `key`.
pub(crate) fn get_bare<'k, K: redb::Key + 'static, T: Personal>(
    table: &impl ReadableTable<K, &'static [u8]>,
    key: impl std::borrow::Borrow<K::SelfType<'k>>,
) -> Result<Option<T>, StoreError> {
    table.get(key)?.map(|v| bare_row(v.value())).transpose()
}

/// [`open_row`] of every row of `tenant` in a `(tenant, id)` table.
pub(crate) fn tenant_rows_open<T: Personal>(
    secrets: &SecretBox,
    table: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: crate::model::TenantId,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in table.range((tenant, 0)..=(tenant, u64::MAX))? {
        out.push(open_row(secrets, row?.1.value())?);
    }
    Ok(out)
}

/// [`bare_row`] of every row of `tenant` in a `(tenant, id)` table.
pub(crate) fn tenant_rows_bare<T: Personal>(
    table: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: crate::model::TenantId,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in table.range((tenant, 0)..=(tenant, u64::MAX))? {
        out.push(bare_row(row?.1.value())?);
    }
    Ok(out)
}

/// Index keys of a customer's phone (its token), if it has one.
pub(crate) fn phone_key(secrets: &SecretBox, phone: Option<&str>) -> Option<String> {
    let phone = phone?;
    let canonical = crate::model::msisdn(phone).unwrap_or_else(|| phone.to_string());
    Some(secrets.phone_token(&canonical))
}

/// The customer of `tenant` whose phone is `phone` (any form M-Pesa or a
/// person would type), through the token index.
pub(crate) fn customer_with_phone(
    secrets: &SecretBox,
    index: &impl ReadableTable<(u32, &'static str), u64>,
    tenant: crate::model::TenantId,
    phone: &str,
) -> Result<Option<crate::model::Id>, StoreError> {
    let Some(key) = phone_key(secrets, Some(phone)) else { return Ok(None) };
    Ok(index.get((tenant, key.as_str()))?.map(|v| v.value()))
}

/// Whether `bytes` still hold a clear record (written before schema 7).
pub(crate) fn is_clear<T: Personal>(bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|&v| v < T::VERSION)
}

/// Schema 6 → 7: every clear record re-written sealed, the phone index
/// rebuilt under tokens (the clear-keyed one dropped), and the numbers in
/// the audit log's copies of customers and payments masked.
pub(crate) fn seal_all(secrets: &SecretBox, tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    use super::tables::*;
    // Every clear row of a table re-written sealed (keys owned first).
    macro_rules! reseal {
        ($table:expr, $t:ty, |$k:ident| $owned:expr) => {{
            let table = tx.open_table($table)?;
            let mut clear = Vec::new();
            for row in table.iter()? {
                let (k, v) = row?;
                if is_clear::<$t>(v.value()) {
                    let $k = k.value();
                    clear.push(($owned, seal_row(secrets, &open_row::<$t>(secrets, v.value())?)));
                }
            }
            clear
        }};
    }
    for ((t, id), v) in reseal!(CUSTOMERS, Customer, |k| k) {
        tx.open_table(CUSTOMERS)?.insert((t, id), v.as_slice())?;
    }
    for ((t, id), v) in reseal!(PAYMENTS, Payment, |k| k) {
        tx.open_table(PAYMENTS)?.insert((t, id), v.as_slice())?;
    }
    for ((t, id), v) in reseal!(STK_REQUESTS, StkRequest, |k| (k.0, k.1.to_string())) {
        tx.open_table(STK_REQUESTS)?.insert((t, id.as_str()), v.as_slice())?;
    }
    for (seq, v) in reseal!(RAW_CALLBACKS, super::RawCallback, |k| k) {
        tx.open_table(RAW_CALLBACKS)?.insert(seq, v.as_slice())?;
    }
    for ((t, id), v) in reseal!(NOTIFY_MESSAGES, crate::model::Message, |k| k) {
        tx.open_table(NOTIFY_MESSAGES)?.insert((t, id), v.as_slice())?;
    }
    // The portal named the customers it made after their number ("+2547…"):
    // the name is not sealed, so it becomes the masked number.
    let mut renamed = Vec::new();
    for row in tx.open_table(CUSTOMERS)?.iter()? {
        let (k, v) = row?;
        let mut c: Customer = open_row(secrets, v.value())?;
        if let Some(p) = c.phone.as_deref().filter(|p| c.name == format!("+{p}")) {
            c.name = crate::model::mask::mask_phone(p);
            renamed.push((k.value(), seal_row(secrets, &c)));
        }
    }
    for (k, v) in renamed {
        tx.open_table(CUSTOMERS)?.insert(k, v.as_slice())?;
    }
    let old: redb::TableDefinition<(u32, &str), u64> = redb::TableDefinition::new("customer_by_phone");
    tx.delete_table(old)?;
    let mut index = tx.open_table(CUSTOMER_BY_PHONE)?;
    for row in tx.open_table(CUSTOMERS)?.iter()? {
        let c: Customer = open_row(secrets, row?.1.value())?;
        if let Some(key) = phone_key(secrets, c.phone.as_deref()) {
            index.insert((c.tenant, key.as_str()), c.id)?;
        }
    }
    let mut audit = tx.open_table(AUDIT)?;
    let mut masked = Vec::new();
    for row in audit.iter()? {
        let (k, v) = row?;
        let mut r: crate::model::AuditRecord = super::codec::decode(v.value())?;
        if !(r.object.starts_with("customer/") || r.object.starts_with("payment/")) {
            continue;
        }
        let mask = |s: &Option<String>| s.as_deref().map(crate::model::mask::mask_phones_in);
        let (before, after) = (mask(&r.before), mask(&r.after));
        if (&before, &after) != (&r.before, &r.after) {
            (r.before, r.after) = (before, after);
            masked.push((k.value(), super::codec::encode(&r)));
        }
    }
    for (k, v) in masked {
        audit.insert(k, v.as_slice())?;
    }
    Ok(())
}

enum Row<T> {
    Sealed(T, Sealed),
    Clear(T),
}

fn split<T: Personal>(bytes: &[u8]) -> Result<Row<T>, StoreError> {
    match bytes.split_first() {
        Some((&v, body)) if v == T::VERSION => {
            let (bare, sealed): (T, Sealed) = body_of(T::NAME, body)?;
            Ok(Row::Sealed(bare, sealed))
        }
        Some((&v, body)) if v < T::VERSION => Ok(Row::Clear(T::clear(v, body)?)),
        Some((&v, _)) => Err(StoreError::UnknownVersion { kind: T::NAME, version: v }),
        None => Err(corrupt::<T>("empty value".into())),
    }
}

fn corrupt<T: Personal>(message: String) -> StoreError {
    StoreError::Corrupt { kind: T::NAME, message }
}

impl Personal for Customer {
    type Fields = (Option<String>, Option<String>);
    const NAME: &'static str = "Customer";
    const VERSION: u8 = 3;
    fn take(&mut self) -> Self::Fields {
        (self.phone.take(), self.email.take())
    }
    fn restore(&mut self, (phone, email): Self::Fields) {
        (self.phone, self.email) = (phone, email);
    }
    fn clear(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        match version {
            2 => body_of("Customer", bytes),
            v => super::legacy::customer(v, bytes),
        }
    }
}

/// A record whose one personal field is `$field`, sealed from `$v` on
/// (older versions hold it in clear).
macro_rules! one_field {
    ($($t:ty { $field:ident: $f:ty } = $v:literal, $name:literal;)*) => {$(
        impl Personal for $t {
            type Fields = $f;
            const NAME: &'static str = $name;
            const VERSION: u8 = $v;
            fn take(&mut self) -> Self::Fields {
                std::mem::take(&mut self.$field)
            }
            fn restore(&mut self, value: Self::Fields) {
                self.$field = value;
            }
            fn clear(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
                match version {
                    v if v + 1 == $v => body_of($name, bytes),
                    version => Err(StoreError::UnknownVersion { kind: $name, version }),
                }
            }
        }
    )*};
}

one_field! {
    Payment { phone: Option<String> } = 2, "Payment";
    StkRequest { phone: String } = 2, "StkRequest";
    // The body as received: the payer's MSISDN and, for C2B, the names.
    super::RawCallback { body: Vec<u8> } = 2, "RawCallback";
    // The address: a phone number or an e-mail address.
    crate::model::Message { to: String } = 2, "Message";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PaymentMethod, PaymentStatus};

    fn customer() -> Customer {
        Customer {
            id: 7,
            tenant: 1,
            name: "Wanjiku".into(),
            phone: Some("254712345678".into()),
            email: Some("w@example.com".into()),
            created_at: 1_700_000_000,
            category: None,
        }
    }

    #[test]
    fn the_stored_bytes_hold_no_phone_and_open_back_whole() {
        let secrets = SecretBox::from_key(&[7; 32]);
        let bytes = seal_row(&secrets, &customer());
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("254712345678") && !text.contains("example.com"), "{text}");
        assert!(text.contains("Wanjiku"), "the name stays searchable");
        assert_eq!(open_row::<Customer>(&secrets, &bytes).unwrap(), customer());
        let bare: Customer = bare_row(&bytes).unwrap();
        assert_eq!((bare.name.as_str(), bare.phone, bare.email), ("Wanjiku", None, None));
        // Another key cannot open it.
        let other = SecretBox::from_key(&[8; 32]);
        assert!(matches!(open_row::<Customer>(&other, &bytes), Err(StoreError::Secret(_))));
    }

    #[test]
    fn a_phone_token_is_the_same_for_every_form_of_a_number_and_keyed() {
        let secrets = SecretBox::from_key(&[7; 32]);
        let key = |p: &str| phone_key(&secrets, Some(p)).unwrap();
        let t = key("254712345678");
        assert_eq!(t.len(), 32);
        assert!(!t.contains("712345678"));
        assert_eq!(key("0712345678"), t);
        assert_eq!(key("+254712345678"), t);
        assert_ne!(key("0712345679"), t);
        let other = SecretBox::from_key(&[8; 32]);
        assert_ne!(phone_key(&other, Some("0712345678")).unwrap(), t, "another key file, another token");
        assert_eq!(phone_key(&secrets, None), None);
    }

    #[test]
    fn a_clear_row_of_the_previous_version_still_reads() {
        let secrets = SecretBox::from_key(&[7; 32]);
        let mut old = vec![2u8];
        old.extend(postcard::to_allocvec(&customer()).unwrap());
        assert!(is_clear::<Customer>(&old));
        assert_eq!(open_row::<Customer>(&secrets, &old).unwrap(), customer());
        assert_eq!(bare_row::<Customer>(&old).unwrap().phone, None);
        let p = Payment {
            id: 1,
            tenant: 1,
            customer: Some(7),
            amount: 500,
            method: PaymentMethod::Cash,
            reference: "R1".into(),
            phone: Some("254712345678".into()),
            account: None,
            received_at: 1,
            status: PaymentStatus::Credited,
            raw: None,
        };
        let mut old = vec![1u8];
        old.extend(postcard::to_allocvec(&p).unwrap());
        assert_eq!(open_row::<Payment>(&secrets, &old).unwrap(), p);
        let sealed = seal_row(&secrets, &p);
        assert!(!is_clear::<Payment>(&sealed));
        assert_eq!(open_row::<Payment>(&secrets, &sealed).unwrap(), p);
    }
}
