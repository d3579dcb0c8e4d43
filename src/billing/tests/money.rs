//! Tables for the money rules: calendar first charges, plan-change quotes,
//! tax rounding, the ledger and invoices.

use super::super::*;
use super::{at, terms, zone};
use Anchor::{Calendar, Rolling};

const NBO: &str = "Africa/Nairobi";

fn vat(rate_bp: u32, inclusive: bool) -> TaxRule {
    TaxRule { name: "VAT".to_string(), rate_bp, inclusive }
}

#[test]
fn calendar_first_charges() {
    // (start in Nairobi, period, anchor, price, first charge)
    let table = [
        ("2024-03-17 00:00", "1mo", Calendar, 3_100, 1_500), // 15 of 31 days
        ("2024-03-01 00:00", "1mo", Calendar, 3_100, 3_100), // on the boundary: full
        ("2024-03-31 12:00", "1mo", Calendar, 3_100, 50),    // 12 h of 744 h
        ("2024-02-15 00:00", "1mo", Calendar, 100_000, 51_724), // 15/29, floor of 51724.13
        ("2024-02-15 00:00", "1mo", Rolling, 100_000, 100_000),
        ("2024-03-17 18:00", "1d", Calendar, 100, 25),
        ("2024-05-02 00:00", "1w", Calendar, 7_000, 4_000), // Thursday: 4 of 7 days
        ("2024-01-15 00:00", "3mo", Calendar, 91_000, 77_000), // 77 of 91 days
        ("2024-03-17 00:00", "1mo", Calendar, 0, 0),
    ];
    for (start, period, anchor, price, expected) in table {
        let t = terms(period, anchor, 0, price);
        assert_eq!(calendar_first_charge(at(start, NBO), &t, &zone(NBO)), Ok(expected), "{start} {period} {price}");
    }
    let negative = terms("1mo", Calendar, 0, -1);
    assert_eq!(calendar_first_charge(0, &negative, &zone(NBO)), Err(BillingError::NegativePrice { price: -1 }));
}

/// One plan change from "Home 10M" (30 days, 3000.00, 2024-03-01 12:00 to
/// 2024-03-31 12:00 Nairobi) to "Home 20M" on `new` terms at `now`.
struct QuoteCase {
    new: Terms,
    now: &'static str,
    credit: i64,
    charge: i64,
    net: i64,
    new_expiry: &'static str,
    /// Receipt lines: (description, amount); credits negative.
    lines: &'static [(&'static str, i64)],
}

