//! The customer wallet ledger: signed entries and the balance they sum to.
//!
//! Sign convention (effect on the balance): Payment +, Credit +, Charge −,
//! Refund − (money paid back out of the wallet), Adjustment either way.
//! Constructors take a positive magnitude and apply the sign themselves.

use super::{BillingError, UnixTime};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    Payment,
    Charge,
    Credit,
    Refund,
    Adjustment,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    /// Signed effect on the balance, minor units.
    pub amount: i64,
    pub reason: String,
    /// Who made the entry: a user name, "system", "mpesa", ...
    pub actor: String,
    /// External reference, e.g. a payment receipt or invoice number.
    pub reference: Option<String>,
    pub at: UnixTime,
}

impl Entry {
    /// Money received: `+amount`.
    pub fn payment(amount: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        Entry::signed(EntryKind::Payment, amount, reason, actor, at)
    }

    /// Service bought from the wallet: `-amount`.
    pub fn charge(amount: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        Entry::signed(EntryKind::Charge, amount, reason, actor, at)
    }

    /// Value given back to the wallet (e.g. unused plan time): `+amount`.
    pub fn credit(amount: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        Entry::signed(EntryKind::Credit, amount, reason, actor, at)
    }

    /// Money paid back out to the customer: `-amount`.
    pub fn refund(amount: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        Entry::signed(EntryKind::Refund, amount, reason, actor, at)
    }

    /// A manual correction by `amount` (either sign, not zero); the reason
    /// must not be blank.
    pub fn adjustment(amount: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        if amount == 0 {
            return Err(BillingError::ZeroAdjustment);
        }
        if reason.trim().is_empty() {
            return Err(BillingError::MissingReason);
        }
        Ok(Entry::build(EntryKind::Adjustment, amount, reason, actor, at))
    }

    /// The same entry with an external reference attached.
    pub fn with_reference(mut self, reference: &str) -> Entry {
        self.reference = Some(reference.to_string());
        self
    }

    /// Check a stored entry against the sign convention.
    pub fn check(&self) -> Result<(), BillingError> {
        let ok = match self.kind {
            EntryKind::Payment | EntryKind::Credit => self.amount > 0,
            EntryKind::Charge | EntryKind::Refund => self.amount < 0,
            EntryKind::Adjustment => self.amount != 0,
        };
        if ok { Ok(()) } else { Err(BillingError::WrongSign { kind: self.kind, amount: self.amount }) }
    }

    fn signed(kind: EntryKind, magnitude: i64, reason: &str, actor: &str, at: UnixTime) -> Result<Entry, BillingError> {
        if magnitude <= 0 {
            return Err(BillingError::NonPositiveAmount { kind, amount: magnitude });
        }
        let amount = match kind {
            EntryKind::Charge | EntryKind::Refund => -magnitude,
            _ => magnitude,
        };
        Ok(Entry::build(kind, amount, reason, actor, at))
    }

    fn build(kind: EntryKind, amount: i64, reason: &str, actor: &str, at: UnixTime) -> Entry {
        Entry { kind, amount, reason: reason.to_string(), actor: actor.to_string(), reference: None, at }
    }
}

/// Sum of the entries' signed amounts; overflow is an error, never a wrap.
pub fn balance(entries: &[Entry]) -> Result<i64, BillingError> {
    entries.iter().try_fold(0i64, |sum, e| sum.checked_add(e.amount).ok_or(BillingError::Overflow { what: "balance" }))
}

/// Whether the wallet covers one more period at `price` (a free plan always
/// renews; a negative price never does).
pub fn can_auto_renew(balance: i64, price: i64) -> bool {
    price >= 0 && balance >= price
}
