//! The reports, built from the maintained aggregates (`store::reports`)
//! for a period in the tenant's calendar, scoped to a reseller where the
//! viewer is one. The admin pages, their CSV and PDF downloads and
//! `lango report` all show what these functions return.
//!
//! Definitions (docs/reports.md says the same for operators):
//! - collected: money received, by the day it arrived, matched or not;
//! - sales: plans charged to wallets (renewals, postpaid invoices,
//!   reseller voucher batches), tax included, credits of downgrades
//!   subtracted;
//! - ARPU: sales in the period over the average number of paid-up services
//!   on the days snapshotted;
//! - churned: a service not renewed within `CHURN_DAYS` of its expiry
//!   (counted in the month it expired, once those days have passed);
//!   reactivated: renewed after that.

use std::collections::{BTreeMap, HashMap};

use super::OpError;
use super::report_view::*;
use crate::model::{Id, PaymentStatus, StkState, Tenant};
use crate::store::Store;
use crate::store::reports::{
    AggRow, CHANNELS, Metric, channel_code, day_label, day_start, kind_code, month_label, month_start, next_month,
    stk_outcome,
};

/// Whose rows a viewer sees, by customer.
type Keep = Box<dyn Fn(Option<Id>) -> bool>;

/// Rows a page lists; the CSV lists every row.
pub const PAGE_ROWS: usize = 500;

/// Who is looking: the whole tenant (scope 0) or one reseller.
#[derive(Clone, Copy, Debug)]
pub struct Scope(pub u64);

impl Scope {
    pub fn of(reseller: Option<Id>) -> Scope {
        Scope(reseller.unwrap_or(0))
    }
}

/// Build one report. `all_rows` lifts the page's row limit (CSV).
pub fn build(
    store: &Store,
    t: &Tenant,
    scope: Scope,
    kind: Kind,
    period: Period,
    today: i32,
    all_rows: bool,
) -> Result<Report, OpError> {
    let mut r = Report {
        kind,
        title: format!("{} — {}", kind.title(), t.name),
        period,
        currency: t.currency.clone(),
        summary: vec![],
        chart: None,
        tables: vec![],
        checks: vec![],
        notes: vec![],
    };
    let limit = if all_rows { usize::MAX } else { PAGE_ROWS };
    let ctx = Ctx { store, t, scope, period, today, limit };
    match kind {
        Kind::Revenue => ctx.revenue(&mut r)?,
        Kind::Reconciliation => ctx.reconciliation(&mut r)?,
        Kind::Tax => ctx.tax(&mut r)?,
        Kind::Network => ctx.network(&mut r)?,
        Kind::Customers => ctx.customers(&mut r)?,
    }
    Ok(r)
}

pub(super) struct Ctx<'a> {
    pub(super) store: &'a Store,
    pub(super) t: &'a Tenant,
    pub(super) scope: Scope,
    pub(super) period: Period,
    pub(super) today: i32,
    pub(super) limit: usize,
}

/// The buckets of a period: days, or months when it is long.
pub(super) struct Buckets {
    pub(super) starts: Vec<i32>,
}

impl Buckets {
    pub(super) fn of(p: Period) -> Buckets {
        if p.by_month() { Buckets::months(p) } else { Buckets { starts: (p.from..=p.to).collect() } }
    }

    /// The months the period touches, whatever its length.
    pub(super) fn months(p: Period) -> Buckets {
        let mut starts = Vec::new();
        let mut m = month_start(p.from);
        while m <= p.to {
            starts.push(m);
            m = next_month(m);
        }
        Buckets { starts }
    }

    pub(super) fn index(&self, day: i32) -> usize {
        self.starts.partition_point(|&s| s <= day).saturating_sub(1)
    }

    pub(super) fn labels(&self, by_month: bool) -> Vec<String> {
        self.starts.iter().map(|&d| if by_month { month_label(d) } else { day_label(d) }).collect()
    }
}

