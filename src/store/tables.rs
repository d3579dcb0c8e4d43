//! Every redb table, in one place, with what it indexes.
//!
//! Keys lead with the tenant id, so a tenant's rows are one contiguous range
//! and no lookup can cross tenants by accident. Values are `&[u8]` written by
//! `store::codec` (a version byte, then postcard), so a newer binary reads
//! an older file.

use redb::TableDefinition;

/// `"schema_version"`, `"next_id"`, `"audit_seq"`, `"config_generation"` → u64.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// `"key_check"` → a sealed known value proving lango.key matches this file.
pub const META_BLOB: TableDefinition<&str, &[u8]> = TableDefinition::new("meta_blob");

/// tenant id → Tenant.
pub const TENANTS: TableDefinition<u32, &[u8]> = TableDefinition::new("tenants");
/// slug → tenant id (platform-wide: slugs are unique across tenants).
pub const TENANT_BY_SLUG: TableDefinition<&str, u32> = TableDefinition::new("tenant_by_slug");

/// (tenant, nas id) → Nas.
pub const NAS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("nas");
/// (tenant, plan id) → Plan.
pub const PLANS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("plans");
/// (tenant, customer id) → Customer.
pub const CUSTOMERS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("customers");
/// (tenant, service id) → Service.
pub const SERVICES: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("services");
/// (tenant, username) → service id. Usernames are case-sensitive, as RADIUS is.
pub const SERVICE_BY_USERNAME: TableDefinition<(u32, &str), u64> = TableDefinition::new("service_by_username");
/// (tenant, MAC as u64) → service id.
pub const SERVICE_BY_MAC: TableDefinition<(u32, u64), u64> = TableDefinition::new("service_by_mac");
/// (tenant, static IPv4 as u32) → service id.
pub const SERVICE_BY_IP: TableDefinition<(u32, u32), u64> = TableDefinition::new("service_by_ip");

/// (tenant, service id) → Usage in the current period.
pub const USAGE: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("usage");

/// (tenant, nas id, Acct-Session-Id) → Session: who is online now.
pub const SESSIONS_ACTIVE: TableDefinition<(u32, u64, &str), &[u8]> = TableDefinition::new("sessions_active");
/// (tenant, seq) → closed Session. Append-only: new rows land in the
/// rightmost leaf, so a commit of many stops dirties few pages. (Keyed by
/// service, every stop dirtied its own leaf: ~4 KiB written per record.)
pub const SESSION_HISTORY: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("session_history");
/// (tenant, service id, history seq) → (): a service's closed sessions, for
/// its page, its customer's page and the account page (schema 8).
pub const HISTORY_BY_SERVICE: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("history_by_service");
/// (tenant, nas id, Acct-Session-Id) → StopMark: recognises retransmitted Stops.
pub const RECENT_STOPS: TableDefinition<(u32, u64, &str), &[u8]> = TableDefinition::new("recent_stops");

/// (tenant, seq) → AuditRecord. Tenant 0 holds platform-level changes.
pub const AUDIT: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("audit");
/// (tenant, username) → Admin. Tenant 0 = platform admins.
pub const ADMINS: TableDefinition<(u32, &str), &[u8]> = TableDefinition::new("admins");

