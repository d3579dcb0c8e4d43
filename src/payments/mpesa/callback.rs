//! Parsing what Daraja POSTs to us (STK callbacks, C2B validation/confirmation) and the JSON we answer with.
//!
//! Money is never routed through `f64`. Scalar values are read as `serde_json::value::RawValue`
//! (serde_json's `raw_value` feature), so `1500.5` is seen as the text `"1500.5"` and turned into
//! 150050 cents by exact decimal arithmetic. `arbitrary_precision` was not used because it changes
//! `serde_json::Number` for the whole program. Every error names the field that was wrong.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A parsed STK push callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkCallback {
    pub merchant_request_id: String,
    pub checkout_request_id: String,
    pub result: StkResult,
}

/// What the customer's phone did with the STK prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StkResult {
    Paid {
        /// Amount × 100, exact.
        amount_minor: i64,
        receipt: String,
        /// As sent; newer Daraja versions may mask or hash it, so it is not an [`super::Msisdn`].
        phone: Option<String>,
        /// `YYYYMMDDHHmmss` Nairobi time as a number, e.g. 20191219102115.
        transaction_date: Option<u64>,
    },
    Failed {
        code: i64,
        description: String,
    },
}

/// How a C2B payment was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum C2bKind {
    PayBill,
    BuyGoods,
    /// A `TransactionType` we do not know; kept so a real payment is never dropped.
    Other(String),
}

/// A parsed C2B validation or confirmation notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2bNotice {
    pub trans_id: String,
    /// `YYYYMMDDHHmmss` Nairobi time.
    pub trans_time: String,
    pub amount_minor: i64,
    pub shortcode: String,
    /// The account number the customer typed; often empty for Buy Goods.
    pub bill_ref: String,
    /// As sent (may be masked or hashed by Safaricom).
    pub msisdn: String,
    pub first_name: String,
    pub kind: C2bKind,
}

/// Why a callback body could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("callback body is not valid JSON: {0}")]
    Json(String),
    #[error("callback is missing `{0}`")]
    Missing(&'static str),
    #[error("callback field `{field}` {problem}")]
    Invalid { field: &'static str, problem: String },
}

/// Why we refuse a C2B payment at validation time; each maps to Safaricom's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C2bRejectReason {
    InvalidMsisdn,
    InvalidAccount,
    InvalidAmount,
    Other,
}

impl C2bRejectReason {
    pub fn code(self) -> &'static str {
        match self {
            C2bRejectReason::InvalidMsisdn => "C2B00011",
            C2bRejectReason::InvalidAccount => "C2B00012",
            C2bRejectReason::InvalidAmount => "C2B00013",
            C2bRejectReason::Other => "C2B00016",
        }
    }
}

/// Answer to a C2B validation request that accepts the payment.
pub const VALIDATION_ACCEPT: &str = r#"{"ResultCode":"0","ResultDesc":"Accepted"}"#;
/// Answer to a C2B confirmation (`ResultCode` is a number here).
pub const CONFIRMATION_OK: &str = r#"{"ResultCode":0,"ResultDesc":"Success"}"#;
/// Answer to an STK callback; Daraja ignores the body but expects HTTP 200.
pub const STK_CALLBACK_ACK: &str = r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#;

/// Answer to a C2B validation request that refuses the payment.
pub fn validation_reject(reason: C2bRejectReason) -> String {
    format!(r#"{{"ResultCode":"{}","ResultDesc":"Rejected"}}"#, reason.code())
}

type Raw = Option<Box<RawValue>>;

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Body")]
    body: Option<EnvelopeBody>,
}

#[derive(Deserialize)]
struct EnvelopeBody {
    #[serde(rename = "stkCallback")]
    stk_callback: Option<BTreeMap<String, Box<RawValue>>>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "Item")]
    item: Option<Vec<MetaItem>>,
}

#[derive(Deserialize)]
struct MetaItem {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: Raw,
}

