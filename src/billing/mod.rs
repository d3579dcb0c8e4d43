//! Billing rules, pure: plan terms and period arithmetic, the service
//! lifecycle (active / grace / expired, renewal), proration of plan changes,
//! tax, the wallet ledger, invoice totals and postpaid dates.
//!
//! Nothing here does I/O or reads the clock: `now` is always a parameter and
//! times are [`UnixTime`] (UTC seconds); calendar rules take the tenant's
//! [`jiff::tz::TimeZone`]. Money is integer minor units (`i64`) with `i128`
//! intermediates and no floating point; overflow is an error, never a wrap.

mod error;
mod invoice;
mod ledger;
mod lifecycle;
mod period;
mod postpaid;
mod proration;
mod tax;
mod terms;

#[cfg(test)]
mod tests;

pub use error::BillingError;
pub use invoice::{InvoiceTotals, Line, LineInput, invoice_number, totals};
pub use ledger::{Entry, EntryKind, balance, can_auto_renew};
pub use lifecycle::{Renewal, State, cutoff, in_grace, renew, state};
pub use period::{calendar_floor, period_end, period_end_n};
pub use postpaid::{invoice_due, is_overdue, next_invoice_at};
pub use proration::{ChangeQuote, PlanRef, QuoteLine, calendar_first_charge, describe_duration, quote_change};
pub use tax::{TaxRule, Taxed, apply_tax};
pub use terms::{Anchor, Mode, Period, PeriodUnit, Terms, period_from_secs};

/// UTC seconds since the Unix epoch (the same as `model::UnixTime`).
pub type UnixTime = i64;