/// (tenant, customer id) → wallet balance: the sum of that customer's
/// LEDGER amounts, kept in the same transaction as every entry.
pub const BALANCES: TableDefinition<(u32, u64), i64> = TableDefinition::new("balances");
/// (tenant, customer id, seq) → LedgerEntry. Append-only.
pub const LEDGER: TableDefinition<(u32, u64, u64), &[u8]> = TableDefinition::new("ledger");
/// (tenant, payment id) → Payment.
pub const PAYMENTS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("payments");
/// (tenant, provider reference) → payment id: `mpesa:<receipt>`,
/// `c2b:<TransID>`, `stk:<CheckoutRequestID>`. Makes payments idempotent.
pub const PAYMENT_BY_REF: TableDefinition<(u32, &str), u64> = TableDefinition::new("payment_by_ref");
/// (tenant, payer's phone token, payment id) → (): payments by the number
/// that paid (`SecretBox::phone_token`), for the payments list's search.
pub const PAYMENT_BY_PAYER: TableDefinition<(u32, &str, u64), ()> = TableDefinition::new("payment_by_payer");
/// (tenant, customer id, payment id) → (): payments credited to a customer,
/// for the payments list's search by the customer's name.
pub const PAYMENT_BY_CUSTOMER: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("payment_by_customer");
/// (tenant, customer id, document id) → (): a customer's invoices and
/// receipts (its page, the account page, settling its open invoices).
pub const INVOICE_BY_CUSTOMER: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("invoice_by_customer");
/// (tenant, document number) → document id (a PDF by its number).
pub const INVOICE_BY_NUMBER: TableDefinition<(u32, &str), u64> = TableDefinition::new("invoice_by_number");
/// (tenant, payment id) → (): money that matched no customer.
pub const UNMATCHED: TableDefinition<(u32, u64), ()> = TableDefinition::new("unmatched");
/// (tenant, CheckoutRequestID) → StkRequest.
pub const STK_REQUESTS: TableDefinition<(u32, &str), &[u8]> = TableDefinition::new("stk_requests");
/// (tenant, CheckoutRequestID) → created_at: STK requests with no final
/// answer yet (the reconciler's work list).
pub const STK_PENDING: TableDefinition<(u32, &str), i64> = TableDefinition::new("stk_pending");
/// seq → RawCallback: every payment callback body as received, stored
/// before it is answered.
pub const RAW_CALLBACKS: TableDefinition<u64, &[u8]> = TableDefinition::new("raw_callbacks");
/// (tenant, invoice id) → Invoice (invoices and receipts).
pub const INVOICES: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("invoices");
/// (tenant, batch id) → VoucherBatch.
pub const VOUCHER_BATCHES: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("voucher_batches");
/// (tenant, batch id, service id) → (): the vouchers of a batch.
pub const BATCH_VOUCHERS: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("batch_vouchers");
/// tenant → TenantBilling (tax, invoice prefix, M-Pesa credentials).
pub const TENANT_BILLING: TableDefinition<u32, &[u8]> = TableDefinition::new("tenant_billing");
/// M-Pesa callback token → tenant.
pub const MPESA_TOKENS: TableDefinition<&str, u32> = TableDefinition::new("mpesa_tokens");
/// (tenant, MSISDN 2547XXXXXXXX) → customer id.
/// (tenant, phone token) → customer id: the token is `SecretBox::phone_token`
/// of the canonical number, never the number (schema 7; the clear-keyed
/// `customer_by_phone` before it is dropped on upgrade).
pub const CUSTOMER_BY_PHONE: TableDefinition<(u32, &str), u64> = TableDefinition::new("customer_by_phone_token");
/// seq → outbox Task: side effects (CoA, Disconnect) written in the same
/// transaction as the change that causes them, removed once done.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// (tenant, service id, started_at, nas id, Acct-Session-Id) → (): the
/// online sessions of each service, oldest first.
pub const SESSIONS_BY_SERVICE: TableDefinition<(u32, u64, i64, u64, &str), ()> =
    TableDefinition::new("sessions_by_service");