/// Parse the JSON Daraja POSTs to the STK `CallBackURL`.
pub fn parse_stk_callback(body: &[u8]) -> Result<StkCallback, CallbackError> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| CallbackError::Json(e.to_string()))?;
    let mut cb = env
        .body
        .ok_or(CallbackError::Missing("Body"))?
        .stk_callback
        .ok_or(CallbackError::Missing("Body.stkCallback"))?;
    let mut take = |name: &str| cb.remove(name);
    let merchant_request_id = req_string("MerchantRequestID", take("MerchantRequestID"))?;
    let checkout_request_id = req_string("CheckoutRequestID", take("CheckoutRequestID"))?;
    let code_raw = take("ResultCode").ok_or(CallbackError::Missing("ResultCode"))?;
    let code = int_value("ResultCode", &code_raw)?;
    let description = opt_string("ResultDesc", take("ResultDesc"))?.unwrap_or_default();
    let metadata = take("CallbackMetadata");
    if code != 0 {
        let result = StkResult::Failed { code, description };
        return Ok(StkCallback { merchant_request_id, checkout_request_id, result });
    }
    let metadata = metadata.filter(|m| m.get() != "null").ok_or(CallbackError::Missing("CallbackMetadata"))?;
    let metadata: Metadata = serde_json::from_str(metadata.get())
        .map_err(|e| CallbackError::Invalid { field: "CallbackMetadata", problem: e.to_string() })?;
    let items = metadata.item.ok_or(CallbackError::Missing("CallbackMetadata.Item"))?;
    let find = |name: &str| items.iter().find(|i| i.name == name).and_then(|i| i.value.as_deref());
    let amount = find("Amount").ok_or(CallbackError::Missing("CallbackMetadata.Item[Amount]"))?;
    let amount_minor = amount_value("CallbackMetadata.Item[Amount]", amount)?;
    let receipt =
        find("MpesaReceiptNumber").ok_or(CallbackError::Missing("CallbackMetadata.Item[MpesaReceiptNumber]"))?;
    let receipt = string_value("CallbackMetadata.Item[MpesaReceiptNumber]", receipt)?;
    if receipt.is_empty() {
        return Err(CallbackError::Invalid {
            field: "CallbackMetadata.Item[MpesaReceiptNumber]",
            problem: "is empty".into(),
        });
    }
    let phone = find("PhoneNumber").map(|v| scalar_text("CallbackMetadata.Item[PhoneNumber]", v)).transpose()?;
    let transaction_date = find("TransactionDate")
        .map(|v| {
            let text = scalar_text("CallbackMetadata.Item[TransactionDate]", v)?;
            text.parse::<u64>().map_err(|_| CallbackError::Invalid {
                field: "CallbackMetadata.Item[TransactionDate]",
                problem: format!("is not YYYYMMDDHHmmss digits: {text}"),
            })
        })
        .transpose()?;
    let result = StkResult::Paid { amount_minor, receipt, phone, transaction_date };
    Ok(StkCallback { merchant_request_id, checkout_request_id, result })
}

/// Parse a C2B validation or confirmation notification (same shape for both).
pub fn parse_c2b(body: &[u8]) -> Result<C2bNotice, CallbackError> {
    let mut map: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| CallbackError::Json(e.to_string()))?;
    let mut take = |name: &str| map.remove(name);
    let kind = match req_string("TransactionType", take("TransactionType"))?.as_str() {
        "Pay Bill" | "CustomerPayBillOnline" => C2bKind::PayBill,
        "Buy Goods" | "CustomerBuyGoodsOnline" => C2bKind::BuyGoods,
        other => C2bKind::Other(other.to_string()),
    };
    let trans_id = req_string("TransID", take("TransID"))?;
    if trans_id.is_empty() {
        return Err(CallbackError::Invalid { field: "TransID", problem: "is empty".into() });
    }
    let trans_time = req_string("TransTime", take("TransTime"))?;
    let amount = take("TransAmount").ok_or(CallbackError::Missing("TransAmount"))?;
    let amount_minor = amount_value("TransAmount", &amount)?;
    let shortcode = match take("BusinessShortCode") {
        Some(v) => scalar_text("BusinessShortCode", &v)?,
        None => return Err(CallbackError::Missing("BusinessShortCode")),
    };
    let bill_ref = opt_string("BillRefNumber", take("BillRefNumber"))?.unwrap_or_default().trim().to_string();
    let msisdn = match take("MSISDN") {
        Some(v) => scalar_text("MSISDN", &v)?,
        None => return Err(CallbackError::Missing("MSISDN")),
    };
    let first_name = opt_string("FirstName", take("FirstName"))?.unwrap_or_default();
    Ok(C2bNotice { trans_id, trans_time, amount_minor, shortcode, bill_ref, msisdn, first_name, kind })
}

