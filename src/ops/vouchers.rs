//! Voucher batches as both `lango voucher` and the admin UI make them:
//! the batch's arguments, code generation and storage (charged to a
//! reseller's wallet in the same transaction), the printable cards, and
//! each voucher's state.

use clap::Args;

use super::time::{expiry, show_time, start_of};
use super::{FieldResult, OpError};
use crate::model::*;
use crate::payments::vouchers;
use crate::pdf;
use crate::store::{NewBatch, Store, StoreError};

/// A voucher batch to make (`lango voucher batch` and the admin UI's form).
#[derive(Args, Debug, Clone)]
pub struct BatchArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub plan: String,
    #[arg(long)]
    pub count: u32,
    #[arg(long, default_value = "")]
    pub prefix: String,
    #[arg(long, default_value_t = 8)]
    pub length: u8,
    /// Unused vouchers stop working after this (30d, or a date).
    #[arg(long)]
    pub valid_for: Option<String>,
    /// Let a voucher move between devices (default: bound to the first).
    #[arg(long)]
    pub no_bind_mac: bool,
    /// Charge the batch to this reseller customer's wallet.
    #[arg(long)]
    pub reseller: Option<Id>,
    /// Valid for one plan period from this date (2026-12-24, in the
    /// tenant's zone) instead of from first use.
    #[arg(long)]
    pub starts: Option<String>,
}

/// Where a voucher stands: unused, expired unused, in use until, or valid
/// from and to (fixed-date vouchers).
pub fn voucher_state(t: &Tenant, s: &Service) -> String {
    let from = s.voucher.and_then(|v| v.valid_from);
    match (s.status, s.expires_at, from) {
        (ServiceStatus::Disabled, None, _) => "expired unused".to_string(),
        (_, None, _) => "unused".to_string(),
        (_, Some(e), Some(f)) => {
            format!("valid {} to {}", show_time(t, Some(f), false), show_time(t, Some(e), false))
        }
        (_, Some(e), None) => format!("in use until {}", show_time(t, Some(e), false)),
    }
}

/// A batch just made, with how long its codes took.
pub struct MadeBatch {
    pub batch: VoucherBatch,
    pub plan: Plan,
    pub generated: std::time::Duration,
    pub stored: std::time::Duration,
}

/// Generate the codes of batch `a` and store it (charged to `a.reseller`'s
/// wallet, if any, in the same transaction). Errors name the field they
/// are about (`plan`, `count`, `prefix`, `length`, `valid_for`, `starts`).
pub fn make_batch(store: &Store, actor: &str, now: UnixTime, t: &Tenant, a: &BatchArgs) -> Result<MadeBatch, OpError> {
    let plan = match store.plan_by_name(t.id, &a.plan) {
        Err(e @ StoreError::NotFound(_)) => return Err(OpError::field("plan", e)),
        other => other?,
    };
    let spec = vouchers::CodeSpec { prefix: a.prefix.clone(), length: a.length, count: a.count };
    let valid_until = a.valid_for.as_deref().map(|v| expiry(t, now, v)).transpose().field("valid_for")?;
    let starts = a.starts.as_deref().map(|d| start_of(t, now, d)).transpose().field("starts")?;
    let rng = ring::rand::SystemRandom::new();
    let mut fill = |b: &mut [u8]| ring::rand::SecureRandom::fill(&rng, b).expect("OS random numbers");
    let existing =
        store.services(t.id)?.iter().filter(|s| s.voucher.is_some() && s.username.starts_with(&a.prefix)).count();
    let started = std::time::Instant::now();
    let codes =
        vouchers::generate(&spec, existing as u64, |c| store.username_taken(t.id, c).unwrap_or(true), &mut fill)
            .map_err(|e| {
                let field = match e {
                    vouchers::VoucherError::PrefixChars(_) | vouchers::VoucherError::PrefixLength(_) => "prefix",
                    vouchers::VoucherError::Count(_) => "count",
                    _ => "length",
                };
                OpError::field(field, e)
            })?;
    let generated = started.elapsed();
    let b = NewBatch {
        plan: plan.id,
        prefix: a.prefix.clone(),
        valid_until,
        bind_mac: !a.no_bind_mac,
        reseller: a.reseller,
        starts,
    };
    let batch = store.create_voucher_batch(actor, now, t.id, b, codes)?;
    Ok(MadeBatch { batch, plan, generated, stored: started.elapsed() - generated })
}

/// The printable cards of a batch; `login_url` is the hotspot login the QR
/// code opens (`{code}` replaced). Returns the cards and the document title.
pub fn batch_cards(
    store: &Store,
    t: &Tenant,
    b: &VoucherBatch,
    list: &[Service],
    login_url: &str,
) -> Result<(Vec<pdf::cards::CardView>, String), StoreError> {
    let plan = store.plan(t.id, b.plan)?;
    let validity = match plan.quota_bytes {
        Some(q) => format!("{}, {} MB", plan.validity, q / 1_000_000),
        None => plan.validity.to_string(),
    };
    let cards = list
        .iter()
        .map(|s| pdf::cards::CardView {
            code: s.username.clone(),
            plan: plan.name.clone(),
            price: pdf::format_money(plan.price, &t.currency),
            validity: validity.clone(),
            tenant: t.name.clone(),
            login_url: login_url.replace("{code}", &s.username),
            expires: b.valid_until.map(|u| format!("use by {}", show_time(t, Some(u), false))),
        })
        .collect();
    Ok((cards, format!("{} vouchers, batch {}", t.name, b.id)))
}

/// The hotspot login a voucher card's QR code opens by default.
pub const LOGIN_URL: &str = "http://hotspot.lan/login?username={code}&password={code}";

/// Disable batch `id`'s unused codes (`lango voucher disable`, the batch
/// page's button); how many.
pub fn disable_batch(
    store: &crate::store::Store,
    actor: &str,
    now: UnixTime,
    tenant: crate::model::TenantId,
    id: crate::model::Id,
) -> Result<usize, super::OpError> {
    match store.disable_voucher_batch(actor, now, tenant, id) {
        Err(e @ crate::store::StoreError::NotFound(_)) => Err(super::OpError::field("batch", e)),
        other => Ok(other?),
    }
}
