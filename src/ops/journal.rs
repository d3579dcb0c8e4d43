//! The period journal for the tenant's accountant: the period's sales
//! documents (net by plan to Sales, tax to VAT payable, gross out of the
//! customer wallets) and payments received (by channel into M-Pesa
//! clearing, Cash and Bank, into the customer wallets), with what the
//! wallets owed at the period's start and end, read from the reports'
//! aggregates (`store::reports`) — never from the rows. Written as the CSV
//! QuickBooks Online, Xero or Odoo imports, with the tenant's chart of
//! accounts (`model::chart`); every entry balances.

use std::collections::BTreeMap;

use super::OpError;
use super::report_view::{Period, plain_money};
use super::reports::{by_dim, sum};
use crate::model::{AccountRole, ChartOfAccounts, PaymentMethod, Tenant, TenantId, UnixTime};
use crate::pdf::minor_digits;
use crate::store::Store;
use crate::store::reports::{CHANNELS, Metric, channel_code, civil_from_days, day_label};

/// The import shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// QuickBooks Online, Import data → Journal entries: JournalNo,
    /// JournalDate (MM/DD/YYYY), AccountName, Debits, Credits, Description.
    QuickBooks,
    /// Xero, Manual journals → Import: Narration, Date (dd/mm/yyyy),
    /// Description, AccountCode, TaxRate, Amount (debits positive, credits
    /// negative).
    Xero,
    /// Odoo, Journal Entries (account.move) → Import: the move's fields on
    /// its first line, then `line_ids/…` one line each.
    Odoo,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::QuickBooks, Format::Xero, Format::Odoo];

    pub fn slug(self) -> &'static str {
        match self {
            Format::QuickBooks => "quickbooks",
            Format::Xero => "xero",
            Format::Odoo => "odoo",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Format::QuickBooks => "QuickBooks Online",
            Format::Xero => "Xero",
            Format::Odoo => "Odoo",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.slug() == s)
    }
}

/// One line: `amount` is a debit when positive, a credit when negative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub account: AccountRole,
    pub amount: i64,
    pub description: String,
}

/// One journal entry (balanced: its amounts sum to zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique per tenant and period: `LANGO-20261201-20261231-1`.
    pub number: String,
    pub narration: String,
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    pub period: Period,
    pub currency: String,
    pub entries: Vec<Entry>,
    /// What the wallets owed at the start of the first day and the end of
    /// the last (every ledger movement before then).
    pub wallets_opening: i64,
    pub wallets_closing: i64,
    /// The sales documents' totals, as `lango report tax` shows them.
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    /// Money received, all channels.
    pub received: i64,
}

impl Journal {
    /// Debits and credits of every entry: (debits, credits).
    pub fn totals(&self) -> (i64, i64) {
        let lines = self.entries.iter().flat_map(|e| &e.lines);
        let debits = lines.clone().filter(|l| l.amount > 0).map(|l| l.amount).sum();
        (debits, lines.filter(|l| l.amount < 0).map(|l| -l.amount).sum())
    }

    /// Every entry balances on its own.
    pub fn balanced(&self) -> bool {
        self.entries.iter().all(|e| e.lines.iter().map(|l| l.amount).sum::<i64>() == 0)
    }
}

/// The sums the journal is made of, read from the aggregates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Per plan name: (net, tax, gross); documents issued before sales
    /// were kept by plan are the remainder of the totals.
    pub by_plan: Vec<(String, [i64; 3])>,
    pub totals: [i64; 3],
    /// Received per channel (`CHANNELS` order).
    pub received: [i64; 4],
    pub wallets: (i64, i64),
}

/// Read the figures for `period` (tenant-local days) of the whole tenant.
pub fn figures(store: &Store, t: &Tenant, period: Period) -> Result<Figures, OpError> {
    let agg = |m: Metric, from: i32, to: i32| store.agg(t.id, 0, m, from, to);
    let (from, to) = (period.from, period.to);
    let totals = [
        sum(&agg(Metric::DocNet, from, to)?),
        sum(&agg(Metric::DocTax, from, to)?),
        sum(&agg(Metric::DocGross, from, to)?),
    ];
    let names: BTreeMap<u64, String> = store.plans(t.id)?.into_iter().map(|p| (p.id, p.name)).collect();
    let mut per: BTreeMap<u64, [i64; 3]> = BTreeMap::new();
    for (i, m) in [Metric::DocNetPlan, Metric::DocTaxPlan, Metric::DocGrossPlan].into_iter().enumerate() {
        for (plan, v) in by_dim(&agg(m, from, to)?) {
            per.entry(plan).or_default()[i] += v;
        }
    }
    let mut by_plan = Vec::new();
    let mut rest = totals;
    for (plan, v) in per {
        for i in 0..3 {
            rest[i] -= v[i];
        }
        let name = match plan {
            0 => "no plan".to_string(),
            p => names.get(&p).cloned().unwrap_or_else(|| format!("plan {p} (deleted)")),
        };
        by_plan.push((name, v));
    }
    if rest != [0; 3] {
        by_plan.push(("documents issued before sales were kept by plan".into(), rest));
    }
    let paid = agg(Metric::Paid, from, to)?;
    let mut received = [0i64; 4];
    for (i, m) in CHANNELS.iter().enumerate() {
        received[i] = paid.iter().filter(|r| r.dim == channel_code(*m)).map(|r| r.value).sum();
    }
    let opening = sum(&agg(Metric::Ledger, i32::MIN, from - 1)?);
    let closing = sum(&agg(Metric::Ledger, i32::MIN, to)?);
    Ok(Figures { by_plan, totals, received, wallets: (opening, closing) })
}

