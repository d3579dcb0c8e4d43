//! The one error type of the billing rules: every way a pure billing
//! computation can refuse its input.

use super::UnixTime;
use super::ledger::EntryKind;

/// Why a billing rule refused to produce an answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// `Period::parse` could not read the text.
    #[error("period {input:?}: {reason}")]
    BadPeriod { input: String, reason: String },
    /// A period of zero units has no end and cannot be prorated.
    #[error("a period must be at least one unit long")]
    ZeroPeriod,
    /// A renewal must buy at least one period.
    #[error("a renewal must buy at least one period")]
    NoPeriods,
    /// A plan price below zero.
    #[error("price {price} is negative")]
    NegativePrice { price: i64 },
    /// A time (or the result of time arithmetic) outside the representable
    /// calendar range (years -9999..=9999).
    #[error("time {at} is outside the supported calendar range")]
    TimeOutOfRange { at: UnixTime },
    /// A billing period whose end is not after its start.
    #[error("period from {start} to {end} is empty")]
    EmptyPeriod { start: UnixTime, end: UnixTime },
    /// Ledger constructors take a strictly positive magnitude.
    #[error("{kind:?} amount must be positive, got {amount}")]
    NonPositiveAmount { kind: EntryKind, amount: i64 },
    /// A manual adjustment of zero changes nothing and is refused.
    #[error("an adjustment must change the balance (amount 0)")]
    ZeroAdjustment,
    /// Manual adjustments must say why they were made.
    #[error("an adjustment needs a reason")]
    MissingReason,
    /// A stored entry whose amount sign contradicts its kind.
    #[error("{kind:?} entry has amount {amount} with the wrong sign")]
    WrongSign { kind: EntryKind, amount: i64 },
    /// Summing or multiplying money left the i64 range.
    #[error("amount overflow while computing {what}")]
    Overflow { what: &'static str },
}