/// (Framed-IP-Address, tenant, nas id, Acct-Session-Id) → (): online
/// sessions by client address, across tenants, for the zero-login portal.
pub const SESSION_BY_IP: TableDefinition<(u32, u32, u64, &str), ()> = TableDefinition::new("session_by_ip");
/// Online sessions by each IPv6 address (as a /128) and prefix they hold:
/// (network, length, tenant, nas, acct session id). The portal finds a
/// client by trying its address at each length.
pub const SESSION_BY_IPV6: TableDefinition<(u128, u8, u32, u64, &str), ()> = TableDefinition::new("session_by_ipv6");
/// (client address, tenant, nas id) → Lease: DHCP leases the routers
/// reported through the lease hook, for the portal and onboarding.
pub const LEASES: TableDefinition<(u32, u32, u64), &[u8]> = TableDefinition::new("leases");
/// tenant → Branding of its portal and hotspot pages.
pub const TENANT_BRANDING: TableDefinition<u32, &[u8]> = TableDefinition::new("tenant_branding");
/// SHA-256 (hex) of a router's hook token → (tenant, nas id).
pub const HOOK_TOKENS: TableDefinition<&str, (u32, u64)> = TableDefinition::new("hook_tokens");
/// (tenant, nas id) → SHA-256 (hex) of its current hook token, so a new
/// token replaces the old one.
pub const NAS_HOOK: TableDefinition<(u32, u64), &str> = TableDefinition::new("nas_hook");
/// (tenant, ticket id) → Ticket: support requests from the account pages.
pub const TICKETS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("tickets");
/// (tenant, NAS id) → RouterApi: how to reach that router's RouterOS API
/// (password sealed). Apart from NAS so the Nas value keeps its encoding.
pub const ROUTER_API: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("router_api");
/// tenant → SmsSettings (API key sealed).
pub const TENANT_SMS: TableDefinition<u32, &[u8]> = TableDefinition::new("tenant_sms");
/// (tenant, id) → WebhookEndpoint (secret sealed).
pub const WEBHOOKS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("webhooks");
/// seq → Delivery: events waiting for their endpoint, removed once
/// delivered or given up (the durable outbox of webhooks).
pub const WEBHOOK_QUEUE: TableDefinition<u64, &[u8]> = TableDefinition::new("webhook_queue");
/// (tenant, seq) → DeliveryLog: every attempt.
pub const WEBHOOK_LOG: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("webhook_log");
/// (tenant, service) → the expiry already recorded as `service.expired`.
pub const EXPIRY_NOTED: TableDefinition<(u32, u64), i64> = TableDefinition::new("expiry_noted");
/// SHA-256 (hex) of an API token → ApiToken (tenant and role).
pub const API_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_tokens");
/// SHA-256 (hex) of an API token → when it was last used (written at most
/// once a minute per token).
pub const API_TOKEN_USED: TableDefinition<&str, i64> = TableDefinition::new("api_token_used");
/// (tenant, Idempotency-Key) → the first answer to a POST with that key:
/// (status, request digest, body).
pub const IDEMPOTENCY: TableDefinition<(u32, &str), &[u8]> = TableDefinition::new("idempotency");
/// admin name → its tenant: names are unique platform-wide.
pub const ADMIN_BY_NAME: TableDefinition<&str, u32> = TableDefinition::new("admin_by_name");
/// SHA-256 (hex) of an admin session cookie → AdminSession.
pub const ADMIN_SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("admin_sessions");
/// admin name → LoginLock: failed sign-ins in a row, and the lock they caused.
pub const ADMIN_LOCKS: TableDefinition<&str, &[u8]> = TableDefinition::new("admin_locks");
/// (tenant, admin name) → RecoveryCodes: the SHA-256 of each unused TOTP
/// recovery code. Apart from ADMINS so the Admin value keeps its encoding;
/// created by the first write, so a read finds it missing in older files.
pub const ADMIN_RECOVERY: TableDefinition<(u32, &str), &[u8]> = TableDefinition::new("admin_recovery");
/// (tenant, object, audit seq) → (): the audit trail of one object.
pub const AUDIT_BY_OBJECT: TableDefinition<(u32, &str, u64), ()> = TableDefinition::new("audit_by_object");
/// (tenant, actor without "from …", audit seq) → (): what one admin did.
pub const AUDIT_BY_ACTOR: TableDefinition<(u32, &str, u64), ()> = TableDefinition::new("audit_by_actor");
/// (tenant, customer) → reseller (its wallet customer id).
pub const CUSTOMER_RESELLER: TableDefinition<(u32, u64), u64> = TableDefinition::new("customer_reseller");
/// (tenant, reseller, customer) → (): a reseller's customers.
pub const RESELLER_CUSTOMERS: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("reseller_customers");
/// (tenant, customer, service) → (): a customer's services.
pub const SERVICE_BY_CUSTOMER: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("service_by_customer");

