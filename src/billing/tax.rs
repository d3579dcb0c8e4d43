//! Tax: splitting an amount into net, tax and gross under a rule given in
//! basis points, tax-inclusive or tax-exclusive, rounding half away from zero.

use super::BillingError;
use serde::{Deserialize, Serialize};

/// A tax such as VAT. `rate_bp` is in basis points: 1600 = 16 %.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    pub name: String,
    pub rate_bp: u32,
    /// True when prices already include the tax (the amount is gross).
    pub inclusive: bool,
}

/// An amount split into its parts; always `net + tax == gross`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxed {
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

impl Taxed {
    /// An untaxed amount: net and gross equal, tax zero.
    pub fn untaxed(amount: i64) -> Taxed {
        Taxed { net: amount, tax: 0, gross: amount }
    }
}

/// Split `amount` under `rule`. Inclusive: `amount` is gross and
/// `tax = round(gross × r / (10000 + r))`; exclusive: `amount` is net and
/// `tax = round(net × r / 10000)`. Rounding is half away from zero, so a
/// negative amount (a refund) is the exact mirror of the positive one.
pub fn apply_tax(amount: i64, rule: &TaxRule) -> Result<Taxed, BillingError> {
    let overflow = BillingError::Overflow { what: "tax" };
    let rate = i128::from(rule.rate_bp);
    if rule.inclusive {
        let tax = div_round_half_away(i128::from(amount) * rate, 10_000 + rate);
        let tax = i64::try_from(tax).map_err(|_| overflow.clone())?;
        let net = amount.checked_sub(tax).ok_or(overflow)?;
        Ok(Taxed { net, tax, gross: amount })
    } else {
        let tax = div_round_half_away(i128::from(amount) * rate, 10_000);
        let tax = i64::try_from(tax).map_err(|_| overflow.clone())?;
        let gross = amount.checked_add(tax).ok_or(overflow)?;
        Ok(Taxed { net: amount, tax, gross })
    }
}

/// `n / d` rounded to the nearest integer, halves away from zero; `d > 0`.
fn div_round_half_away(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}
