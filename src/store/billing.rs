//! Money in the store: payments (idempotent by provider reference), the
//! wallet ledger and its cached balance, renewals paid from the wallet,
//! receipts and invoices with per-tenant sequential numbers, STK Push
//! requests, raw callbacks and per-tenant billing settings. Each operation
//! is one transaction with its audit record; the rules themselves (dates,
//! proration, tax) come from the pure `billing` module.

use super::personal::{customer_with_phone, get_open, seal_row, tenant_rows_open};
use redb::{ReadableTable, WriteTransaction};

use super::codec::{decode, encode};
use super::outbox::{TaskKind, enqueue};
use super::tables::*;
use super::{Store, StoreError, audit, get, next_seq, record, shown_service, tenant_rows};
use crate::billing::{self, EntryKind, Terms};
use crate::model::*;

/// Money that arrived, as the payment path knows it (and as a site sends
/// it to the hub: `store/sync.rs`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncomingPayment {
    pub tenant: TenantId,
    pub method: PaymentMethod,
    /// The provider's unique references (`mpesa:<receipt>`, `stk:<id>`,
    /// `c2b:<TransID>`); a payment with any known reference is a duplicate.
    pub refs: Vec<String>,
    /// Shown on the payment (receipt number or the first reference).
    pub reference: String,
    pub amount: i64,
    pub phone: Option<String>,
    pub account: Option<String>,
    /// None: park the payment as unmatched.
    pub customer: Option<Id>,
    pub purchase: Option<Purchase>,
    pub raw: Option<u64>,
    pub actor: String,
    pub at: UnixTime,
}

/// What a payment did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per payment, never stored in bulk
pub enum Applied {
    Credited {
        payment: Payment,
        renewed: Option<Service>,
        receipt: Option<String>,
    },
    /// Already recorded under this payment id: nothing changed.
    Duplicate(Id),
    Unmatched(Payment),
    /// Taken at a site: on its way to the hub, which credits it (the
    /// change's sequence at this site).
    Queued(u64),
}

fn terms(plan: &Plan) -> Terms {
    Terms {
        period: plan.validity,
        anchor: plan.anchor,
        grace_secs: plan.grace_secs,
        mode: plan.mode,
        price: plan.price,
    }
}

pub(crate) fn tenant_zone(tx: &WriteTransaction, tenant: TenantId) -> Result<jiff::tz::TimeZone, StoreError> {
    let t: Tenant =
        get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))?;
    Ok(crate::clock::Clock::zone(&t.timezone))
}

/// Append a ledger entry and move the cached balance, in `tx`.
pub(crate) fn post(
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Id,
    entry: &LedgerEntry,
) -> Result<i64, StoreError> {
    let seq = next_seq(tx, "ledger_seq")?;
    tx.open_table(LEDGER)?.insert((tenant, customer, seq), encode(entry).as_slice())?;
    let mut balances = tx.open_table(BALANCES)?;
    let before = balances.get((tenant, customer))?.map_or(0, |v| v.value());
    let after = before
        .checked_add(entry.amount)
        .ok_or_else(|| StoreError::Invalid(format!("wallet of customer {customer} would overflow")))?;
    balances.insert((tenant, customer), after)?;
    drop(balances);
    if entry.amount > 0 {
        super::due::wallet_credited(tx, tenant, customer, entry.at)?;
    }
    let kind = super::reports::kind_code(entry.kind);
    super::reports::note(
        tx,
        tenant,
        Some(customer),
        entry.at,
        &[(super::reports::Metric::Ledger, kind, entry.amount)],
    )?;
    Ok(after)
}

fn entry(
    kind: EntryKind,
    amount: i64,
    reason: String,
    actor: &str,
    reference: Option<String>,
    at: UnixTime,
) -> LedgerEntry {
    LedgerEntry { kind, amount, reason, actor: actor.to_string(), reference, at }
}

/// Enqueue a Disconnect for every online session of `service`, so that it
/// logs in again with its new state.
pub(crate) fn reconnect_sessions(
    tx: &WriteTransaction,
    tenant: TenantId,
    service: Id,
    reason: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let targets = super::replan::online_targets(tx, tenant, service)?;
    for session in &targets {
        enqueue(tx, tenant, TaskKind::Disconnect { session: session.clone(), reason: reason.to_string() }, now)?;
    }
    Ok(targets.len())
}

