//! Billing commands: M-Pesa setup and STK Push, wallets, payments,
//! voucher batches and their cards, invoices and receipts. Commands that
//! talk to Daraja need a running `lango serve` (they reach it over the
//! control socket).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::io::Write;

use super::Ctx;
use crate::billing::TaxRule;
use crate::model::units::parse_money;
use crate::model::*;
use crate::ops::money::{doc_view, record_payment};
use crate::ops::time::show_time;
use crate::ops::vouchers::{BatchArgs, LOGIN_URL, batch_cards, make_batch, voucher_state};
use crate::pdf;

#[derive(Subcommand, Debug)]
pub enum MpesaCmd {
    /// Store a tenant's Daraja credentials (secrets are encrypted at rest)
    /// and print the callback URLs to register.
    Setup(MpesaSetup),
    /// Show a tenant's M-Pesa settings and callback URLs (no secrets).
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Register the C2B (Paybill / Buy Goods) validation and confirmation
    /// URLs with Daraja. Needs a running `lango serve`.
    RegisterC2b {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Args, Debug)]
pub struct MpesaSetup {
    #[arg(long)]
    pub tenant: String,
    /// sandbox, production, or a base URL (a proxy or simulator).
    #[arg(long, default_value = "sandbox")]
    pub env: String,
    #[arg(long)]
    pub consumer_key: String,
    /// The environment variable holding the consumer secret.
    #[arg(long)]
    pub consumer_secret_env: String,
    /// Paybill number, or the Buy Goods store number.
    #[arg(long)]
    pub shortcode: String,
    /// The environment variable holding the Lipa na M-Pesa passkey.
    #[arg(long)]
    pub passkey_env: String,
    /// Buy Goods till number (omit for a Paybill).
    #[arg(long)]
    pub till: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum PayCmd {
    /// Send an STK Push to the customer's phone to renew a service (with its
    /// plan, or --plan to change plan) or to top up the wallet.
    Stk {
        #[arg(long)]
        tenant: String,
        /// Service username to renew.
        #[arg(long)]
        service: String,
        #[arg(long)]
        plan: Option<String>,
        #[arg(long)]
        phone: String,
        /// Top up the wallet by this amount instead of renewing.
        #[arg(long)]
        topup: Option<String>,
    },
    /// State of an STK Push by CheckoutRequestID.
    Status {
        #[arg(long)]
        tenant: String,
        checkout: String,
    },
    /// Payments received (or only the unmatched ones).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        unmatched: bool,
    },
    /// Give an unmatched payment to a customer.
    Assign {
        #[arg(long)]
        tenant: String,
        payment: Id,
        #[arg(long)]
        customer: Id,
    },
}