/// tenant → NotifySettings.
pub const NOTIFY_SETTINGS: TableDefinition<u32, &[u8]> = TableDefinition::new("notify_settings");
/// (tenant, event, language) → Template: the tenant's own wording.
pub const NOTIFY_TEMPLATES: TableDefinition<(u32, &str, &str), &[u8]> = TableDefinition::new("notify_templates");
/// (tenant, customer) → Prefs.
pub const NOTIFY_PREFS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("notify_prefs");
/// (tenant, message id) → Message: the delivery log.
pub const NOTIFY_MESSAGES: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("notify_messages");
/// (not before, tenant, message id) → (): queued messages by due time.
pub const NOTIFY_DUE: TableDefinition<(i64, u32, u64), ()> = TableDefinition::new("notify_due");
/// (tenant, customer, message id) → (): a customer's messages.
pub const NOTIFY_BY_CUSTOMER: TableDefinition<(u32, u64, u64), ()> = TableDefinition::new("notify_by_customer");
/// (tenant, key) → message id: what was already queued once
/// (`remind:<service>:<expiry>:<lead>`, `cap:<day>`).
pub const NOTIFY_KEYS: TableDefinition<(u32, &str), u64> = TableDefinition::new("notify_keys");
/// (tenant, local day number) → messages sent that day, for the cap.
pub const NOTIFY_DAILY: TableDefinition<(u32, i64), u32> = TableDefinition::new("notify_daily");
/// (check at, tenant, message id) → (): sent messages whose delivery is
/// asked of the gateway (Celcom's getdlr) until it answers or a day passes.
pub const NOTIFY_DLR: TableDefinition<(i64, u32, u64), ()> = TableDefinition::new("notify_dlr");
/// (tenant, nas) → RouterSnmp.
pub const ROUTER_SNMP: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("router_snmp");
/// (tenant, nas) → RouterHealth: the last polls' view of a router.
pub const ROUTER_HEALTH: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("router_health");
/// (tenant, nas, metric, resolution, chunk slot) → Chunk: fixed-size ring
/// buffers of averages (see store/noc.rs), bounded whatever the run time.
pub const SERIES: TableDefinition<(u32, u64, u32, u8, u32), &[u8]> = TableDefinition::new("series");

/// (tenant, scope, metric, tenant-local day, dimension) → value: the
/// reports' maintained aggregates (see store/reports.rs). Scope 0 is the
/// whole tenant, otherwise a reseller's id; the dimension is a channel,
/// plan, router, ledger kind or cohort month, as the metric says.
pub const REPORT_AGG: TableDefinition<(u32, u64, u16, i32, u64), i64> = TableDefinition::new("report_agg");
/// (tenant, month's first day, service) → (bytes in, bytes out) that month.
pub const USAGE_MONTHLY: TableDefinition<(u32, i32, u64), (u64, u64)> = TableDefinition::new("usage_monthly");
/// (tenant, issued_at, document id) → (): sales documents by issue time.
pub const SALES_DOCS: TableDefinition<(u32, i64, u64), ()> = TableDefinition::new("sales_docs");
/// (tenant, received_at, payment id) → (): payments by time.
pub const PAYMENTS_BY_TIME: TableDefinition<(u32, i64, u64), ()> = TableDefinition::new("payments_by_time");
/// (tenant, created_at, CheckoutRequestID) → (): STK pushes by time.
pub const STK_BY_TIME: TableDefinition<(u32, i64, &str), ()> = TableDefinition::new("stk_by_time");
/// (tenant, customer) → the last month (its first day) the customer was
/// counted active in its cohort.
pub const COHORT_SEEN: TableDefinition<(u32, u64), i32> = TableDefinition::new("cohort_seen");