/// Issue a receipt (or invoice) with the next number, in `tx`.
/// What a new invoice or receipt says.
pub(crate) struct NewDoc<'a> {
    pub kind: DocKind,
    pub customer: Id,
    pub service: Option<Id>,
    pub items: &'a [billing::LineInput],
    pub payment: Option<Id>,
    pub due_at: Option<UnixTime>,
    /// Apply the tenant's tax to the lines (a sale). Money paid into the
    /// wallet is not a sale: its receipt has no tax line.
    pub taxed: bool,
    /// The plan the document sells, for the reports' sales by plan.
    pub plan: Option<Id>,
}

/// Issue a receipt (or invoice) with the next number, in `tx`. A receipt
/// is paid when issued.
pub(crate) fn issue_document(
    tx: &WriteTransaction,
    tenant: TenantId,
    d: NewDoc<'_>,
    now: UnixTime,
) -> Result<Invoice, StoreError> {
    let NewDoc { kind, customer, service, items, payment, due_at, taxed, plan } = d;
    let settings: TenantBilling = get_settings(tx, tenant)?;
    let tax = settings.tax.filter(|_| taxed);
    let totals = billing::totals(items, tax.as_ref())?;
    let zone = tenant_zone(tx, tenant)?;
    let year = jiff::Timestamp::from_second(now).map_or(1970, |t| zone.to_datetime(t).year());
    let seq = next_seq(tx, &format!("doc_seq/{tenant}/{kind:?}/{year}"))?;
    let prefix = match (kind, settings.invoice_prefix.as_str()) {
        (DocKind::Receipt, _) => "RCT".to_string(),
        (DocKind::Invoice, "") => "INV".to_string(),
        (DocKind::Invoice, p) => p.to_string(),
    };
    let doc = Invoice {
        id: Store::next_id(tx)?,
        tenant,
        kind,
        number: billing::invoice_number(&prefix, year, seq),
        customer,
        service,
        issued_at: now,
        due_at,
        lines: totals.lines,
        net: totals.net,
        tax: totals.tax,
        gross: totals.gross,
        tax_name: tax.map(|t| t.name),
        payment,
        paid_at: (kind == DocKind::Receipt).then_some(now),
    };
    tx.open_table(INVOICES)?.insert((tenant, doc.id), encode(&doc).as_slice())?;
    super::money_index::index_document(tx, &doc)?;
    if let (DocKind::Invoice, None, Some(due)) = (doc.kind, doc.paid_at, doc.due_at) {
        tx.open_table(OPEN_INVOICES)?.insert((due, tenant, doc.id), doc.customer)?;
    }
    if taxed {
        super::reports::note_sale_doc(tx, &doc, plan)?;
        // A sale: audited, which is what the `invoice.issued` webhook reads.
        let shown = serde_json::json!({"number": doc.number, "customer": doc.customer, "gross": doc.gross});
        let rec = super::record(
            now,
            "billing",
            "invoice.issued",
            format!("invoice/{}", doc.id),
            None,
            Some(shown.to_string()),
        );
        super::audit(tx, tenant, &rec)?;
        super::etims::queue_sale(tx, tenant, doc.id, now)?;
    }
    Ok(doc)
}

/// The receipt for money paid into a customer's wallet (not a sale: no tax).
fn payment_receipt(tx: &WriteTransaction, p: &Payment, customer: Id, now: UnixTime) -> Result<Invoice, StoreError> {
    let label = format!("Payment into account ({} {})", p.method.as_str(), p.reference);
    let items = [billing::LineInput { description: label, quantity: 1, unit_price: p.amount }];
    let d = NewDoc {
        kind: DocKind::Receipt,
        customer,
        service: None,
        items: &items,
        payment: Some(p.id),
        due_at: None,
        taxed: false,
        plan: None,
    };
    issue_document(tx, p.tenant, d, now)
}

fn get_settings(tx: &WriteTransaction, tenant: TenantId) -> Result<TenantBilling, StoreError> {
    Ok(get(&tx.open_table(TENANT_BILLING)?, tenant)?.unwrap_or_default())
}

/// What renewing `before` with `plan` at `now` costs: a plain renewal, or
/// (a different plan on a service still valid) the prorated plan change,
/// with the receipt's lines.
#[derive(Clone, Debug)]
pub struct Priced {
    /// Minor units; negative when the unused value exceeds the new price.
    pub charge: i64,
    pub period_start: UnixTime,
    pub run_start: UnixTime,
    pub expires_at: UnixTime,
    pub items: Vec<billing::LineInput>,
    /// The unused value of the old plan credited (plan changes only).
    pub credit: i64,
}