pub(super) fn sum(rows: &[AggRow]) -> i64 {
    rows.iter().map(|r| r.value).sum()
}

fn sum_dim(rows: &[AggRow], dim: u64) -> i64 {
    rows.iter().filter(|r| r.dim == dim).map(|r| r.value).sum()
}

pub(super) fn by_dim(rows: &[AggRow]) -> BTreeMap<u64, i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r.dim).or_default() += r.value;
    }
    out
}

pub(super) fn pct(part: i64, whole: i64) -> Cell {
    if whole == 0 { Cell::Empty } else { Cell::Percent(part as f64 * 100.0 / whole as f64) }
}

/// A phone number shown with its middle hidden: 2547****5678.
pub use crate::model::mask::mask_phone;

impl Ctx<'_> {
    pub(super) fn agg(&self, metric: Metric) -> Result<Vec<AggRow>, OpError> {
        Ok(self.store.agg(self.t.id, self.scope.0, metric, self.period.from, self.period.to)?)
    }

    pub(super) fn agg_between(&self, metric: Metric, from: i32, to: i32) -> Result<Vec<AggRow>, OpError> {
        Ok(self.store.agg(self.t.id, self.scope.0, metric, from, to)?)
    }

    pub(super) fn plan_names(&self) -> Result<HashMap<Id, String>, OpError> {
        Ok(self.store.plans(self.t.id)?.into_iter().map(|p| (p.id, p.name)).collect())
    }

    pub(super) fn router_names(&self) -> Result<HashMap<Id, String>, OpError> {
        Ok(self.store.all_nas()?.into_iter().filter(|n| n.tenant == self.t.id).map(|n| (n.id, n.name)).collect())
    }

    /// Which customers' rows the viewer sees: every one for the tenant, a
    /// reseller's own (their ids read once).
    fn keeper(&self) -> Result<Keep, OpError> {
        if self.scope.0 == 0 {
            return Ok(Box::new(|_| true));
        }
        let mine = self.store.reseller_customers(self.t.id, self.scope.0)?;
        Ok(Box::new(move |c| c.is_some_and(|c| mine.contains(&c))))
    }

    /// The period's UTC bounds: [its first midnight, the midnight after it).
    fn instants(&self) -> (i64, i64) {
        let zone = crate::clock::Clock::zone(&self.t.timezone);
        (day_start(&zone, self.period.from), day_start(&zone, self.period.to + 1))
    }

    fn revenue(&self, r: &mut Report) -> Result<(), OpError> {
        let b = Buckets::of(self.period);
        let paid = self.agg(Metric::Paid)?;
        let counts = self.agg(Metric::PaidCount)?;
        let sales = self.agg(Metric::Sales)?;
        let sales_n = self.agg(Metric::SalesCount)?;
        let active = self.agg(Metric::ActiveServices)?;
        let mut per = vec![[0i64; 4]; b.starts.len()];
        let mut sales_per = vec![0i64; b.starts.len()];
        let mut count_per = vec![0i64; b.starts.len()];
        for row in &paid {
            per[b.index(row.day)][row.dim.min(3) as usize] += row.value;
        }
        for row in &sales {
            sales_per[b.index(row.day)] += row.value;
        }
        for row in &counts {
            count_per[b.index(row.day)] += row.value;
        }
        let labels = b.labels(self.period.by_month());
        r.chart = Some(Chart {
            title: "Money collected by channel".into(),
            unit: Unit::Money,
            labels: labels.clone(),
            series: CHANNELS
                .iter()
                .enumerate()
                .map(|(i, m)| Series { name: m.as_str().into(), values: per.iter().map(|p| p[i] as f64).collect() })
                .collect(),
        });
        let collected = sum(&paid);
        let sold = sum(&sales);
        // ARPU over the average of the daily snapshots of paid-up services.
        let mut per_day: BTreeMap<i32, i64> = BTreeMap::new();
        for row in &active {
            *per_day.entry(row.day).or_default() += row.value;
        }
        let avg_active =
            if per_day.is_empty() { 0.0 } else { per_day.values().sum::<i64>() as f64 / per_day.len() as f64 };
        let arpu = if avg_active > 0.0 { Cell::Money((sold as f64 / avg_active).round() as i64) } else { Cell::Empty };
        // What the wallets hold at the period's end: every ledger movement
        // up to then.
        let liabilities = sum(&self.agg_between(Metric::Ledger, i32::MIN, self.period.to)?);
        r.summary = vec![
            ("Collected".into(), Cell::Money(collected)),
            ("Payments".into(), Cell::Count(sum(&counts))),
            ("Plan sales".into(), Cell::Money(sold)),
            ("Average paid-up services".into(), Cell::Count(avg_active.round() as i64)),
            ("ARPU (sales per paid-up service)".into(), arpu),
            ("Wallet balances owed at the end".into(), Cell::Money(liabilities)),
        ];
        let mut t = Table {
            title: "Collected per ".to_string() + if self.period.by_month() { "month" } else { "day" },
            headers: ["Date", "M-Pesa STK", "M-Pesa C2B", "Cash", "Manual", "Collected", "Payments", "Plan sales"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        for (i, label) in labels.iter().enumerate() {
            let p = per[i];
            let mut row = vec![Cell::text(label)];
            row.extend(p.iter().map(|&v| Cell::Money(v)));
            row.extend([Cell::Money(p.iter().sum()), Cell::Count(count_per[i]), Cell::Money(sales_per[i])]);
            t.rows.push(row);
        }
        let mut total = vec![Cell::text("Total")];
        total.extend(CHANNELS.iter().map(|&m| Cell::Money(sum_dim(&paid, channel_code(m)))));
        total.extend([Cell::Money(collected), Cell::Count(sum(&counts)), Cell::Money(sold)]);
        t.total = Some(total);
        r.tables.push(t);
        let names = self.plan_names()?;
        let mut plans = Table {
            title: "Plan sales by plan".into(),
            headers: ["Plan", "Sold", "Amount", "Share"].map(String::from).to_vec(),
            ..Default::default()
        };
        let counts_by_plan = by_dim(&sales_n);
        let mut by_plan: Vec<(u64, i64)> = by_dim(&sales).into_iter().collect();
        by_plan.sort_by_key(|&(_, v)| std::cmp::Reverse(v));
        for (plan, amount) in by_plan {
            let name = names.get(&plan).cloned().unwrap_or_else(|| format!("plan {plan} (deleted)"));
            let n = counts_by_plan.get(&plan).copied().unwrap_or(0);
            plans.rows.push(vec![Cell::Text(name), Cell::Count(n), Cell::Money(amount), pct(amount, sold)]);
        }
        plans.total = Some(vec![Cell::text("Total"), Cell::Count(sum(&sales_n)), Cell::Money(sold), Cell::Empty]);
        r.tables.push(plans);
        Ok(())
    }

    fn reconciliation(&self, r: &mut Report) -> Result<(), OpError> {
        let (from, to) = self.instants();
        let paid = self.agg(Metric::Paid)?;
        let unmatched = self.agg(Metric::Unmatched)?;
        let assigned = self.agg(Metric::Assigned)?;
        let ledger = self.agg(Metric::Ledger)?;
        let received = sum(&paid);
        let credited_at_receipt = received - sum(&unmatched);
        let wallet_payments = sum_dim(&ledger, kind_code(crate::billing::EntryKind::Payment));
        let expected = credited_at_receipt + sum(&assigned);
        r.summary = vec![
            ("Received".into(), Cell::Money(received)),
            ("Credited to wallets on arrival".into(), Cell::Money(credited_at_receipt)),
            ("Unmatched on arrival".into(), Cell::Money(sum(&unmatched))),
            ("Assigned by an admin in the period".into(), Cell::Money(sum(&assigned))),
            ("Payments in the wallet ledger".into(), Cell::Money(wallet_payments)),
        ];
        r.checks.push(Check {
            name: "Payments against the wallet ledger".into(),
            ok: wallet_payments == expected,
            detail: format!(
                "ledger payment entries {} = credited on arrival {} + assigned {}",
                wallet_payments,
                credited_at_receipt,
                sum(&assigned)
            ),
        });
        // The rows: every one for a download, the first PAGE_ROWS on a
        // page (whose totals and outcomes come from the day totals).
        let full = self.limit == usize::MAX;
        let keep = self.keeper()?;
        let payments = self.store.payments_between(self.t.id, from, to, self.limit, &keep)?;
        let mut pay = Table {
            title: "Payments received".into(),
            headers: ["Received (UTC)", "Channel", "Reference", "Amount", "Customer", "State"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        let mut by_id = HashMap::new();
        let mut listed = 0i64;
        for p in &payments {
            listed += p.amount;
            by_id.insert(p.id, p.amount);
            let state = match p.status {
                PaymentStatus::Credited => "credited",
                PaymentStatus::Unmatched => "unmatched",
            };
            pay.rows.push(vec![
                Cell::Text(super::time::utc(p.received_at)),
                Cell::text(p.method.as_str()),
                Cell::Text(p.reference.clone()),
                Cell::Money(p.amount),
                Cell::Text(p.customer.map_or_else(String::new, |c| format!("customer {c}"))),
                Cell::text(state),
            ]);
        }
        let paid_count = sum(&self.agg(Metric::PaidCount)?);
        pay.more = (paid_count - pay.rows.len() as i64).max(0) as usize;
        pay.total =
            Some(vec![Cell::text("Total"), Cell::Empty, Cell::Empty, Cell::Money(received), Cell::Empty, Cell::Empty]);
        let stk = self.store.stk_between(self.t.id, from, to, self.limit, &keep)?;
        let mut mismatched = 0;
        let mut listed_stk: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
        let mut push = Table {
            title: "M-Pesa STK pushes".into(),
            headers: ["Sent (UTC)", "CheckoutRequestID", "Phone", "Amount", "State", "Payment"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        for s in &stk {
            let (state, payment) = match &s.state {
                StkState::Pending => ("pending", String::new()),
                StkState::Paid { payment } => {
                    if by_id.get(payment).is_some_and(|&a| a != s.amount) {
                        mismatched += 1;
                    }
                    ("paid", format!("payment {payment}"))
                }
                StkState::Failed { message, .. } => ("failed", message.clone()),
                StkState::Disputed { reason } => ("disputed", reason.clone()),
            };
            let e = listed_stk.entry(stk_outcome(&s.state).unwrap_or(0)).or_default();
            e.0 += 1;
            e.1 += s.amount;
            push.rows.push(vec![
                Cell::Text(super::time::utc(s.created_at)),
                Cell::Text(s.checkout_id.clone()),
                Cell::Text(mask_phone(&s.phone)),
                Cell::Money(s.amount),
                Cell::text(state),
                Cell::Text(payment),
            ]);
        }
        // Outcomes from the day totals: pending is what has no outcome yet.
        let sent = (sum(&self.agg(Metric::StkSent)?), sum(&self.agg(Metric::StkSentAmount)?));
        let (ended, ended_amount) =
            (by_dim(&self.agg(Metric::StkOutcome)?), by_dim(&self.agg(Metric::StkOutcomeAmount)?));
        push.more = (sent.0 - push.rows.len() as i64).max(0) as usize;
        let mut outcomes: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
        for o in 1..=3 {
            outcomes.insert(o, (ended.get(&o).copied().unwrap_or(0), ended_amount.get(&o).copied().unwrap_or(0)));
        }
        let done = outcomes.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        outcomes.insert(0, (sent.0 - done.0, sent.1 - done.1));
        let mut summary = Table {
            title: "STK pushes by outcome".into(),
            headers: ["Outcome", "Pushes", "Amount"].map(String::from).to_vec(),
            ..Default::default()
        };
        for (o, (n, amount)) in &outcomes {
            let name = ["pending", "paid", "failed", "disputed"][*o as usize];
            summary.rows.push(vec![Cell::text(name), Cell::Count(*n), Cell::Money(*amount)]);
        }
        summary.total = Some(vec![Cell::text("Sent"), Cell::Count(sent.0), Cell::Money(sent.1)]);
        for o in 0..=3 {
            listed_stk.entry(o).or_default();
        }
        if full {
            // Row by row: the index against the day totals, and each paid
            // push against its payment.
            r.checks.push(Check {
                name: "Payments listed against the day totals".into(),
                ok: listed == received && payments.len() as i64 == paid_count,
                detail: format!(
                    "{} payments listed, {listed} in all; day totals {paid_count}, {received}",
                    payments.len()
                ),
            });
            r.checks.push(Check {
                name: "STK pushes listed against the day totals".into(),
                ok: listed_stk == outcomes,
                detail: format!("{} pushes listed; day totals {} sent", stk.len(), sent.0),
            });
            r.checks.push(Check {
                name: "STK pushes paid at the amount asked".into(),
                ok: mismatched == 0,
                detail: format!("{mismatched} paid pushes whose payment differs from the amount asked"),
            });
        } else {
            r.notes.push(
                "The row-by-row checks (every payment and STK push against the day totals, every paid push against its payment) run in the CSV download and lango report --format csv."
                    .into(),
            );
        }
        let mut channels = Table {
            title: "Received by channel".into(),
            headers: ["Channel", "Received", "Unmatched on arrival", "Assigned later"].map(String::from).to_vec(),
            ..Default::default()
        };
        for m in CHANNELS {
            let ch = channel_code(m);
            channels.rows.push(vec![
                Cell::text(m.as_str()),
                Cell::Money(sum_dim(&paid, ch)),
                Cell::Money(sum_dim(&unmatched, ch)),
                Cell::Money(sum_dim(&assigned, ch)),
            ]);
        }
        r.chart = Some(Chart {
            title: "Received by channel".into(),
            unit: Unit::Money,
            labels: CHANNELS.iter().map(|m| m.as_str().to_string()).collect(),
            series: vec![Series {
                name: "received".into(),
                values: CHANNELS.iter().map(|&m| sum_dim(&paid, channel_code(m)) as f64).collect(),
            }],
        });
        r.tables.extend([channels, summary, pay, push]);
        r.notes.push(
            "Payments are dated by arrival, STK pushes by sending; a push sent just before midnight may be paid the next day."
                .into(),
        );
        Ok(())
    }

    fn tax(&self, r: &mut Report) -> Result<(), OpError> {
        let (from, to) = self.instants();
        let (net, tax, gross) = (self.agg(Metric::DocNet)?, self.agg(Metric::DocTax)?, self.agg(Metric::DocGross)?);
        let billing = self.store.tenant_billing(self.t.id)?;
        let tax_name = billing.tax.as_ref().map_or("Tax".to_string(), |t| t.name.clone());
        r.summary = vec![
            ("Sales documents".into(), Cell::Count(sum(&self.agg(Metric::DocCount)?))),
            ("Net".into(), Cell::Money(sum(&net))),
            (tax_name.clone(), Cell::Money(sum(&tax))),
            ("Gross".into(), Cell::Money(sum(&gross))),
        ];
        if let Some(pin) = billing.tax_pin.as_deref().filter(|p| !p.is_empty()) {
            r.summary.insert(0, ("Tax PIN".into(), Cell::text(pin)));
        }
        let b = Buckets::months(self.period);
        let months = &b.starts;
        let mut per_month = Table {
            title: format!("{tax_name} per month"),
            headers: ["Month", "Net", tax_name.as_str(), "Gross"].map(String::from).to_vec(),
            ..Default::default()
        };
        let mut cols = vec![[0i64; 3]; months.len()];
        for (i, rows) in [&net, &tax, &gross].into_iter().enumerate() {
            for row in rows {
                cols[b.index(row.day)][i] += row.value;
            }
        }
        for (m, c) in months.iter().zip(&cols) {
            per_month.rows.push(vec![
                Cell::Text(month_label(*m)),
                Cell::Money(c[0]),
                Cell::Money(c[1]),
                Cell::Money(c[2]),
            ]);
        }
        r.chart = Some(Chart {
            title: format!("{tax_name} per month"),
            unit: Unit::Money,
            labels: months.iter().map(|&m| month_label(m)).collect(),
            series: vec![
                Series { name: "net".into(), values: cols.iter().map(|c| c[0] as f64).collect() },
                Series { name: tax_name.to_lowercase(), values: cols.iter().map(|c| c[1] as f64).collect() },
            ],
        });
        let keep = self.keeper()?;
        let docs = self.store.sales_docs_between(self.t.id, from, to, self.limit, &keep)?;
        let mut list = Table {
            title: "Sales documents".into(),
            headers: ["Number", "Issued (UTC)", "Customer", "Net", tax_name.as_str(), "Gross", "Paid"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        let mut sums = [0i64; 3];
        for d in &docs {
            sums[0] += d.net;
            sums[1] += d.tax;
            sums[2] += d.gross;
            list.rows.push(vec![
                Cell::Text(d.number.clone()),
                Cell::Text(super::time::utc(d.issued_at)),
                Cell::Text(format!("customer {}", d.customer)),
                Cell::Money(d.net),
                Cell::Money(d.tax),
                Cell::Money(d.gross),
                Cell::text(if d.paid_at.is_some() { "paid" } else { "open" }),
            ]);
        }
        let totals = [sum(&net), sum(&tax), sum(&gross)];
        let count = sum(&self.agg(Metric::DocCount)?);
        list.more = (count - list.rows.len() as i64).max(0) as usize;
        list.total = Some(vec![
            Cell::text("Total"),
            Cell::Empty,
            Cell::Empty,
            Cell::Money(totals[0]),
            Cell::Money(totals[1]),
            Cell::Money(totals[2]),
            Cell::Empty,
        ]);
        if self.limit == usize::MAX {
            r.checks.push(Check {
                name: "Documents against the day totals".into(),
                ok: sums == totals && docs.len() as i64 == count,
                detail: format!("{} listed: net {} tax {} gross {}", docs.len(), sums[0], sums[1], sums[2]),
            });
        } else {
            r.notes
                .push("The row-by-row check of the documents against the day totals runs in the CSV download.".into());
        }
        r.tables.extend([per_month, list]);
        r.notes.push(
            "KRA eTIMS: with an OSCU device set up (lango etims setup), each of these sales is sent to the control unit as it is issued; its CU invoice number is printed on the document."
                .into(),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("254712345678"), "2547****5678");
        assert_eq!(mask_phone("123"), "****");
    }

    #[test]
    fn buckets_follow_the_period() {
        let d = |s| crate::store::reports::parse_day(s).unwrap();
        let b = Buckets::of(Period { from: d("2026-01-15"), to: d("2026-06-02") });
        assert_eq!(b.labels(true), ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]);
        assert_eq!(b.index(d("2026-01-15")), 0);
        assert_eq!(b.index(d("2026-02-28")), 1);
        assert_eq!(b.index(d("2026-03-01")), 2);
        let days = Buckets::of(Period { from: d("2026-02-27"), to: d("2026-03-02") });
        assert_eq!(days.labels(false), ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
        assert_eq!(days.index(d("2026-03-01")), 2);
    }
}
