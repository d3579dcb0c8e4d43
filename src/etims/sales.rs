//! The OSCU sales transaction (`saveTrnsSalesOsdc`) of one lango sales
//! document: PURE, from the document, the device and the tenant's zone.
//! A taxed document is KRA tax type B (standard VAT, its rate from the
//! document's lines), an untaxed one type A (exempt); amounts are decimals
//! of the currency; `invcNo` is the document's id (unique, increasing),
//! `trdInvcNo` its number.

use serde_json::{Value, json};

use crate::model::{EtimsSettings, Invoice};

fn dec(minor: i64, digits: u32) -> f64 {
    minor as f64 / 10f64.powi(digits as i32)
}

/// `YYYYMMDDhhmmss` and `YYYYMMDD` of an instant in `zone`.
pub fn stamps(zone: &jiff::tz::TimeZone, at: i64) -> (String, String) {
    let dt = jiff::Timestamp::from_second(at).map(|t| zone.to_datetime(t)).unwrap_or_default();
    (dt.strftime("%Y%m%d%H%M%S").to_string(), dt.strftime("%Y%m%d").to_string())
}

pub fn request(d: &Invoice, s: &EtimsSettings, zone: &jiff::tz::TimeZone, digits: u32) -> Value {
    let (cfm, day) = stamps(zone, d.issued_at);
    let taxed = d.tax != 0;
    let ty = if taxed { "B" } else { "A" };
    let rate = if taxed && d.net != 0 { (d.tax as f64 * 100.0 / d.net as f64).round() } else { 0.0 };
    let items: Vec<Value> = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"itemSeq": i + 1, "itemCd": null, "itemClsCd": "8111190000", "itemNm": l.description,
                "pkgUnitCd": "NT", "pkg": 1, "qtyUnitCd": "U", "qty": l.quantity, "prc": dec(l.unit_price, digits),
                "splyAmt": dec(l.gross, digits), "dcRt": 0, "dcAmt": 0, "taxTyCd": ty,
                "taxblAmt": dec(l.net, digits), "taxAmt": dec(l.tax, digits), "totAmt": dec(l.gross, digits)})
        })
        .collect();
    let amt = |t: &str, v: i64| if t == ty { dec(v, digits) } else { 0.0 };
    json!({
        "tin": s.tin, "bhfId": s.branch,
        "trdInvcNo": d.number, "invcNo": d.id, "orgInvcNo": 0,
        "custTin": null, "custNm": null,
        "salesTyCd": "N", "rcptTyCd": "S", "pmtTyCd": "01", "salesSttsCd": "02",
        "cfmDt": cfm, "salesDt": day,
        "totItemCnt": items.len(),
        "taxblAmtA": amt("A", d.net), "taxblAmtB": amt("B", d.net), "taxblAmtC": 0, "taxblAmtD": 0, "taxblAmtE": 0,
        "taxRtA": 0, "taxRtB": rate, "taxRtC": 0, "taxRtD": 0, "taxRtE": 8,
        "taxAmtA": 0, "taxAmtB": amt("B", d.tax), "taxAmtC": 0, "taxAmtD": 0, "taxAmtE": 0,
        "totTaxblAmt": dec(d.net, digits), "totTaxAmt": dec(d.tax, digits), "totAmt": dec(d.gross, digits),
        "prchrAcptcYn": "N", "regrId": "lango", "regrNm": "lango", "modrId": "lango", "modrNm": "lango",
        "receipt": {"prchrAcptcYn": "N"},
        "itemList": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::Line;
    use crate::model::{DocKind, Sealed};

    #[test]
    fn a_taxed_receipt_is_type_b() {
        let d = Invoice {
            id: 42,
            tenant: 1,
            kind: DocKind::Receipt,
            number: "RCT-2026-000007".into(),
            customer: 3,
            service: Some(9),
            issued_at: 1_796_000_000,
            due_at: None,
            lines: vec![Line {
                description: "Home 10".into(),
                quantity: 1,
                unit_price: 200_000,
                net: 172_414,
                tax: 27_586,
                gross: 200_000,
            }],
            net: 172_414,
            tax: 27_586,
            gross: 200_000,
            tax_name: Some("VAT 16 %".into()),
            payment: None,
            paid_at: Some(1_796_000_000),
        };
        let s = EtimsSettings {
            url: "http://x".into(),
            tin: "P051234567X".into(),
            branch: "00".into(),
            serial: "S".into(),
            sdc_id: "KRACU1".into(),
            mrc_no: "M".into(),
            cmc_key: Sealed::default(),
        };
        let r = request(&d, &s, &crate::clock::Clock::zone("Africa/Nairobi"), 2);
        assert_eq!(r["invcNo"], 42);
        assert_eq!(r["trdInvcNo"], "RCT-2026-000007");
        assert_eq!(r["taxRtB"], 16.0);
        assert_eq!(r["taxblAmtB"], 1724.14);
        assert_eq!(r["taxAmtB"], 275.86);
        assert_eq!(r["totAmt"], 2000.0);
        assert_eq!(r["itemList"][0]["taxTyCd"], "B");
        assert_eq!(r["salesDt"].as_str().unwrap().len(), 8);
        assert_eq!(r["cfmDt"].as_str().unwrap().len(), 14);
    }
}