pub(crate) fn price_renewal(
    before: &Service,
    old_plan: Option<&Plan>,
    plan: &Plan,
    zone: &jiff::tz::TimeZone,
    now: UnixTime,
) -> Result<Priced, StoreError> {
    let change = old_plan.filter(|old| old.id != plan.id && before.expires_at.is_some_and(|e| e > now));
    Ok(match change {
        Some(old) => {
            let expiry = before.expires_at.unwrap_or(now);
            let start = before.period_start.unwrap_or(now);
            let (old_terms, new_terms) = (terms(old), terms(plan));
            let q = billing::quote_change(
                billing::PlanRef { name: &old.name, terms: &old_terms },
                start,
                expiry,
                billing::PlanRef { name: &plan.name, terms: &new_terms },
                now,
                zone,
            )?;
            let items = q
                .lines
                .iter()
                .map(|l| billing::LineInput { description: l.description.clone(), quantity: 1, unit_price: l.amount })
                .collect();
            Priced {
                charge: q.net,
                period_start: q.new_starts_at,
                run_start: q.new_starts_at,
                expires_at: q.new_expires_at,
                items,
                credit: q.credit,
            }
        }
        None => {
            let r = billing::renew(before.expires_at, before.run_start, now, &terms(plan), zone, 1)?;
            let label = format!("{} ({})", plan.name, plan.validity);
            let items = vec![billing::LineInput { description: label, quantity: 1, unit_price: r.charge }];
            Priced {
                charge: r.charge,
                period_start: r.starts_at,
                run_start: r.run_start,
                expires_at: r.expires_at,
                items,
                credit: 0,
            }
        }
    })
}

/// Charge `plan` to the customer's wallet and renew `service` with it, in
/// `tx`. A plan change on a service that is still valid credits the unused
/// part of the old plan first. Returns the renewed service, or None when
/// the balance does not cover the charge.
pub(crate) fn renew_from_wallet(
    tx: &WriteTransaction,
    tenant: TenantId,
    service_id: Id,
    plan_id: Id,
    actor: &str,
    now: UnixTime,
) -> Result<Option<(Service, Invoice)>, StoreError> {
    // SERVICES is not held open across the ledger post: a credit (a plan
    // change onto a cheaper plan) reaching the wallet files the customer's
    // lapsed services as due, which reads it.
    let before: Service = get(&tx.open_table(SERVICES)?, (tenant, service_id))?
        .ok_or_else(|| StoreError::NotFound(format!("service {service_id}")))?;
    let plans = tx.open_table(PLANS)?;
    let plan: Plan = get(&plans, (tenant, plan_id))?.ok_or_else(|| StoreError::NotFound(format!("plan {plan_id}")))?;
    let old_plan: Option<Plan> = get(&plans, (tenant, before.plan))?;
    drop(plans);
    let zone = tenant_zone(tx, tenant)?;
    let balance = tx.open_table(BALANCES)?.get((tenant, before.customer))?.map_or(0, |v| v.value());

    let Priced { charge, period_start, run_start, expires_at, items, .. } =
        price_renewal(&before, old_plan.as_ref(), &plan, &zone, now)?;
    let change = old_plan.as_ref().filter(|old| old.id != plan.id && before.expires_at.is_some_and(|e| e > now));
    let mut after = before.clone();
    if charge > balance {
        return Ok(None);
    }
    if charge != 0 {
        let kind = if charge > 0 { EntryKind::Charge } else { EntryKind::Credit };
        let reason = format!("{} for {}", plan.name, before.username);
        post(tx, tenant, before.customer, &entry(kind, -charge, reason, actor, None, now))?;
    }
    super::reports::note_sale(tx, tenant, before.customer, plan.id, charge, now)?;
    if let Some(was) = before.expires_at {
        super::reports::note_renewal_after_expiry(tx, &before, was, now)?;
    }
    after.plan = plan.id;
    after.expires_at = Some(expires_at);
    after.period_start = Some(period_start);
    after.run_start = Some(run_start);
    after.activate_on_first_use = false;
    if after.status == ServiceStatus::Suspended && after.billing_hold {
        after.status = ServiceStatus::Active;
    }
    after.billing_hold = false;
    tx.open_table(SERVICES)?.insert((tenant, service_id), encode(&after).as_slice())?;
    super::due::index(tx, &after)?;
    // A new period starts with a fresh quota.
    let used = super::replan::usage_of(tx, tenant, service_id)?;
    tx.open_table(USAGE)?.remove((tenant, service_id))?;
    match change {
        // Onto another plan while still valid: the CoA planner decides
        // (a new rate by CoA, a new profile or quota by Disconnect).
        Some(old) => {
            use super::replan::{Side, replan_sessions};
            let was = Side { service: &before, plan: old, usage: &used };
            let (fresh, new) = (Usage::default(), &plan);
            let will = Side { service: &after, plan: new, usage: &fresh };
            replan_sessions(tx, tenant, &was, &will, "plan change", now)?
        }
        _ => reconnect_sessions(tx, tenant, service_id, "renewed", now)?,
    };
    let receipt = issue_document(
        tx,
        tenant,
        NewDoc {
            kind: DocKind::Receipt,
            customer: before.customer,
            service: Some(service_id),
            items: &items,
            payment: None,
            due_at: None,
            taxed: true,
            plan: Some(plan.id),
        },
        now,
    )?;
    let (b, a) = (shown_service(&before), shown_service(&after));
    let rec = record(now, actor, "service.renew", format!("service/{service_id}"), b, a);
    audit(tx, tenant, &rec)?;
    Ok(Some((after, receipt)))
}

