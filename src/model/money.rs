//! Money records: payments, wallet ledger entries, STK requests, invoices,
//! voucher batches and per-tenant billing settings. Amounts are integer
//! minor units of the tenant's currency; times are UTC seconds.

use serde::{Deserialize, Serialize};

use super::{Id, Sealed, TenantId, UnixTime};

/// How money arrived (or left).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// Lipa na M-Pesa Online (STK Push) that we started.
    MpesaStk,
    /// Customer-initiated Paybill or Buy Goods (C2B).
    MpesaC2b,
    Cash,
    /// Entered by an admin (bank transfer, correction).
    Manual,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MpesaStk => "mpesa-stk",
            Self::MpesaC2b => "mpesa-c2b",
            Self::Cash => "cash",
            Self::Manual => "manual",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// Credited to `customer`'s wallet.
    Credited,
    /// Money received that matches no customer: waits for an admin.
    Unmatched,
}

/// Money received. Unique per provider reference (receipt, TransID).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Id,
    pub tenant: TenantId,
    pub customer: Option<Id>,
    pub amount: i64,
    pub method: PaymentMethod,
    /// M-Pesa receipt / TransID / CheckoutRequestID, or the admin's note.
    pub reference: String,
    pub phone: Option<String>,
    /// The account reference the payer typed (C2B), or the service paid for.
    pub account: Option<String>,
    pub received_at: UnixTime,
    pub status: PaymentStatus,
    /// Sequence of the stored raw callback this payment came from.
    pub raw: Option<u64>,
}

/// One wallet ledger entry, as the billing rules define it; the balance is
/// the sum of `amount`s.
pub type LedgerEntry = crate::billing::Entry;

/// What an STK Push pays for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purchase {
    /// Renew (or change to) `plan` on `service`.
    Renew { service: Id, plan: Id },
    /// Credit the wallet only.
    TopUp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StkState {
    Pending,
    Paid {
        payment: Id,
    },
    Failed {
        code: i64,
        message: String,
    },
    /// The callback reported success but something did not match (amount,
    /// or our own status query disagreed): nothing credited, shown to admins.
    Disputed {
        reason: String,
    },
}

/// An STK Push we sent, keyed by CheckoutRequestID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StkRequest {
    pub tenant: TenantId,
    pub checkout_id: String,
    pub merchant_id: String,
    pub customer: Id,
    pub purchase: Purchase,
    pub phone: String,
    pub amount: i64,
    pub created_at: UnixTime,
    pub state: StkState,
    pub queries: u32,
    pub last_query_at: Option<UnixTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocKind {
    Invoice,
    Receipt,
}

/// An invoice or receipt; numbers are sequential per tenant and year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: Id,
    pub tenant: TenantId,
    pub kind: DocKind,
    pub number: String,
    pub customer: Id,
    pub service: Option<Id>,
    pub issued_at: UnixTime,
    pub due_at: Option<UnixTime>,
    pub lines: Vec<crate::billing::Line>,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub tax_name: Option<String>,
    pub payment: Option<Id>,
    pub paid_at: Option<UnixTime>,
}

/// A batch of vouchers generated together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherBatch {
    pub id: Id,
    pub tenant: TenantId,
    pub plan: Id,
    pub prefix: String,
    pub count: u32,
    pub created_at: UnixTime,
    pub created_by: String,
    /// Unused vouchers stop working after this.
    pub valid_until: Option<UnixTime>,
    /// The customer (reseller) whose wallet paid for the batch.
    pub reseller: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MpesaEnv {
    Sandbox,
    Production,
    /// Another base URL (tests, proxies).
    Custom(String),
}

impl MpesaEnv {
    pub fn base_url(&self) -> &str {
        match self {
            Self::Sandbox => "https://sandbox.safaricom.co.ke",
            Self::Production => "https://api.safaricom.co.ke",
            Self::Custom(u) => u,
        }
    }
}

/// A tenant's Daraja credentials; secrets sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpesaSettings {
    pub env: MpesaEnv,
    pub consumer_key: String,
    pub consumer_secret: Sealed,
    pub shortcode: String,
    pub passkey: Sealed,
    /// Buy Goods till number; None = Paybill.
    pub till: Option<String>,
    /// Unguessable path segment of this tenant's callback URLs.
    pub callback_token: String,
}

/// Per-tenant billing settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantBilling {
    pub tax: Option<crate::billing::TaxRule>,
    pub invoice_prefix: String,
    pub mpesa: Option<MpesaSettings>,
    /// Printed on invoices and receipts.
    pub address: Vec<String>,
    pub tax_pin: Option<String>,
}

/// A Kenyan mobile number in the one form M-Pesa uses (2547XXXXXXXX or
/// 2541XXXXXXXX), or None.
pub fn msisdn(input: &str) -> Option<String> {
    crate::payments::mpesa::Msisdn::parse(input).ok().map(|m| m.as_str().to_string())
}