#[test]
fn plan_change_quotes() {
    let old = terms("30d", Rolling, 0, 300_000);
    let (start, expiry) = (at("2024-03-01 12:00", NBO), at("2024-03-31 12:00", NBO));
    let upgrade = terms("30d", Rolling, 0, 600_000);
    let downgrade = terms("30d", Rolling, 0, 100_000);
    let calendar = terms("1mo", Calendar, 0, 310_000);
    let table = [
        QuoteCase {
            new: upgrade,
            now: "2024-03-16 12:00",
            credit: 150_000,
            charge: 600_000,
            net: 450_000,
            new_expiry: "2024-04-15 12:00",
            lines: &[
                ("Unused 15 days of Home 10M (credit)", -150_000),
                ("Home 20M, 2024-03-16 12:00 to 2024-04-15 12:00", 600_000),
            ],
        },
        QuoteCase {
            new: downgrade,
            now: "2024-03-16 12:00",
            credit: 150_000,
            charge: 100_000,
            net: -50_000,
            new_expiry: "2024-04-15 12:00",
            lines: &[
                ("Unused 15 days of Home 10M (credit)", -150_000),
                ("Home 20M, 2024-03-16 12:00 to 2024-04-15 12:00", 100_000),
            ],
        },
        // 12 days 4 hours = 292 h of 720 h: 121666.67 → 121666.
        QuoteCase {
            new: upgrade,
            now: "2024-03-19 08:00",
            credit: 121_666,
            charge: 600_000,
            net: 478_334,
            new_expiry: "2024-04-18 08:00",
            lines: &[
                ("Unused 12 days 4 hours of Home 10M (credit)", -121_666),
                ("Home 20M, 2024-03-19 08:00 to 2024-04-18 08:00", 600_000),
            ],
        },
        // Expired: nothing to credit.
        QuoteCase {
            new: upgrade,
            now: "2024-04-02 12:00",
            credit: 0,
            charge: 600_000,
            net: 600_000,
            new_expiry: "2024-05-02 12:00",
            lines: &[("Home 20M, 2024-04-02 12:00 to 2024-05-02 12:00", 600_000)],
        },
        // Calendar target: 15.5 of 31 days left in March.
        QuoteCase {
            new: calendar,
            now: "2024-03-16 12:00",
            credit: 150_000,
            charge: 155_000,
            net: 5_000,
            new_expiry: "2024-04-01 00:00",
            lines: &[
                ("Unused 15 days of Home 10M (credit)", -150_000),
                ("Home 20M, 2024-03-16 12:00 to 2024-04-01 00:00 (prorated)", 155_000),
            ],
        },
    ];
    for case in table {
        let QuoteCase { new, now, credit, charge, net, new_expiry, lines } = case;
        let (from, to) = (PlanRef { name: "Home 10M", terms: &old }, PlanRef { name: "Home 20M", terms: &new });
        let q = quote_change(from, start, expiry, to, at(now, NBO), &zone(NBO)).unwrap();
        assert_eq!((q.credit, q.charge, q.net), (credit, charge, net), "{now} → {}", new.price);
        assert_eq!((q.new_starts_at, q.new_expires_at), (at(now, NBO), at(new_expiry, NBO)), "{now}");
        let got: Vec<(&str, i64)> = q.lines.iter().map(|l| (l.description.as_str(), l.amount)).collect();
        assert_eq!(got, lines, "{now}");
        assert_eq!(q.lines.iter().map(|l| l.amount).sum::<i64>(), q.net, "lines sum to net");
    }
    let plan = PlanRef { name: "x", terms: &old };
    let empty = quote_change(plan, expiry, expiry, plan, expiry, &zone(NBO));
    assert_eq!(empty, Err(BillingError::EmptyPeriod { start: expiry, end: expiry }));
    // Before the period starts, the whole price is credited, never more.
    let q = quote_change(plan, start, expiry, plan, start - 86_400, &zone(NBO)).unwrap();
    assert_eq!(q.credit, 300_000);
}

#[test]
fn durations_for_receipts() {
    let table = [
        (0, "less than a minute"),
        (59, "less than a minute"),
        (60, "1 minute"),
        (3600 + 120, "1 hour 2 minutes"),
        (7200, "2 hours"),
        (86_400, "1 day"),
        (12 * 86_400 + 4 * 3600 + 59 * 60, "12 days 4 hours"),
        (2 * 86_400 + 1, "2 days"),
    ];
    for (secs, text) in table {
        assert_eq!(describe_duration(secs), text, "{secs}");
    }
}

#[test]
fn tax_rounding() {
    // (amount, rate bp, inclusive, net, tax, gross)
    let table = [
        (100_000, 1600, true, 86_207, 13_793, 100_000), // 16 % VAT inside KES 1000
        (100_000, 1600, false, 100_000, 16_000, 116_000),
        (-100_000, 1600, true, -86_207, -13_793, -100_000),
        (1, 1600, false, 1, 0, 1),   // 0.16 → 0
        (4, 1600, false, 4, 1, 5),   // 0.64 → 1
        (25, 200, false, 25, 1, 26), // 0.5 → 1, half away from zero
        (-25, 200, false, -25, -1, -26),
        (24, 200, false, 24, 0, 24), // 0.48 → 0
        (5, 10_000, true, 2, 3, 5),  // 2.5 → 3
        (-5, 10_000, true, -2, -3, -5),
        (0, 1600, true, 0, 0, 0),
        (100_000, 0, false, 100_000, 0, 100_000),
        (1_000, 1650, true, 858, 142, 1_000), // 141.63 → 142
    ];
    for (amount, rate, inclusive, net, tax, gross) in table {
        assert_eq!(
            apply_tax(amount, &vat(rate, inclusive)),
            Ok(Taxed { net, tax, gross }),
            "{amount} @ {rate} {inclusive}"
        );
    }
    assert_eq!(apply_tax(i64::MAX, &vat(1600, false)), Err(BillingError::Overflow { what: "tax" }));
    assert_eq!(apply_tax(i64::MIN, &vat(1600, true)).map(|t| t.gross), Ok(i64::MIN));
}