impl Store {
    /// Record a payment once: credit the wallet and carry out its purchase,
    /// all in one durable transaction. Any reference seen before makes it
    /// a duplicate that changes nothing.
    pub fn apply_payment(&self, p: IncomingPayment) -> Result<Applied, StoreError> {
        if p.amount <= 0 {
            return Err(StoreError::Invalid(format!("payment amount must be positive, got {}", p.amount)));
        }
        let tx = self.write()?;
        // A site keeps no money: the payment goes to the hub, which credits
        // it once (store/sync.rs).
        let applied = match super::sync::mode_in(&tx)? {
            super::sync::Mode::Site => super::sync::queue_payment(&tx, &p)?,
            _ => self.apply_payment_in(&tx, p)?,
        };
        self.commit(tx)?;
        Ok(applied)
    }

    /// `apply_payment` in the caller's transaction (nothing written when it
    /// is a duplicate or fails).
    pub(crate) fn apply_payment_in(&self, tx: &WriteTransaction, p: IncomingPayment) -> Result<Applied, StoreError> {
        if let Some(c) = p.customer
            && tx.open_table(CUSTOMERS)?.get((p.tenant, c))?.is_none()
        {
            return Err(StoreError::NotFound(format!("customer {c}")));
        }
        let applied = {
            let mut by_ref = tx.open_table(PAYMENT_BY_REF)?;
            for r in &p.refs {
                if let Some(id) = by_ref.get((p.tenant, r.as_str()))? {
                    return Ok(Applied::Duplicate(id.value()));
                }
            }
            let id = Store::next_id(tx)?;
            for r in &p.refs {
                by_ref.insert((p.tenant, r.as_str()), id)?;
            }
            drop(by_ref);
            let payment = Payment {
                id,
                tenant: p.tenant,
                customer: p.customer,
                amount: p.amount,
                method: p.method,
                reference: p.reference.clone(),
                phone: p.phone.clone(),
                account: p.account.clone(),
                received_at: p.at,
                status: if p.customer.is_some() { PaymentStatus::Credited } else { PaymentStatus::Unmatched },
                raw: p.raw,
            };
            tx.open_table(PAYMENTS)?.insert((p.tenant, id), seal_row(&self.secrets, &payment).as_slice())?;
            super::money_index::index_payment(&self.secrets, tx, &payment)?;
            super::reports::note_payment(tx, &payment)?;
            let rec = record(
                p.at,
                &p.actor,
                "payment.received",
                format!("payment/{id}"),
                None,
                // The audit log is not sealed: the payer's number masked.
                serde_json::to_string(&payment).ok().map(|j| crate::model::mask::mask_phones_in(&j)),
            );
            audit(tx, p.tenant, &rec)?;
            match p.customer {
                None => {
                    tx.open_table(UNMATCHED)?.insert((p.tenant, id), ())?;
                    Applied::Unmatched(payment)
                }
                Some(customer) => {
                    let reason = format!("{} payment {}", p.method.as_str(), p.reference);
                    let e = entry(EntryKind::Payment, p.amount, reason, &p.actor, Some(p.reference.clone()), p.at);
                    let balance = post(tx, p.tenant, customer, &e)?;
                    super::sweeps::settle_invoices(
                        tx,
                        p.tenant,
                        customer,
                        Some(id),
                        p.at,
                        balance - p.amount,
                        balance,
                    )?;
                    let renewed = match &p.purchase {
                        Some(Purchase::Renew { service, plan }) => {
                            renew_from_wallet(tx, p.tenant, *service, *plan, &p.actor, p.at)?
                        }
                        _ => None,
                    };
                    // Every payment gets a receipt: the renewal's (the plan
                    // it paid for), or one for the money paid into the wallet.
                    let receipt = match &renewed {
                        Some((_, doc)) => {
                            let doc = Invoice { payment: Some(id), ..doc.clone() };
                            tx.open_table(INVOICES)?.insert((p.tenant, doc.id), encode(&doc).as_slice())?;
                            doc.number
                        }
                        None => payment_receipt(tx, &payment, customer, p.at)?.number,
                    };
                    Applied::Credited { payment, renewed: renewed.map(|(s, _)| s), receipt: Some(receipt) }
                }
            }
        };
        Ok(applied)
    }