#[derive(Subcommand, Debug)]
pub enum WalletCmd {
    /// Balance and ledger.
    Show {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        customer: Id,
    },
    /// Post an entry: payment (cash top-up), credit, refund, charge or
    /// adjustment (signed amount).
    Post {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        customer: Id,
        /// payment, credit, refund, charge, adjustment
        #[arg(long)]
        kind: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Renew a service (or change its plan, with the unused part of the old
    /// plan credited) from the wallet.
    Renew {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        service: String,
        #[arg(long)]
        plan: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum VoucherCmd {
    /// Generate a batch: codes from an alphabet without look-alikes.
    Batch(BatchArgs),
    /// List a batch's codes and states.
    List {
        #[arg(long)]
        tenant: String,
        batch: Id,
    },
    /// Disable a batch: its unused codes stop working.
    Disable {
        #[arg(long)]
        tenant: String,
        batch: Id,
    },
    /// Printable cards: a PDF (--pdf FILE) or an HTML page (--html FILE).
    Print {
        #[arg(long)]
        tenant: String,
        batch: Id,
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
        #[arg(long)]
        html: Option<std::path::PathBuf>,
        /// Hotspot login URL the QR code opens; `{code}` is replaced.
        #[arg(long, default_value = LOGIN_URL)]
        login_url: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InvoiceCmd {
    /// Invoices and receipts.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Write one as PDF (--pdf FILE) or printable HTML (--html FILE).
    Print {
        #[arg(long)]
        tenant: String,
        number: String,
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
        #[arg(long)]
        html: Option<std::path::PathBuf>,
    },
    /// Tax and numbering for a tenant's invoices.
    Settings {
        #[arg(long)]
        tenant: String,
        /// VAT in percent, e.g. 16; 0 removes tax lines.
        #[arg(long)]
        vat: Option<String>,
        /// Prices include the tax.
        #[arg(long)]
        inclusive: bool,
        #[arg(long)]
        prefix: Option<String>,
        #[arg(long)]
        tax_pin: Option<String>,
    },
}

pub fn mpesa(ctx: &Ctx<'_>, actor: &str, cmd: MpesaCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let store = ctx.store;
    match cmd {
        MpesaCmd::Setup(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let spec = crate::ops::mpesa::MpesaSpec {
                env: a.env.clone(),
                consumer_key: a.consumer_key.clone(),
                consumer_secret: super::secret_var(ctx, &a.consumer_secret_env, "--consumer-secret-env")?,
                shortcode: a.shortcode.clone(),
                passkey: super::secret_var(ctx, &a.passkey_env, "--passkey-env")?,
                till: a.till.clone().unwrap_or_default(),
            };
            if let Err(problems) = crate::ops::mpesa::save(store, actor, ctx.clock.now(), t.id, &spec) {
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                bail!("{}", all.join("; "));
            }
            writeln!(out, "M-Pesa set up for {}", t.slug)?;
            show_mpesa(ctx, t.id, out)
        }
        MpesaCmd::Show { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            show_mpesa(ctx, t.id, out)
        }
        MpesaCmd::RegisterC2b { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            let (engine, handle) = live(ctx)?;
            match handle.block_on(engine.register_c2b(t.id)) {
                Ok((validation, confirmation)) => {
                    writeln!(out, "C2B URLs registered:\n  validation   {validation}\n  confirmation {confirmation}")?;
                    Ok(())
                }
                Err(e) => bail!("{e}"),
            }
        }
    }
}

fn show_mpesa(ctx: &Ctx<'_>, tenant: TenantId, out: &mut impl Write) -> anyhow::Result<()> {
    let b = ctx.store.tenant_billing(tenant)?;
    let Some(m) = b.mpesa else {
        writeln!(out, "M-Pesa is not set up (lango mpesa setup)")?;
        return Ok(());
    };
    let base = ctx.payments.map_or("<http.public_url>", |p| p.callback_base.as_str());
    writeln!(out, "environment   {}", m.env.base_url())?;
    writeln!(
        out,
        "shortcode     {}{}",
        m.shortcode,
        m.till.as_deref().map(|t| format!(" (till {t})")).unwrap_or_default()
    )?;
    writeln!(out, "STK callback  {base}/pay/{}/stk", m.callback_token)?;
    writeln!(out, "C2B validate  {base}/pay/{}/c2b/validation", m.callback_token)?;
    writeln!(out, "C2B confirm   {base}/pay/{}/c2b/confirmation", m.callback_token)?;
    Ok(())
}

/// The payment engine and the runtime to drive it: only inside `lango serve`
/// (commands reach it over the control socket), which also receives the
/// callbacks.
fn live<'a>(ctx: &Ctx<'a>) -> anyhow::Result<(&'a crate::payments::engine::Engine, tokio::runtime::Handle)> {
    let engine = ctx.payments.context("this command needs a running `lango serve` (it receives M-Pesa's callbacks)")?;
    let handle = tokio::runtime::Handle::try_current().context("this command must run inside `lango serve`")?;
    Ok((engine, handle))
}

pub fn pay(ctx: &Ctx<'_>, actor: &str, cmd: PayCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let store = ctx.store;
    match cmd {
        PayCmd::Stk { tenant, service, plan, phone, topup } => {
            let (engine, handle) = live(ctx)?;
            let t = store.tenant_by_slug(&tenant)?;
            let s = store.service_by_username(t.id, &service)?;
            let (purchase, amount) = match (topup, plan) {
                (Some(_), Some(_)) => bail!("use either --topup or --plan"),
                (Some(a), None) => (Purchase::TopUp, parse_money(&a).context("--topup")?),
                (None, plan) => {
                    let p = match plan {
                        Some(name) => store.plan_by_name(t.id, &name)?,
                        None => store.plan(t.id, s.plan)?,
                    };
                    (Purchase::Renew { service: s.id, plan: p.id }, p.price)
                }
            };
            let r = handle.block_on(engine.stk_push(t.id, s.customer, purchase, amount, &phone, &s.username));
            match r {
                Ok(req) => {
                    writeln!(out, "STK Push sent to {} for {}", req.phone, pdf::format_money(amount, &t.currency))?;
                    writeln!(out, "checkout {}", req.checkout_id)?;
                }
                Err(e) => bail!("{} ({e})", e.customer_message()),
            }
        }
        PayCmd::Status { tenant, checkout } => {
            let t = store.tenant_by_slug(&tenant)?;
            let r = store.stk_request(t.id, &checkout)?.context("no such CheckoutRequestID")?;
            let state = match &r.state {
                StkState::Pending => "pending".to_string(),
                StkState::Paid { payment } => format!("paid (payment {payment})"),
                StkState::Failed { message, .. } => format!("failed: {message}"),
                StkState::Disputed { reason } => format!("disputed: {reason}"),
            };
            writeln!(out, "{state}")?;
        }
        PayCmd::List { tenant, unmatched } => {
            let t = store.tenant_by_slug(&tenant)?;
            let list = if unmatched { store.unmatched_payments(t.id)? } else { store.payments(t.id)? };
            for p in list {
                writeln!(
                    out,
                    "{:<6} {:<10} {:>14} {:<12} {:<10} customer={}",
                    p.id,
                    p.method.as_str(),
                    pdf::format_money(p.amount, &t.currency),
                    p.reference,
                    if p.status == PaymentStatus::Unmatched { "unmatched" } else { "credited" },
                    p.customer.map_or("-".into(), |c| c.to_string()),
                )?;
            }
        }
        PayCmd::Assign { tenant, payment, customer } => {
            let t = store.tenant_by_slug(&tenant)?;
            let p = store.assign_payment(actor, ctx.clock.now(), t.id, payment, customer)?;
            writeln!(out, "payment {} credited to customer {customer}", p.id)?;
        }
    }
    Ok(())
}

pub fn wallet(ctx: &Ctx<'_>, actor: &str, cmd: WalletCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    match cmd {
        WalletCmd::Show { tenant, customer } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "balance {}", pdf::format_money(store.balance(t.id, customer)?, &t.currency))?;
            for e in store.ledger(t.id, customer)? {
                writeln!(
                    out,
                    "{:<10} {:>14} {}",
                    format!("{:?}", e.kind),
                    pdf::format_money(e.amount, &t.currency),
                    e.reason
                )?;
            }
        }
        WalletCmd::Post { tenant, customer, kind, amount, reason } => {
            let t = store.tenant_by_slug(&tenant)?;
            let balance = match kind.as_str() {
                "payment" => {
                    let magnitude = parse_money(amount.trim()).context("--amount")?;
                    // Money received (cash, bank): a payment with its receipt.
                    let (cash, refs) = (PaymentMethod::Cash, vec![]);
                    let applied = record_payment(store, actor, now, t.id, customer, cash, magnitude, reason, refs)?;
                    match applied {
                        crate::store::Applied::Credited { receipt: Some(r), .. } => writeln!(out, "receipt {r}")?,
                        crate::store::Applied::Queued(seq) => {
                            writeln!(out, "queued for the hub (change {seq}): the hub credits the wallet once")?;
                            return Ok(());
                        }
                        _ => {}
                    }
                    writeln!(out, "balance {}", pdf::format_money(store.balance(t.id, customer)?, &t.currency))?;
                    return Ok(());
                }
                other => crate::ops::money::wallet_entry(store, actor, now, t.id, customer, other, &amount, &reason)
                    .map_err(|problems| {
                        anyhow::anyhow!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
                    })?,
            };
            writeln!(out, "balance {}", pdf::format_money(balance, &t.currency))?;
        }
        WalletCmd::Renew { tenant, service, plan } => {
            let t = store.tenant_by_slug(&tenant)?;
            let s = store.service_by_username(t.id, &service)?;
            let plan = plan.map(|p| store.plan_by_name(t.id, &p)).transpose()?.map(|p| p.id);
            match store.renew_service_from_wallet(actor, now, t.id, s.id, plan)? {
                Some((s, doc)) => writeln!(
                    out,
                    "{} renewed until {}; receipt {} for {}",
                    s.username,
                    show_time(&t, s.expires_at, false),
                    doc.number,
                    pdf::format_money(doc.gross, &t.currency)
                )?,
                None => bail!("the wallet does not cover the price"),
            }
        }
    }
    Ok(())
}

pub fn voucher(ctx: &Ctx<'_>, actor: &str, cmd: VoucherCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    match cmd {
        VoucherCmd::Batch(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let made = make_batch(store, actor, now, &t, &a)?;
            writeln!(
                out,
                "batch {}: {} vouchers of {} (codes generated in {} ms, stored in {} ms)",
                made.batch.id,
                made.batch.count,
                made.plan.name,
                made.generated.as_millis(),
                made.stored.as_millis()
            )?;
        }
        VoucherCmd::List { tenant, batch } => {
            let t = store.tenant_by_slug(&tenant)?;
            let (_, list) = store.voucher_batch(t.id, batch)?;
            for s in list {
                let mac = s.mac.map(|m| format!(" on {m}")).unwrap_or_default();
                writeln!(out, "{:<20} {}{mac}", s.username, voucher_state(&t, &s))?;
            }
        }
        VoucherCmd::Disable { tenant, batch } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = crate::ops::vouchers::disable_batch(store, actor, ctx.clock.now(), t.id, batch)?;
            writeln!(out, "batch {batch}: {n} unused codes disabled")?;
        }
        VoucherCmd::Print { tenant, batch, pdf: pdf_path, html, login_url } => {
            let t = store.tenant_by_slug(&tenant)?;
            let (b, list) = store.voucher_batch(t.id, batch)?;
            let (cards, title) = batch_cards(store, &t, &b, &list, &login_url)?;
            if let Some(p) = pdf_path {
                std::fs::write(&p, pdf::cards::voucher_cards(&cards, &title))
                    .with_context(|| format!("writing {}", p.display()))?;
                writeln!(out, "wrote {} ({} cards)", p.display(), cards.len())?;
            }
            if let Some(p) = html {
                std::fs::write(&p, pdf::html::cards_html(&cards, &title)?)
                    .with_context(|| format!("writing {}", p.display()))?;
                writeln!(out, "wrote {}", p.display())?;
            }
        }
    }
    Ok(())
}

