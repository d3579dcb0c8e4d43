//! Money operations both front ends use: a cash or bank payment recorded
//! through the same path as M-Pesa, and the printable view of an invoice or
//! receipt.

use crate::clock::Clock;
use crate::model::*;
use crate::pdf;
use crate::store::{Applied, IncomingPayment, Store, StoreError};

/// Money received by hand (cash at the counter, a bank transfer): a
/// payment into `customer`'s wallet with its receipt, settling open
/// invoices (`lango wallet post --kind payment` and the admin UI). `refs`
/// makes a resubmitted form a duplicate instead of a second payment.
#[allow(clippy::too_many_arguments)] // the payment's fields
pub fn record_payment(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    customer: Id,
    method: PaymentMethod,
    amount: i64,
    reference: String,
    refs: Vec<String>,
) -> Result<Applied, StoreError> {
    store.apply_payment(IncomingPayment {
        tenant,
        method,
        refs,
        reference,
        amount,
        phone: None,
        account: None,
        customer: Some(customer),
        purchase: Some(Purchase::TopUp),
        raw: None,
        actor: actor.into(),
        at: now,
    })
}

/// The printable view of an invoice or receipt (also served to customers
/// by the account pages); reads the document's customer and payment by key.
pub fn doc_view(store: &Store, t: &Tenant, d: &Invoice) -> Result<pdf::invoice::DocView, StoreError> {
    let settings = store.tenant_billing(t.id)?;
    let customer = store.customer_for(t.id, None, d.customer)?;
    let money = |m: i64| pdf::format_money(m, &t.currency);
    let day = |at: UnixTime| {
        jiff::Timestamp::from_second(at)
            .map(|ts| Clock::zone(&t.timezone).to_datetime(ts).date().to_string())
            .unwrap_or_default()
    };
    let mut totals = vec![("Subtotal".to_string(), money(d.net))];
    if let Some(name) = &d.tax_name {
        totals.push((name.clone(), money(d.tax)));
    }
    totals.push(("Total".to_string(), money(d.gross)));
    let payments = match d.payment {
        Some(id) => store
            .payment(t.id, id)?
            .into_iter()
            .map(|p| (format!("{} {}, {}", p.method.as_str(), p.reference, day(p.received_at)), money(p.amount)))
            .collect(),
        None => vec![],
    };
    Ok(pdf::invoice::DocView {
        kind: match d.kind {
            DocKind::Invoice => pdf::invoice::DocKind::Invoice,
            DocKind::Receipt => pdf::invoice::DocKind::Receipt,
        },
        number: d.number.clone(),
        tenant_name: t.name.clone(),
        tenant_address: settings.address.clone(),
        tax_pin: settings.tax_pin.clone(),
        customer_name: customer.as_ref().map_or_else(|| format!("Customer {}", d.customer), |c| c.name.clone()),
        customer_lines: customer.and_then(|c| c.phone).into_iter().collect(),
        issued: day(d.issued_at),
        due: d.due_at.map(day),
        lines: d
            .lines
            .iter()
            .map(|l| pdf::invoice::DocLine {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price),
                net: money(l.net),
                tax: money(l.tax),
                total: money(l.gross),
            })
            .collect(),
        totals,
        payments,
        footer: format!("{} · amounts in {}", t.name, t.currency),
        control_unit: store.etims_receipt(t.id, d.id)?.map(|r| {
            let lines = vec![
                ("CU invoice number".to_string(), r.cu_invoice_no()),
                ("Receipt signature".to_string(), r.rcpt_sign.clone()),
                ("Internal data".to_string(), r.intrl_data.clone()),
                ("Signed".to_string(), day(r.at)),
            ];
            (lines, r.check_url())
        }),
    })
}

/// A wallet entry other than money received, as `lango wallet post` and
/// the customer page post it: a credit, refund, charge or adjustment
/// (signed) with its reason; the new balance. Audited by the store.
#[allow(clippy::too_many_arguments)]
pub fn wallet_entry(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    customer: Id,
    kind: &str,
    amount: &str,
    reason: &str,
) -> Result<i64, Vec<super::OpError>> {
    use super::OpError;
    use crate::billing::Entry;
    let mut problems = Vec::new();
    let neg = amount.trim().starts_with('-');
    let magnitude = match crate::model::units::parse_money(amount.trim().trim_start_matches('-')) {
        Ok(m) if m > 0 && (!neg || kind == "adjustment") => Some(m),
        Ok(_) if neg => {
            problems.push(OpError::field("amount", "only an adjustment may be negative"));
            None
        }
        _ => {
            problems.push(OpError::field("amount", "an amount above zero, like 500 or 500.50"));
            None
        }
    };
    if reason.trim().is_empty() {
        problems.push(OpError::field("reason", "say why: it is shown on the customer's statement"));
    }
    if !matches!(kind, "credit" | "refund" | "charge" | "adjustment") {
        problems.push(OpError::field("kind", format!("{kind:?}: use credit, refund, charge or adjustment")));
    }
    let Some(magnitude) = magnitude.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let reason = reason.trim();
    let entry = match kind {
        "credit" => Entry::credit(magnitude, reason, actor, now),
        "refund" => Entry::refund(magnitude, reason, actor, now),
        "charge" => Entry::charge(magnitude, reason, actor, now),
        _ => Entry::adjustment(if neg { -magnitude } else { magnitude }, reason, actor, now),
    }
    .map_err(|e| vec![OpError::field("amount", e)])?;
    store.post_ledger(tenant, customer, entry).map_err(|e| vec![e.into()])
}