fn req_string(field: &'static str, raw: Raw) -> Result<String, CallbackError> {
    opt_string(field, raw)?.ok_or(CallbackError::Missing(field))
}

fn opt_string(field: &'static str, raw: Raw) -> Result<Option<String>, CallbackError> {
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => string_value(field, &r).map(Some),
    }
}

fn string_value(field: &'static str, raw: &RawValue) -> Result<String, CallbackError> {
    serde_json::from_str::<String>(raw.get())
        .map_err(|_| CallbackError::Invalid { field, problem: format!("should be a string, got {}", clip(raw.get())) })
}

/// A string, or a number's exact text (phone numbers and short codes come either way).
fn scalar_text(field: &'static str, raw: &RawValue) -> Result<String, CallbackError> {
    let text = raw.get();
    if text.starts_with('"') {
        string_value(field, raw)
    } else if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        Ok(text.to_string())
    } else {
        Err(CallbackError::Invalid { field, problem: format!("should be a string or number, got {}", clip(text)) })
    }
}

fn int_value(field: &'static str, raw: &RawValue) -> Result<i64, CallbackError> {
    let text = scalar_text(field, raw)?;
    text.trim().parse::<i64>().map_err(|_| CallbackError::Invalid {
        field,
        problem: format!("should be a whole number, got {}", clip(&text)),
    })
}

fn amount_value(field: &'static str, raw: &RawValue) -> Result<i64, CallbackError> {
    let text = scalar_text(field, raw)?;
    decimal_to_minor(text.trim())
        .map_err(|why| CallbackError::Invalid { field, problem: format!("{why}: {}", clip(&text)) })
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Exact decimal text (JSON number grammar, e.g. `1`, `1.00`, `1500.5`, `1.5e3`) → amount × 100.
pub fn decimal_to_minor(text: &str) -> Result<i64, &'static str> {
    if text.starts_with('-') {
        return Err("is negative");
    }
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().map_err(|_| "is not a number")?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || (mantissa.contains('.') && frac.is_empty()) {
        return Err("is not a number");
    }
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    // value = digits × 10^(exp - frac.len()); minor = value × 100
    let shift = i64::from(exp) - frac.len() as i64 + 2;
    let (keep, drop) = if shift >= 0 {
        (digits, "")
    } else {
        let cut = digits.len().saturating_sub(shift.unsigned_abs() as usize);
        digits.split_at(cut)
    };
    if !drop.bytes().all(|b| b == b'0') {
        return Err("has fractions of a cent");
    }
    if keep.is_empty() {
        return Ok(0);
    }
    if keep.len() as i64 + shift.max(0) > 18 {
        return Err("is too large");
    }
    let base: i64 = keep.parse().map_err(|_| "is too large")?;
    base.checked_mul(10i64.pow(shift.max(0) as u32)).ok_or("is too large")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        let ok = [
            ("1", 100),
            ("1.00", 100),
            ("1500.5", 150050),
            ("0.01", 1),
            ("10.10", 1010),
            ("1e2", 10000),
            ("1.5E3", 150000),
            ("250E-2", 250),
            ("0", 0),
            ("007", 700),
            ("1.000000", 100),
        ];
        for (text, want) in ok {
            assert_eq!(decimal_to_minor(text), Ok(want), "{text}");
        }
        for bad in ["", "-1", "1.005", "abc", "1.", ".5", "1e", "99999999999999999999", "1e30", "1,00"] {
            assert!(decimal_to_minor(bad).is_err(), "{bad}");
        }
    }
}
