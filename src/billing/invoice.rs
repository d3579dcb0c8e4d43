//! Invoices: numbering and line / total arithmetic.
//!
//! Tax is computed per line and the invoice tax is the sum of the line taxes
//! (not the tax of the summed lines). Every printed line then adds up
//! exactly to the printed totals; the price is that the invoice tax may
//! differ from taxing the total by at most half a minor unit per line.

use super::BillingError;
use super::tax::{TaxRule, Taxed, apply_tax};
use serde::{Deserialize, Serialize};

/// `INV-2026-000042`: prefix, four-digit year, sequence zero-padded to six
/// digits (wider sequences are printed in full, never truncated).
pub fn invoice_number(prefix: &str, year: i16, seq: u64) -> String {
    format!("{prefix}-{year:04}-{seq:06}")
}

/// A line as entered: `unit_price` is net or gross according to the tax
/// rule's `inclusive` flag (net when there is no tax rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: u32,
    pub unit_price: i64,
}

/// A computed line; `net + tax == gross`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTotals {
    pub lines: Vec<Line>,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// Compute every line (`quantity × unit_price`, then tax) and the totals.
pub fn totals(inputs: &[LineInput], tax: Option<&TaxRule>) -> Result<InvoiceTotals, BillingError> {
    let overflow = || BillingError::Overflow { what: "invoice totals" };
    let mut out = InvoiceTotals { lines: Vec::with_capacity(inputs.len()), net: 0, tax: 0, gross: 0 };
    for input in inputs {
        let amount = input.unit_price.checked_mul(i64::from(input.quantity)).ok_or_else(overflow)?;
        let taxed = match tax {
            Some(rule) => apply_tax(amount, rule)?,
            None => Taxed::untaxed(amount),
        };
        out.net = out.net.checked_add(taxed.net).ok_or_else(overflow)?;
        out.tax = out.tax.checked_add(taxed.tax).ok_or_else(overflow)?;
        out.gross = out.gross.checked_add(taxed.gross).ok_or_else(overflow)?;
        out.lines.push(Line {
            description: input.description.clone(),
            quantity: input.quantity,
            unit_price: input.unit_price,
            net: taxed.net,
            tax: taxed.tax,
            gross: taxed.gross,
        });
    }
    Ok(out)
}
