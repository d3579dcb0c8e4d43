//! The payment engine: starts STK Pushes, takes Daraja's callbacks (STK and
//! C2B), confirms them with our own status query, and credits each payment
//! exactly once; the reconciler finishes every push whose callback never
//! came. Every callback body is stored before it is answered; a payment is
//! credited only in the store transaction that also records its M-Pesa
//! references, so duplicates, concurrency and restarts cannot double it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::model::*;
use crate::payments::mpesa::{self, Credentials, Daraja, DarajaError, Msisdn, ShortcodeKind, StkResult, StkStatus};
use crate::store::{Applied, IncomingPayment, Purpose, RawCallback, Store, StoreError};

/// An STK Push that pends longer than this without any answer is given up
/// as failed (M-Pesa prompts expire after about a minute).
const GIVE_UP_AFTER: i64 = 30 * 60;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("M-Pesa is not set up for this tenant (lango mpesa setup)")]
    NotConfigured,
    #[error("{0}")]
    Phone(#[from] mpesa::PhoneError),
    #[error(transparent)]
    Daraja(#[from] DarajaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl PayError {
    /// What the customer is told, in plain words.
    pub fn customer_message(&self) -> String {
        match self {
            PayError::NotConfigured => "Payments by M-Pesa are not available right now.".into(),
            PayError::Phone(e) => e.to_string(),
            PayError::Daraja(e) => e.customer_message().into(),
            PayError::Store(_) => "Something went wrong on our side. Please try again.".into(),
            PayError::Invalid(m) => m.clone(),
        }
    }
}

/// An HTTP answer for Daraja: status and JSON body.
pub type Answer = (u16, String);

fn ack_error(status: u16, desc: &str) -> Answer {
    (status, serde_json::json!({ "ResultCode": 1, "ResultDesc": desc }).to_string())
}

pub struct Engine {
    pub store: Arc<Store>,
    pub clock: Clock,
    pub daraja: Daraja,
    /// Base of our callback URLs, without a trailing slash.
    pub callback_base: String,
}

impl Engine {
    pub fn new(store: Arc<Store>, clock: Clock, callback_base: String) -> Result<Engine, PayError> {
        Ok(Engine { store, clock, daraja: Daraja::new()?, callback_base: callback_base.trim_end_matches('/').into() })
    }

    fn settings(&self, tenant: TenantId) -> Result<(Credentials, MpesaSettings), PayError> {
        let m = self.store.tenant_billing(tenant)?.mpesa.ok_or(PayError::NotConfigured)?;
        let open = |s: &Sealed| -> Result<String, PayError> {
            let bytes = self.store.secrets().open(Purpose::MpesaSecret, s).map_err(StoreError::from)?;
            String::from_utf8(bytes).map_err(|_| PayError::Invalid("stored M-Pesa secret is not text".into()))
        };
        let creds = Credentials {
            base_url: m.env.base_url().to_string(),
            consumer_key: m.consumer_key.clone(),
            consumer_secret: open(&m.consumer_secret)?,
            shortcode: m.shortcode.clone(),
            passkey: open(&m.passkey)?,
            kind: match &m.till {
                Some(till) => ShortcodeKind::BuyGoods { till: till.clone() },
                None => ShortcodeKind::Paybill,
            },
        };
        Ok((creds, m))
    }

    /// Ask the customer's phone for `amount` (minor units; M-Pesa takes
    /// whole shillings). A failure to reach Daraja is recorded as a failed
    /// request, never as a payment.
    pub async fn stk_push(
        &self,
        tenant: TenantId,
        customer: Id,
        purchase: Purchase,
        amount: i64,
        phone: &str,
        account_ref: &str,
    ) -> Result<StkRequest, PayError> {
        let msisdn = Msisdn::parse(phone)?;
        if amount <= 0 || amount % 100 != 0 {
            return Err(PayError::Invalid("M-Pesa takes whole shillings: the amount must be a whole number".into()));
        }
        let (creds, m) = self.settings(tenant)?;
        let now = self.clock.now();
        let req = mpesa::StkRequest {
            phone: msisdn.clone(),
            amount_major: (amount / 100) as u64,
            account_ref: account_ref.to_string(),
            description: "Internet".into(),
            callback_url: format!("{}/pay/{}/stk", self.callback_base, m.callback_token),
        };
        let mut record = StkRequest {
            tenant,
            checkout_id: String::new(),
            merchant_id: String::new(),
            customer,
            purchase,
            phone: msisdn.as_str().to_string(),
            amount,
            created_at: now,
            state: StkState::Pending,
            queries: 0,
            last_query_at: None,
        };
        match self.daraja.stk_push(&creds, &req, now).await {
            Ok(accepted) => {
                record.checkout_id = accepted.checkout_request_id;
                record.merchant_id = accepted.merchant_request_id;
                self.store.record_stk_request(&record)?;
                Ok(record)
            }
            Err(e) => {
                // Kept for the admin's view, keyed so it can never match a
                // callback; the customer sees the plain message.
                record.checkout_id = format!("failed-{now}-{}", crate::store::random_hex(6));
                record.state = StkState::Failed { code: -1, message: e.to_string() };
                self.store.record_stk_request(&record)?;
                self.store.update_stk(tenant, &record.checkout_id, Some(record.state.clone()), None)?;
                Err(e.into())
            }
        }
    }

    /// Fetch a fresh OAuth token with the tenant's stored credentials: the
    /// admin pages' "Test connection".
    pub async fn test_connection(&self, tenant: TenantId) -> Result<(), PayError> {
        let (creds, _) = self.settings(tenant)?;
        Ok(self.daraja.check_credentials(&creds, self.clock.now()).await?)
    }

    /// Register this tenant's C2B validation and confirmation URLs with
    /// Daraja (Paybill, or the Buy Goods store). Returns the URLs.
    pub async fn register_c2b(&self, tenant: TenantId) -> Result<(String, String), PayError> {
        let (creds, m) = self.settings(tenant)?;
        let base = format!("{}/pay/{}/c2b", self.callback_base, m.callback_token);
        let urls = mpesa::C2bUrls {
            confirmation_url: format!("{base}/confirmation"),
            validation_url: format!("{base}/validation"),
            // Validation unreachable: M-Pesa completes the payment; our
            // confirmation handler still records (or parks) it.
            response_type: mpesa::C2bResponseType::Completed,
        };
        self.daraja.register_c2b_urls(&creds, &urls, self.clock.now()).await?;
        Ok((urls.validation_url, urls.confirmation_url))
    }

    fn store_raw(&self, tenant: Option<TenantId>, kind: &str, remote: &str, body: &[u8]) -> Result<u64, StoreError> {
        let raw = RawCallback {
            tenant,
            kind: kind.into(),
            received_at: self.clock.now(),
            remote: remote.into(),
            body: body.to_vec(),
        };
        self.store.store_raw_callback(&raw)
    }

    /// POST /pay/{token}/stk. The body is stored first; a success is a
    /// hint that our own status query must confirm before money is credited.
    pub async fn on_stk_callback(&self, token: &str, remote: &str, body: &[u8]) -> Result<Answer, StoreError> {
        let tenant = self.store.tenant_by_mpesa_token(token)?;
        let raw = self.store_raw(tenant, "stk", remote, body)?;
        let Some(tenant) = tenant else {
            tracing::warn!(%remote, "M-Pesa callback with an unknown token");
            return Ok(ack_error(404, "unknown callback URL"));
        };
        let cb = match mpesa::parse_stk_callback(body) {
            Ok(cb) => cb,
            Err(e) => {
                tracing::warn!(%remote, raw, error = %e, "malformed STK callback stored, nothing credited");
                return Ok(ack_error(400, &e.to_string()));
            }
        };
        let Some(req) = self.store.stk_request(tenant, &cb.checkout_request_id)? else {
            tracing::warn!(%remote, raw, checkout = %cb.checkout_request_id, "STK callback for an unknown CheckoutRequestID");
            return Ok(ack_error(404, "unknown CheckoutRequestID"));
        };
        if matches!(req.state, StkState::Paid { .. }) {
            // A repeated callback for a payment already credited: no query.
            return Ok((200, mpesa::STK_CALLBACK_ACK.to_string()));
        }
        match cb.result {
            StkResult::Failed { code, description } => {
                let state = StkState::Failed { code, message: mpesa::result_message(code).into_owned() };
                tracing::info!(checkout = %req.checkout_id, code, %description, "STK Push failed");
                self.store.update_stk(tenant, &req.checkout_id, Some(state), None)?;
            }
            StkResult::Paid { amount_minor, receipt, .. } => {
                if amount_minor != req.amount {
                    let reason = format!("callback amount {amount_minor} differs from the {} asked", req.amount);
                    tracing::warn!(checkout = %req.checkout_id, %reason, "STK callback disputed, nothing credited");
                    if req.state == StkState::Pending {
                        self.store.update_stk(tenant, &req.checkout_id, Some(StkState::Disputed { reason }), None)?;
                    }
                    return Ok(ack_error(400, "amount does not match the request"));
                }
                self.confirm(&req, Some(receipt), Some(raw)).await?;
            }
        }
        Ok((200, mpesa::STK_CALLBACK_ACK.to_string()))
    }

    /// Ask Daraja about `req` and credit it if M-Pesa says it is paid.
    /// Returns whether it is settled (paid or failed).
    async fn confirm(&self, req: &StkRequest, receipt: Option<String>, raw: Option<u64>) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let status = match self.settings(req.tenant) {
            Ok((creds, _)) => self.daraja.stk_query(&creds, &req.checkout_id, now).await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot confirm STK payment");
                return Ok(false);
            }
        };
        match status {
            Ok(StkStatus::Completed) => {
                self.credit(req, receipt, raw)?;
                Ok(true)
            }
            Ok(StkStatus::Failed { code, .. }) => {
                let state = StkState::Failed { code, message: mpesa::result_message(code).into_owned() };
                self.store.update_stk(req.tenant, &req.checkout_id, Some(state), Some(now))?;
                Ok(true)
            }
            Ok(StkStatus::Pending) => {
                self.store.update_stk(req.tenant, &req.checkout_id, None, Some(now))?;
                Ok(false)
            }
            Err(e) => {
                tracing::warn!(checkout = %req.checkout_id, error = %e, "STK status query failed; the reconciler retries");
                self.store.update_stk(req.tenant, &req.checkout_id, None, Some(now))?;
                Ok(false)
            }
        }
    }

    fn credit(&self, req: &StkRequest, receipt: Option<String>, raw: Option<u64>) -> Result<(), StoreError> {
        let mut refs = vec![format!("stk:{}", req.checkout_id)];
        if let Some(r) = &receipt {
            refs.push(format!("mpesa:{r}"));
        }
        let applied = self.store.apply_payment(IncomingPayment {
            tenant: req.tenant,
            method: PaymentMethod::MpesaStk,
            refs,
            reference: receipt.unwrap_or_else(|| req.checkout_id.clone()),
            amount: req.amount,
            phone: Some(req.phone.clone()),
            account: None,
            customer: Some(req.customer),
            purchase: Some(req.purchase.clone()),
            raw,
            actor: "mpesa".into(),
            at: self.clock.now(),
        })?;
        let payment = match &applied {
            Applied::Credited { payment, renewed, receipt } => {
                tracing::info!(
                    checkout = %req.checkout_id,
                    amount = req.amount,
                    renewed = renewed.as_ref().map(|s| s.username.as_str()),
                    receipt = receipt.as_deref(),
                    "M-Pesa payment credited"
                );
                payment.id
            }
            Applied::Duplicate(id) | Applied::Unmatched(Payment { id, .. }) => *id,
            // A site's M-Pesa callback goes on to the hub, which credits it.
            Applied::Queued(seq) => {
                tracing::info!(checkout = %req.checkout_id, amount = req.amount, seq, "M-Pesa payment queued for the hub");
                return Ok(());
            }
        };
        self.store.update_stk(req.tenant, &req.checkout_id, Some(StkState::Paid { payment }), None)?;
        Ok(())
    }

    /// One reconciler pass: every STK Push still pending after `after`
    /// seconds is checked with Daraja's status query.
    pub async fn reconcile(&self, after: i64) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut settled = 0;
        for req in self.store.pending_stk()? {
            if now - req.created_at < after || req.last_query_at.is_some_and(|t| now - t < after / 2) {
                continue;
            }
            if self.confirm(&req, None, None).await? {
                settled += 1;
            } else if now - req.created_at > GIVE_UP_AFTER {
                let state = StkState::Failed { code: -2, message: "M-Pesa never confirmed this payment.".into() };
                self.store.update_stk(req.tenant, &req.checkout_id, Some(state), Some(now))?;
            }
        }
        Ok(settled)
    }

    /// POST /pay/{token}/c2b/validation: accept any well-formed payment
    /// (the money is the customer's decision; unmatched ones are parked).
    pub async fn on_c2b_validation(&self, token: &str, remote: &str, body: &[u8]) -> Result<Answer, StoreError> {
        let tenant = self.store.tenant_by_mpesa_token(token)?;
        self.store_raw(tenant, "c2b-validation", remote, body)?;
        if tenant.is_none() {
            return Ok(ack_error(404, "unknown callback URL"));
        }
        Ok(match mpesa::parse_c2b(body) {
            Ok(n) if n.amount_minor > 0 => (200, mpesa::VALIDATION_ACCEPT.to_string()),
            Ok(_) => (200, mpesa::validation_reject(mpesa::C2bRejectReason::InvalidAmount)),
            Err(_) => (400, mpesa::validation_reject(mpesa::C2bRejectReason::Other)),
        })
    }

    /// POST /pay/{token}/c2b/confirmation: the money has moved. Match the
    /// account reference to a service (or customer), else the phone number
    /// to a customer, else park it; idempotent by TransID.
    pub async fn on_c2b_confirmation(&self, token: &str, remote: &str, body: &[u8]) -> Result<Answer, StoreError> {
        let tenant = self.store.tenant_by_mpesa_token(token)?;
        let raw = self.store_raw(tenant, "c2b-confirmation", remote, body)?;
        let Some(tenant) = tenant else { return Ok(ack_error(404, "unknown callback URL")) };
        let n = match mpesa::parse_c2b(body) {
            Ok(n) => n,
            Err(e) => return Ok(ack_error(400, &e.to_string())),
        };
        let (customer, purchase) = self.match_c2b(tenant, &n)?;
        let applied = self.store.apply_payment(IncomingPayment {
            tenant,
            method: PaymentMethod::MpesaC2b,
            refs: vec![format!("mpesa:{}", n.trans_id)],
            reference: n.trans_id.clone(),
            amount: n.amount_minor,
            phone: Some(n.msisdn.clone()),
            account: Some(n.bill_ref.clone()).filter(|s| !s.is_empty()),
            customer,
            purchase,
            raw: Some(raw),
            actor: "mpesa".into(),
            at: self.clock.now(),
        })?;
        if let Applied::Unmatched(p) = &applied {
            let account = crate::model::mask::mask_phones_in(&n.bill_ref);
            tracing::warn!(payment = p.id, %account, "M-Pesa payment matches no customer: parked for an admin");
        }
        Ok((200, mpesa::CONFIRMATION_OK.to_string()))
    }

    fn match_c2b(&self, tenant: TenantId, n: &mpesa::C2bNotice) -> Result<(Option<Id>, Option<Purchase>), StoreError> {
        let account = n.bill_ref.trim();
        if !account.is_empty() {
            for candidate in [account.to_string(), account.to_lowercase(), account.to_uppercase()] {
                if let Ok(s) = self.store.service_by_username(tenant, &candidate) {
                    let plan = self.store.plan(tenant, s.plan).ok();
                    // Enough for the plan: renew it; otherwise a top-up.
                    let purchase = plan
                        .filter(|p| n.amount_minor >= p.price)
                        .map(|p| Purchase::Renew { service: s.id, plan: p.id });
                    return Ok((Some(s.customer), purchase.or(Some(Purchase::TopUp))));
                }
            }
        }
        let phone = Msisdn::parse(&n.msisdn).ok().map(|m| m.as_str().to_string());
        if let Some(p) = phone
            && let Some(c) = self.store.customer_by_phone(tenant, &p)?
        {
            return Ok((Some(c), Some(Purchase::TopUp)));
        }
        Ok((None, None))
    }
}