pub fn invoice(ctx: &Ctx<'_>, actor: &str, cmd: InvoiceCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let store = ctx.store;
    match cmd {
        InvoiceCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            for d in store.documents(t.id)? {
                writeln!(
                    out,
                    "{:<18} {:<8} customer={:<6} {:>14} {}",
                    d.number,
                    format!("{:?}", d.kind),
                    d.customer,
                    pdf::format_money(d.gross, &t.currency),
                    if d.paid_at.is_some() || d.kind == DocKind::Receipt { "paid" } else { "open" }
                )?;
            }
        }
        InvoiceCmd::Print { tenant, number, pdf: pdf_path, html } => {
            let t = store.tenant_by_slug(&tenant)?;
            let d = store.document_by_number(t.id, &number)?.context("no such invoice or receipt")?;
            let view = doc_view(store, &t, &d)?;
            if let Some(p) = pdf_path {
                std::fs::write(&p, pdf::invoice::document(&view))
                    .with_context(|| format!("writing {}", p.display()))?;
                writeln!(out, "wrote {}", p.display())?;
            }
            if let Some(p) = html {
                std::fs::write(&p, pdf::html::document_html(&view)?)
                    .with_context(|| format!("writing {}", p.display()))?;
                writeln!(out, "wrote {}", p.display())?;
            }
        }
        InvoiceCmd::Settings { tenant, vat, inclusive, prefix, tax_pin } => {
            let t = store.tenant_by_slug(&tenant)?;
            let mut b = store.tenant_billing(t.id)?;
            if let Some(v) = vat {
                let bp = parse_money(&v).context("--vat")?;
                b.tax = (bp > 0).then(|| TaxRule { name: format!("VAT {v} %"), rate_bp: bp as u32, inclusive });
            }
            if let Some(p) = prefix {
                b.invoice_prefix = p;
            }
            if tax_pin.is_some() {
                b.tax_pin = tax_pin;
            }
            store.set_tenant_billing(actor, ctx.clock.now(), t.id, &b)?;
            writeln!(out, "tax {:?}, invoice prefix {:?}", b.tax, b.invoice_prefix)?;
        }
    }
    Ok(())
}