#[test]
fn tax_parts_always_add_up() {
    let rates = [0, 1, 7, 800, 1600, 1650, 9999, 10_000, 25_000];
    let amounts = (-20_000..=20_000).chain([i64::MAX / 4, -i64::MAX / 4, 999_999_999_999, 123_456_789]);
    for amount in amounts {
        for rate in rates {
            for inclusive in [true, false] {
                let t = apply_tax(amount, &vat(rate, inclusive)).unwrap();
                assert_eq!(t.net + t.tax, t.gross, "{amount} @ {rate} {inclusive}");
                assert_eq!(if inclusive { t.gross } else { t.net }, amount);
                // The tax is the exact tax rounded to the nearest unit.
                let (base, denom) = if inclusive { (t.gross, 10_000 + rate) } else { (t.net, 10_000) };
                let error = (i128::from(t.tax) * i128::from(denom) - i128::from(base) * i128::from(rate)).abs();
                assert!(2 * error <= i128::from(denom), "{amount} @ {rate} {inclusive}: {t:?}");
                let mirror = apply_tax(-amount, &vat(rate, inclusive)).unwrap();
                assert_eq!(mirror, Taxed { net: -t.net, tax: -t.tax, gross: -t.gross }, "{amount} mirror");
            }
        }
    }
}

#[test]
fn ledger_signs_and_balance() {
    type Make = fn(i64, &str, &str, UnixTime) -> Result<Entry, BillingError>;
    // (constructor, kind, amount given, signed amount or error)
    let table: [(Make, EntryKind, i64, Result<i64, BillingError>); 11] = [
        (Entry::payment, EntryKind::Payment, 100_000, Ok(100_000)),
        (Entry::credit, EntryKind::Credit, 150, Ok(150)),
        (Entry::charge, EntryKind::Charge, 300_000, Ok(-300_000)),
        (Entry::refund, EntryKind::Refund, 2_000, Ok(-2_000)),
        (Entry::adjustment, EntryKind::Adjustment, -500, Ok(-500)),
        (Entry::adjustment, EntryKind::Adjustment, 700, Ok(700)),
        (
            Entry::payment,
            EntryKind::Payment,
            0,
            Err(BillingError::NonPositiveAmount { kind: EntryKind::Payment, amount: 0 }),
        ),
        (
            Entry::charge,
            EntryKind::Charge,
            -5,
            Err(BillingError::NonPositiveAmount { kind: EntryKind::Charge, amount: -5 }),
        ),
        (
            Entry::refund,
            EntryKind::Refund,
            -1,
            Err(BillingError::NonPositiveAmount { kind: EntryKind::Refund, amount: -1 }),
        ),
        (
            Entry::credit,
            EntryKind::Credit,
            i64::MIN,
            Err(BillingError::NonPositiveAmount { kind: EntryKind::Credit, amount: i64::MIN }),
        ),
        (Entry::adjustment, EntryKind::Adjustment, 0, Err(BillingError::ZeroAdjustment)),
    ];
    let mut entries = Vec::new();
    for (make, kind, amount, expected) in table {
        let got = make(amount, "reason", "admin", 1_700_000_000);
        assert_eq!(
            got.as_ref().map(|e| (e.kind, e.amount)),
            expected.as_ref().map(|&a| (kind, a)),
            "{kind:?} {amount}"
        );
        if let Ok(e) = got {
            assert_eq!(e.check(), Ok(()));
            entries.push(e);
        }
    }
    assert_eq!(balance(&entries), Ok(100_000 + 150 - 300_000 - 2_000 - 500 + 700));
    assert_eq!(balance(&[]), Ok(0));
    assert_eq!(Entry::adjustment(10, "  ", "admin", 0), Err(BillingError::MissingReason));
    let e = Entry::payment(5, "M-Pesa", "mpesa", 0).unwrap().with_reference("QK12AB34CD");
    assert_eq!(e.reference.as_deref(), Some("QK12AB34CD"));
    let forged = Entry { amount: 5, ..Entry::charge(5, "x", "y", 0).unwrap() };
    assert_eq!(forged.check(), Err(BillingError::WrongSign { kind: EntryKind::Charge, amount: 5 }));
    let big = Entry::payment(i64::MAX, "big", "test", 0).unwrap();
    assert_eq!(balance(&[big.clone(), big]), Err(BillingError::Overflow { what: "balance" }));
    // (balance, price, can renew)
    for (bal, price, ok) in [(500, 500, true), (499, 500, false), (0, 0, true), (-1, 0, false), (1_000, -1, false)] {
        assert_eq!(can_auto_renew(bal, price), ok, "{bal} for {price}");
    }
}