    /// Give an unmatched payment to a customer (an admin's decision).
    pub fn assign_payment(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        payment: Id,
        customer: Id,
    ) -> Result<Payment, StoreError> {
        let tx = self.write()?;
        let p = {
            if tx.open_table(UNMATCHED)?.remove((tenant, payment))?.is_none() {
                return Err(StoreError::Invalid(format!("payment {payment} is not waiting to be assigned")));
            }
            if tx.open_table(CUSTOMERS)?.get((tenant, customer))?.is_none() {
                return Err(StoreError::NotFound(format!("customer {customer}")));
            }
            let mut payments = tx.open_table(PAYMENTS)?;
            let mut p: Payment = get_open(&self.secrets, &payments, (tenant, payment))?
                .ok_or_else(|| StoreError::NotFound(format!("payment {payment}")))?;
            p.customer = Some(customer);
            p.status = PaymentStatus::Credited;
            payments.insert((tenant, payment), seal_row(&self.secrets, &p).as_slice())?;
            drop(payments);
            super::money_index::index_payment(&self.secrets, &tx, &p)?;
            let ch = super::reports::channel_code(p.method);
            super::reports::note(
                &tx,
                tenant,
                Some(customer),
                now,
                &[(super::reports::Metric::Assigned, ch, p.amount)],
            )?;
            let reason = format!("{} payment {} (assigned)", p.method.as_str(), p.reference);
            let e = entry(EntryKind::Payment, p.amount, reason, actor, Some(p.reference.clone()), now);
            let balance = post(&tx, tenant, customer, &e)?;
            super::sweeps::settle_invoices(&tx, tenant, customer, Some(payment), now, balance - p.amount, balance)?;
            payment_receipt(&tx, &p, customer, now)?;
            let rec = record(
                now,
                actor,
                "payment.assign",
                format!("payment/{payment}"),
                None,
                Some(format!("customer/{customer}")),
            );
            audit(&tx, tenant, &rec)?;
            p
        };
        self.commit(tx)?;
        Ok(p)
    }

    /// Post a manual ledger entry (top-up in cash, refund, adjustment).
    pub fn post_ledger(&self, tenant: TenantId, customer: Id, e: LedgerEntry) -> Result<i64, StoreError> {
        let tx = self.write()?;
        if tx.open_table(CUSTOMERS)?.get((tenant, customer))?.is_none() {
            return Err(StoreError::NotFound(format!("customer {customer}")));
        }
        let balance = post(&tx, tenant, customer, &e)?;
        super::sweeps::settle_invoices(&tx, tenant, customer, None, e.at, balance - e.amount, balance)?;
        let rec =
            record(e.at, &e.actor, "wallet.post", format!("customer/{customer}"), None, serde_json::to_string(&e).ok());
        audit(&tx, tenant, &rec)?;
        self.commit(tx)?;
        Ok(balance)
    }

    /// Renew a service from its customer's wallet (admin action, auto-renew).
    /// Ok(None) when the balance is too low.
    pub fn renew_service_from_wallet(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        service: Id,
        plan: Option<Id>,
    ) -> Result<Option<(Service, Invoice)>, StoreError> {
        self.renew_service_from_wallet_if(actor, now, tenant, service, plan, None)
    }

