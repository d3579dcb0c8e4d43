//! Daraja's JSON shapes, spelled exactly as Safaricom publishes them (field names, and whether a
//! value is a JSON string or a number). Nothing here has behaviour; see `client.rs` and `callback.rs`.

use serde::{Deserialize, Serialize};

/// `GET /oauth/v1/generate` answer. `expires_in` is a string such as `"3599"`.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: String,
}

/// Body of `POST /mpesa/stkpush/v1/processrequest`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct StkPushBody {
    #[serde(rename = "BusinessShortCode")]
    pub business_short_code: String,
    #[serde(rename = "Password")]
    pub password: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    #[serde(rename = "TransactionType")]
    pub transaction_type: String,
    /// A JSON number, whole shillings.
    #[serde(rename = "Amount")]
    pub amount: u64,
    #[serde(rename = "PartyA")]
    pub party_a: String,
    #[serde(rename = "PartyB")]
    pub party_b: String,
    #[serde(rename = "PhoneNumber")]
    pub phone_number: String,
    #[serde(rename = "CallBackURL")]
    pub callback_url: String,
    #[serde(rename = "AccountReference")]
    pub account_reference: String,
    #[serde(rename = "TransactionDesc")]
    pub transaction_desc: String,
}

/// Success answer to an STK push (`ResponseCode` is a string).
#[derive(Debug, Deserialize)]
pub struct StkPushResponse {
    #[serde(rename = "MerchantRequestID")]
    pub merchant_request_id: String,
    #[serde(rename = "CheckoutRequestID")]
    pub checkout_request_id: String,
    #[serde(rename = "ResponseCode")]
    pub response_code: String,
    #[serde(rename = "ResponseDescription", default)]
    pub response_description: String,
    #[serde(rename = "CustomerMessage", default)]
    pub customer_message: String,
}

/// Body of `POST /mpesa/stkpushquery/v1/query`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct StkQueryBody {
    #[serde(rename = "BusinessShortCode")]
    pub business_short_code: String,
    #[serde(rename = "Password")]
    pub password: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    #[serde(rename = "CheckoutRequestID")]
    pub checkout_request_id: String,
}

/// Answer to an STK query. Unlike the callback, `ResultCode` is a STRING here, and there is no receipt.
#[derive(Debug, Deserialize)]
pub struct StkQueryResponse {
    #[serde(rename = "ResponseCode")]
    pub response_code: String,
    #[serde(rename = "ResponseDescription", default)]
    pub response_description: String,
    #[serde(rename = "ResultCode")]
    pub result_code: String,
    #[serde(rename = "ResultDesc", default)]
    pub result_desc: String,
}

/// Body of `POST /mpesa/c2b/v1/registerurl`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct C2bRegisterBody {
    #[serde(rename = "ShortCode")]
    pub short_code: String,
    /// `"Completed"` or `"Cancelled"`: what M-Pesa does when our validation URL cannot be reached.
    #[serde(rename = "ResponseType")]
    pub response_type: String,
    #[serde(rename = "ConfirmationURL")]
    pub confirmation_url: String,
    #[serde(rename = "ValidationURL")]
    pub validation_url: String,
}

/// Body of `POST /mpesa/c2b/v1/simulate` (sandbox only). `ShortCode`, `Amount` and `Msisdn` are numbers.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct C2bSimulateBody {
    #[serde(rename = "ShortCode")]
    pub short_code: u64,
    #[serde(rename = "CommandID")]
    pub command_id: String,
    #[serde(rename = "Amount")]
    pub amount: u64,
    #[serde(rename = "Msisdn")]
    pub msisdn: u64,
    #[serde(rename = "BillRefNumber")]
    pub bill_ref_number: String,
}

/// Answer to C2B register and simulate. `OriginatorCoversationID` is Safaricom's spelling.
#[derive(Debug, Deserialize)]
pub struct C2bResponse {
    #[serde(rename = "OriginatorCoversationID", default)]
    pub originator_conversation_id: String,
    #[serde(rename = "ResponseCode")]
    pub response_code: String,
    #[serde(rename = "ResponseDescription", default)]
    pub response_description: String,
}

/// Daraja's error envelope, e.g. `{"requestId":"..","errorCode":"400.002.02","errorMessage":".."}`.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    #[serde(rename = "requestId", default)]
    pub request_id: String,
    #[serde(rename = "errorCode")]
    pub error_code: String,
    #[serde(rename = "errorMessage", default)]
    pub error_message: String,
}

/// The C2B validation/confirmation notification Daraja POSTs to us. Every value is a string.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct C2bNotification {
    #[serde(rename = "TransactionType")]
    pub transaction_type: String,
    #[serde(rename = "TransID")]
    pub trans_id: String,
    #[serde(rename = "TransTime")]
    pub trans_time: String,
    #[serde(rename = "TransAmount")]
    pub trans_amount: String,
    #[serde(rename = "BusinessShortCode")]
    pub business_short_code: String,
    #[serde(rename = "BillRefNumber", default)]
    pub bill_ref_number: String,
    #[serde(rename = "InvoiceNumber", default)]
    pub invoice_number: String,
    #[serde(rename = "OrgAccountBalance", default)]
    pub org_account_balance: String,
    #[serde(rename = "ThirdPartyTransID", default)]
    pub third_party_trans_id: String,
    #[serde(rename = "MSISDN")]
    pub msisdn: String,
    #[serde(rename = "FirstName", default)]
    pub first_name: String,
    #[serde(rename = "MiddleName", default)]
    pub middle_name: String,
    #[serde(rename = "LastName", default)]
    pub last_name: String,
}