#[test]
fn invoice_numbers() {
    let table = [
        ("INV", 2026, 42, "INV-2026-000042"),
        ("INV", 2026, 1_234_567, "INV-2026-1234567"),
        ("ACME", 999, 1, "ACME-0999-000001"),
        ("INV", 2026, 0, "INV-2026-000000"),
    ];
    for (prefix, year, seq, expected) in table {
        assert_eq!(invoice_number(prefix, year, seq), expected);
    }
}

#[test]
fn invoice_totals() {
    let line =
        |description: &str, quantity, unit_price| LineInput { description: description.into(), quantity, unit_price };
    let inputs = [line("Home 10M", 1, 300_000), line("Router rental", 2, 50_000), line("Token", 1, 1)];
    // (tax rule, per-line (net, tax, gross), totals (net, tax, gross))
    type Parts = (i64, i64, i64);
    let inclusive = vat(1600, true);
    let exclusive = vat(1600, false);
    let table: [(Option<&TaxRule>, [Parts; 3], Parts); 3] = [
        (
            Some(&inclusive),
            [(258_621, 41_379, 300_000), (86_207, 13_793, 100_000), (1, 0, 1)],
            (344_829, 55_172, 400_001),
        ),
        (
            Some(&exclusive),
            [(300_000, 48_000, 348_000), (100_000, 16_000, 116_000), (1, 0, 1)],
            (400_001, 64_000, 464_001),
        ),
        (None, [(300_000, 0, 300_000), (100_000, 0, 100_000), (1, 0, 1)], (400_001, 0, 400_001)),
    ];
    for (rule, lines, (net, tax, gross)) in table {
        let t = totals(&inputs, rule).unwrap();
        let got: Vec<(i64, i64, i64)> = t.lines.iter().map(|l| (l.net, l.tax, l.gross)).collect();
        assert_eq!(got, lines, "{rule:?}");
        assert_eq!((t.net, t.tax, t.gross), (net, tax, gross), "{rule:?}");
        assert_eq!(
            (t.lines[1].quantity, t.lines[1].unit_price, t.lines[1].description.as_str()),
            (2, 50_000, "Router rental")
        );
    }
    // Per-line tax: three lines of 4 at 16 % each round 0.64 up to 1 (3 in
    // all), where taxing the total of 12 would give 1.92 → 2.
    let small = [line("a", 1, 4), line("b", 1, 4), line("c", 1, 4)];
    assert_eq!(totals(&small, Some(&exclusive)).map(|t| (t.tax, t.gross)), Ok((3, 15)));
    assert_eq!(totals(&[], None).map(|t| t.gross), Ok(0));
    let huge = [line("x", 2, i64::MAX / 2 + 1)];
    assert_eq!(totals(&huge, None), Err(BillingError::Overflow { what: "invoice totals" }));
}