/// The entries for `figures`: pure, so the balance is a table test.
pub fn journal(tenant: TenantId, currency: &str, period: Period, f: &Figures) -> Journal {
    let stamp = format!("{}-{}", compact(period.from), compact(period.to));
    let label = format!("{} to {}", day_label(period.from), day_label(period.to));
    let mut entries = Vec::new();
    if f.totals != [0; 3] {
        let mut lines = Vec::new();
        for (plan, [net, tax, _]) in &f.by_plan {
            lines.push(Line { account: AccountRole::Sales, amount: -net, description: format!("Sales: {plan}") });
            lines.push(Line {
                account: AccountRole::VatPayable,
                amount: -tax,
                description: format!("Output tax: {plan}"),
            });
        }
        lines.retain(|l| l.amount != 0);
        lines.insert(
            0,
            Line {
                account: AccountRole::CustomerWallets,
                amount: f.totals[2],
                description: "Sales documents (receipts and invoices), gross".into(),
            },
        );
        entries.push(Entry { number: String::new(), narration: format!("lango sales {label}"), lines });
    }
    let received: i64 = f.received.iter().sum();
    if received != 0 {
        let mut lines = Vec::new();
        for (m, amount) in CHANNELS.iter().zip(f.received) {
            let account = match m {
                PaymentMethod::MpesaStk | PaymentMethod::MpesaC2b => AccountRole::MpesaClearing,
                PaymentMethod::Cash => AccountRole::Cash,
                PaymentMethod::Manual => AccountRole::Bank,
            };
            if amount != 0 {
                lines.push(Line { account, amount, description: format!("Payments received: {}", m.as_str()) });
            }
        }
        lines.push(Line {
            account: AccountRole::CustomerWallets,
            amount: -received,
            description: format!(
                "Payments into customer wallets (wallets owed {} at the start, {} at the end)",
                plain_money(f.wallets.0, minor_digits(currency)),
                plain_money(f.wallets.1, minor_digits(currency))
            ),
        });
        entries.push(Entry { number: String::new(), narration: format!("lango payments {label}"), lines });
    }
    for (i, e) in entries.iter_mut().enumerate() {
        e.number = format!("LANGO-{tenant}-{stamp}-{}", i + 1);
    }
    Journal {
        period,
        currency: currency.to_string(),
        entries,
        wallets_opening: f.wallets.0,
        wallets_closing: f.wallets.1,
        net: f.totals[0],
        tax: f.totals[1],
        gross: f.totals[2],
        received,
    }
}

/// Build the tenant's journal for `period`.
pub fn build(store: &Store, t: &Tenant, period: Period) -> Result<Journal, OpError> {
    Ok(journal(t.id, &t.currency, period, &figures(store, t, period)?))
}

fn compact(day: i32) -> String {
    day_label(day).replace('-', "")
}

/// The journal's date (the period's last day) in each product's format.
fn date(day: i32, f: Format) -> String {
    let (y, m, d) = civil_from_days(day);
    match f {
        Format::QuickBooks => format!("{m:02}/{d:02}/{y:04}"),
        Format::Xero => format!("{d:02}/{m:02}/{y:04}"),
        Format::Odoo => format!("{y:04}-{m:02}-{d:02}"),
    }
}