    /// [`Store::renew_service_from_wallet`], refused with `Stale` when
    /// `expect` (an If-Match) is not the stored service's tag.
    pub fn renew_service_from_wallet_if(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        service: Id,
        plan: Option<Id>,
        expect: Option<&str>,
    ) -> Result<Option<(Service, Invoice)>, StoreError> {
        let tx = self.write()?;
        let current: Service = get(&tx.open_table(SERVICES)?, (tenant, service))?
            .ok_or_else(|| StoreError::NotFound(format!("service {service}")))?;
        super::api::check_etag(&format!("service {service}"), &current, expect)?;
        let plan = plan.unwrap_or(current.plan);
        let out = renew_from_wallet(&tx, tenant, service, plan, actor, now)?;
        if out.is_some() {
            self.commit(tx)?;
        }
        Ok(out)
    }

    pub fn balance(&self, tenant: TenantId, customer: Id) -> Result<i64, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(BALANCES)?.get((tenant, customer))?.map_or(0, |v| v.value()))
    }

    pub fn ledger(&self, tenant: TenantId, customer: Id) -> Result<Vec<LedgerEntry>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(LEDGER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn payments(&self, tenant: TenantId) -> Result<Vec<Payment>, StoreError> {
        let tx = self.read()?;
        tenant_rows_open(&self.secrets, &tx.open_table(PAYMENTS)?, tenant)
    }

    pub fn unmatched_payments(&self, tenant: TenantId) -> Result<Vec<Payment>, StoreError> {
        let tx = self.read()?;
        let payments = tx.open_table(PAYMENTS)?;
        let mut out = Vec::new();
        for row in tx.open_table(UNMATCHED)?.range((tenant, 0)..=(tenant, u64::MAX))? {
            let (k, _) = row?;
            if let Some(p) = get_open(&self.secrets, &payments, k.value())? {
                out.push(p);
            }
        }
        Ok(out)
    }

    pub fn documents(&self, tenant: TenantId) -> Result<Vec<Invoice>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(INVOICES)?, tenant)
    }

    // ---- settings -------------------------------------------------------------

    pub fn tenant_billing(&self, tenant: TenantId) -> Result<TenantBilling, StoreError> {
        let tx = self.read()?;
        Ok(get(&tx.open_table(TENANT_BILLING)?, tenant)?.unwrap_or_default())
    }

    pub fn set_tenant_billing(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        b: &TenantBilling,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        put_tenant_billing(&tx, actor, now, tenant, b)?;
        self.commit(tx)
    }

    pub fn tenant_by_mpesa_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(MPESA_TOKENS)?.get(token)?.map(|v| v.value()))
    }

    /// The customer whose phone is `phone`, through the phone tokens.
    pub fn customer_by_phone(&self, tenant: TenantId, phone: &str) -> Result<Option<Id>, StoreError> {
        let tx = self.read()?;
        customer_with_phone(&self.secrets, &tx.open_table(CUSTOMER_BY_PHONE)?, tenant, phone)
    }
}

/// Set a tenant's billing settings inside `tx` (the M-Pesa callback token
/// index kept with them), audited without secrets.
pub(crate) fn put_tenant_billing(
    tx: &redb::WriteTransaction,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    b: &TenantBilling,
) -> Result<(), StoreError> {
    {
        let mut table = tx.open_table(TENANT_BILLING)?;
        let before: Option<TenantBilling> = get(&table, tenant)?;
        let mut tokens = tx.open_table(MPESA_TOKENS)?;
        if let Some(old) = before.as_ref().and_then(|b| b.mpesa.as_ref()) {
            tokens.remove(old.callback_token.as_str())?;
        }
        if let Some(m) = &b.mpesa {
            tokens.insert(m.callback_token.as_str(), tenant)?;
        }
        table.insert(tenant, encode(b).as_slice())?;
        // Secrets are sealed; the audit shows which settings changed.
        let shown = |b: &TenantBilling| {
            format!(
                "tax={:?} prefix={:?} mpesa={:?}",
                b.tax,
                b.invoice_prefix,
                b.mpesa.as_ref().map(|m| (&m.env, &m.shortcode, &m.till))
            )
        };
        let rec = record(
            now,
            actor,
            "tenant.billing",
            format!("tenant/{tenant}"),
            before.as_ref().map(shown),
            Some(shown(b)),
        );
        audit(tx, tenant, &rec)?;
    }
    Ok(())
}