/// (time, tenant, service) → (): when the scheduler next has work for a
/// service (its expiry, its grace cutoff, an unused voucher's deadline, or
/// now: money arrived for an expired auto-renewing service). A round reads
/// the keys up to now, so its cost follows what is due, not the table.
pub const SERVICE_DUE: TableDefinition<(i64, u32, u64), ()> = TableDefinition::new("service_due");
/// (tenant, service) → its time in SERVICE_DUE.
pub const SERVICE_DUE_AT: TableDefinition<(u32, u64), i64> = TableDefinition::new("service_due_at");
/// (due date, tenant, invoice id) → customer: invoices not paid yet, for
/// the overdue pass (which reads those past due, not every document).
pub const OPEN_INVOICES: TableDefinition<(i64, u32, u64), u64> = TableDefinition::new("open_invoices");
/// (tenant, nas id, client address) → (): the LEASES rows of one router,
/// so replacing a router's leases reads its own rows only.
pub const LEASES_BY_NAS: TableDefinition<(u32, u64, u32), ()> = TableDefinition::new("leases_by_nas");

/// seq → sync::Pending: changes this node owns, captured in the
/// transaction of the change, removed once JetStream acknowledged them
/// (see store/sync.rs and ARCHITECTURE.md, "Many sites and a hub").
pub const SYNC_OUT: TableDefinition<u64, &[u8]> = TableDefinition::new("sync_out");
/// origin (`<node>/<instance>`) → sync::Mark: the last sequence of that
/// node applied here, stored in the transaction that applied it.
pub const SYNC_APPLIED: TableDefinition<&str, &[u8]> = TableDefinition::new("sync_applied");

/// tenant → ChartOfAccounts: the accounts the journal export posts to
/// (absent: the defaults).
pub const ACCOUNT_CHART: TableDefinition<u32, &[u8]> = TableDefinition::new("account_chart");
/// tenant → EtimsSettings: the tenant's initialised KRA eTIMS OSCU device
/// (communication key sealed); absent: eTIMS off.
pub const ETIMS_SETTINGS: TableDefinition<u32, &[u8]> = TableDefinition::new("etims_settings");
/// (tenant, document id) → (attempts, next attempt): sales documents
/// waiting to be sent to the tenant's eTIMS control unit, queued in the
/// transaction that issued them, removed when the CU signed them.
pub const ETIMS_QUEUE: TableDefinition<(u32, u64), (u32, i64)> = TableDefinition::new("etims_queue");
/// (tenant, document id) → EtimsReceipt: what the control unit returned.
pub const ETIMS_RECEIPTS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("etims_receipts");
/// tenant → AcsSettings: the tenant's GenieACS NBI (password sealed).
pub const ACS_SETTINGS: TableDefinition<u32, &[u8]> = TableDefinition::new("acs_settings");
/// (tenant, CPE id) → Cpe: the CPE inventory.
pub const CPES: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("cpes");
/// (tenant, serial number) → CPE id (serials are unique per tenant).
pub const CPE_BY_SERIAL: TableDefinition<(u32, &str), u64> = TableDefinition::new("cpe_by_serial");
/// (tenant, service id) → the CPE id installed on it (one per service).
pub const CPE_BY_SERVICE: TableDefinition<(u32, u64), u64> = TableDefinition::new("cpe_by_service");
/// seq → CpePush: credential pushes waiting for GenieACS (zero-touch),
/// removed once the ACS took them.
pub const CPE_QUEUE: TableDefinition<u64, &[u8]> = TableDefinition::new("cpe_queue");
/// tenant → Retention: how many days of closed sessions, messages and
/// audit records the tenant keeps (store/retention.rs; absent = keep all).
pub const RETENTION: TableDefinition<u32, &[u8]> = TableDefinition::new("retention");