/// The CSV the product imports. Amounts are decimals of the currency;
/// text is formula-safe.
pub fn csv(j: &Journal, chart: &ChartOfAccounts, f: Format) -> String {
    use super::csv::{row, spreadsheet_safe as safe};
    let digits = minor_digits(&j.currency);
    let money = |v: i64| plain_money(v, digits);
    let blank_or = |v: i64| if v > 0 { money(v) } else { String::new() };
    let day = date(j.period.to, f);
    let headers: &[&str] = match f {
        Format::QuickBooks => &["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description"],
        Format::Xero => &["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount"],
        Format::Odoo => {
            &["ref", "date", "journal_id", "line_ids/account_id", "line_ids/name", "line_ids/debit", "line_ids/credit"]
        }
    };
    let mut out = row(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for e in &j.entries {
        for (i, l) in e.lines.iter().enumerate() {
            let a = chart.account(l.account);
            let fields = match f {
                Format::QuickBooks => vec![
                    e.number.clone(),
                    day.clone(),
                    safe(a.name),
                    blank_or(l.amount),
                    blank_or(-l.amount),
                    safe(l.description.clone()),
                ],
                Format::Xero => vec![
                    safe(format!("{} ({})", e.narration, e.number)),
                    day.clone(),
                    safe(l.description.clone()),
                    safe(a.code),
                    safe(chart.xero_tax_rate.clone()),
                    money(l.amount),
                ],
                Format::Odoo => {
                    let head = i == 0;
                    let move_field = |s: String| if head { s } else { String::new() };
                    vec![
                        move_field(safe(format!("{} {}", e.number, e.narration))),
                        move_field(day.clone()),
                        move_field(safe(chart.odoo_journal.clone())),
                        safe(a.code),
                        safe(l.description.clone()),
                        money(l.amount.max(0)),
                        money((-l.amount).max(0)),
                    ]
                }
            };
            out.push_str(&row(&fields));
        }
    }
    out
}

/// A settings change: every `(key, value)` `ChartOfAccounts::set` takes,
/// refused as a whole on the first bad one (the form field is the key).
pub fn save_chart(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    changes: &[(String, String)],
) -> Result<ChartOfAccounts, OpError> {
    let mut chart = store.chart_of_accounts(tenant)?;
    for (k, v) in changes {
        let field = crate::model::CHART_KEYS.iter().find(|f| **f == k.as_str()).copied().unwrap_or("chart");
        chart.set(k, v).map_err(|m| OpError::field(field, m))?;
    }
    store.set_chart_of_accounts(actor, now, tenant, &chart)?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        Figures {
            by_plan: vec![
                ("Home 10".into(), [862_069, 137_931, 1_000_000]),
                ("Daily, \"=cheap\"".into(), [4_310, 690, 5_000]),
                ("documents issued before sales were kept by plan".into(), [-1, 1, 0]),
            ],
            totals: [866_378, 138_622, 1_005_000],
            received: [600_000, 250_000, 100_000, 0],
            wallets: (120_000, 65_000),
        }
    }

    fn period() -> Period {
        let d = |s| crate::store::reports::parse_day(s).unwrap();
        Period { from: d("2026-11-01"), to: d("2026-11-30") }
    }

    #[test]
    fn journals_balance() {
        let cases = [figures(), Figures::default(), Figures { received: [0, 0, 5, 0], ..Figures::default() }];
        for f in cases {
            let j = journal(7, "KES", period(), &f);
            assert!(j.balanced(), "{j:?}");
            let (dr, cr) = j.totals();
            assert_eq!(dr, cr);
        }
        let j = journal(7, "KES", period(), &figures());
        assert_eq!(j.entries.len(), 2);
        assert_eq!(j.entries[0].number, "LANGO-7-20261101-20261130-1");
        let sales: i64 = j.entries[0].lines.iter().filter(|l| l.account == AccountRole::Sales).map(|l| l.amount).sum();
        assert_eq!(sales, -866_378);
        let vat: i64 =
            j.entries[0].lines.iter().filter(|l| l.account == AccountRole::VatPayable).map(|l| l.amount).sum();
        assert_eq!(vat, -138_622);
    }

    #[test]
    fn each_product_gets_its_columns() {
        let j = journal(7, "KES", period(), &figures());
        let chart = ChartOfAccounts::default();
        let qb = csv(&j, &chart, Format::QuickBooks);
        let first: Vec<&str> = qb.lines().take(2).collect();
        assert_eq!(first[0], "JournalNo,JournalDate,AccountName,Debits,Credits,Description");
        assert!(
            first[1].starts_with("LANGO-7-20261101-20261130-1,11/30/2026,Customer wallets,10050.00,,"),
            "{}",
            first[1]
        );
        assert!(qb.contains(",Sales,,8620.69,Sales: Home 10\r\n"), "{qb}");
        // A plan named like a formula stays text.
        assert!(qb.contains("\"Sales: Daily, \"\"=cheap\"\"\""), "{qb}");
        let xero = csv(&j, &chart, Format::Xero);
        assert!(xero.starts_with("Narration,Date,Description,AccountCode,TaxRate,Amount\r\n"));
        assert!(xero.contains(",30/11/2026,Sales: Home 10,4000,Tax Exempt,-8620.69\r\n"), "{xero}");
        let amounts: i64 =
            xero.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().replace('.', "").parse::<i64>().unwrap()).sum();
        assert_eq!(amounts, 0);
        let odoo = csv(&j, &chart, Format::Odoo);
        let lines: Vec<&str> = odoo.lines().collect();
        assert_eq!(lines[0], "ref,date,journal_id,line_ids/account_id,line_ids/name,line_ids/debit,line_ids/credit");
        assert!(lines[1].contains(",2026-11-30,Miscellaneous Operations,2100,"), "{}", lines[1]);
        assert!(lines[2].starts_with(",,,4000,Sales: Home 10,0.00,8620.69"), "{}", lines[2]);
    }
}
