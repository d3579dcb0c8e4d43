//! Who may do what: every admin route with the permission it needs, and
//! the role × permission matrix, in one place. The gate in `mod.rs`
//! refuses a route that is not listed here, and `tests/it/admin_rbac.rs`
//! walks every role over every route of this table.

use crate::model::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perm {
    /// No session needed (sign-in pages, static assets).
    Public,
    /// Any signed-in admin (dashboard, own account, sign-out).
    SignedIn,
    ViewCustomers,
    EditCustomers,
    EditServices,
    ViewPlans,
    EditPlans,
    ViewNas,
    EditNas,
    ViewVouchers,
    MakeVouchers,
    ViewPayments,
    RecordPayments,
    /// Set a service's expiry by hand (service given away or corrected).
    SetExpiry,
    /// Credit, refund, charge or adjust a customer's wallet by hand.
    AdjustWallets,
    ViewInvoices,
    ViewSessions,
    Disconnect,
    ViewAudit,
    ManageAdmins,
    ManageTenants,
    ViewWebhooks,
    EditWebhooks,
    /// The tenant's integrations: REST API tokens, M-Pesa settings,
    /// notification gateways and templates.
    ManageIntegrations,
    /// The notification log (who was sent what).
    ViewMessages,
    /// One message to many customers.
    Broadcast,
    /// Take a router's outage or alerts in hand.
    AckAlerts,
    /// The reports (revenue, reconciliation, tax, network, customers) and
    /// their downloads; a reseller's show its own customers only.
    ViewReports,
    /// The CPE inventory: add, install, return; reboot and refresh devices.
    ManageCpe,
    /// Data protection: a customer's export and erasure, the tenant's
    /// retention periods.
    PersonalData,
    /// Phone numbers in full; without it they show masked (2547****5678).
    SeePhones,
}

/// The matrix. Resellers are further scoped to their own customers and
/// batches by the pages themselves (the RBAC test checks that too).
pub fn allows(role: Role, perm: Perm) -> bool {
    use Perm::*;
    use Role::*;
    match perm {
        Public | SignedIn => true,
        ViewCustomers | ViewVouchers | ViewPlans => true,
        EditCustomers | EditServices => matches!(role, PlatformAdmin | TenantAdmin | Operator | Reseller),
        EditPlans | EditNas | ManageAdmins | ViewWebhooks | EditWebhooks | ManageIntegrations => {
            matches!(role, PlatformAdmin | TenantAdmin)
        }
        ViewNas | ViewSessions => matches!(role, PlatformAdmin | TenantAdmin | Operator | Cashier | ReadOnly),
        MakeVouchers => matches!(role, PlatformAdmin | TenantAdmin | Cashier | Reseller),
        ViewPayments | ViewInvoices => matches!(role, PlatformAdmin | TenantAdmin | Operator | Cashier | ReadOnly),
        RecordPayments => matches!(role, PlatformAdmin | TenantAdmin | Cashier),
        SetExpiry | AdjustWallets => matches!(role, PlatformAdmin | TenantAdmin),
        Disconnect => matches!(role, PlatformAdmin | TenantAdmin | Operator),
        ViewAudit => matches!(role, PlatformAdmin | TenantAdmin | ReadOnly),
        ManageTenants => role == PlatformAdmin,
        ViewMessages => matches!(role, PlatformAdmin | TenantAdmin | Operator | ReadOnly),
        Broadcast | AckAlerts => matches!(role, PlatformAdmin | TenantAdmin | Operator),
        ViewReports => matches!(role, PlatformAdmin | TenantAdmin | Operator | Cashier | ReadOnly | Reseller),
        ManageCpe => matches!(role, PlatformAdmin | TenantAdmin | Operator),
        PersonalData => matches!(role, PlatformAdmin | TenantAdmin),
        // Read-only admins (auditors, viewers) have no reason to call or
        // text anyone; every other role does (support, payments, a
        // reseller's own sign-ups, which it edits).
        SeePhones => role != ReadOnly,
    }
}

pub struct RouteSpec {
    pub method: &'static str,
    /// As registered with axum (`{id}` for path parameters).
    pub path: &'static str,
    pub perm: Perm,
}

const fn r(method: &'static str, path: &'static str, perm: Perm) -> RouteSpec {
    RouteSpec { method, path, perm }
}

use Perm::*;

pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/admin/login", Public),
    r("POST", "/admin/login", Public),
    r("POST", "/admin/login/totp", Public),
    // First-run setup: its own one-time token, open only while no admin exists.
    r("GET", "/setup", Public),
    r("POST", "/setup", Public),
    r("GET", "/admin/static/{file}", Public),
    r("POST", "/admin/logout", SignedIn),
    r("GET", "/admin", SignedIn),
    r("GET", "/admin/me", SignedIn),
    r("POST", "/admin/me/password", SignedIn),
    r("POST", "/admin/me/totp", SignedIn),
    r("POST", "/admin/me/recovery-codes", SignedIn),
    r("POST", "/admin/tenant", ManageTenants),
    r("GET", "/admin/customers", ViewCustomers),
    r("GET", "/admin/customers/new", EditCustomers),
    r("POST", "/admin/customers", EditCustomers),
    r("GET", "/admin/customers/{id}", ViewCustomers),
    r("GET", "/admin/customers/{id}/edit", EditCustomers),
    r("POST", "/admin/customers/{id}", EditCustomers),
    r("POST", "/admin/customers/{id}/delete", EditCustomers),
    r("POST", "/admin/customers/{id}/wallet", AdjustWallets),
    r("GET", "/admin/customers/{id}/services/new", EditServices),
    r("POST", "/admin/customers/{id}/services", EditServices),
    r("GET", "/admin/services", ViewCustomers),
    r("POST", "/admin/services/{id}/status", EditServices),
    r("GET", "/admin/services/{id}", ViewCustomers),
    r("POST", "/admin/services/{id}/renew", RecordPayments),
    r("POST", "/admin/services/{id}/expiry", SetExpiry),
    r("POST", "/admin/services/{id}/password", EditServices),
    r("POST", "/admin/services/{id}/access", EditServices),
    r("POST", "/admin/services/{id}/stk", RecordPayments),
    r("GET", "/admin/plans", ViewPlans),
    r("GET", "/admin/plans/new", EditPlans),
    r("POST", "/admin/plans", EditPlans),
    r("GET", "/admin/plans/{id}", EditPlans),
    r("POST", "/admin/plans/{id}", EditPlans),
    r("POST", "/admin/plans/{id}/state", EditPlans),
    r("GET", "/admin/nas", ViewNas),
    r("GET", "/admin/nas/new", EditNas),
    r("POST", "/admin/nas", EditNas),
    r("POST", "/admin/nas/{id}/state", EditNas),
    r("GET", "/admin/nas/{id}", EditNas),
    r("POST", "/admin/nas/{id}", EditNas),
    r("POST", "/admin/nas/{id}/secret", EditNas),
    r("POST", "/admin/nas/{id}/hook-token", EditNas),
    r("POST", "/admin/nas/{id}/api", EditNas),
    r("GET", "/admin/nas/{id}/provision", EditNas),
    r("POST", "/admin/nas/{id}/provision", EditNas),
    r("GET", "/admin/nas/{id}/lookup", EditNas),
    r("POST", "/admin/nas/{id}/kick", EditNas),
    r("GET", "/admin/vouchers", ViewVouchers),
    r("GET", "/admin/vouchers/new", MakeVouchers),
    r("POST", "/admin/vouchers", MakeVouchers),
    r("GET", "/admin/vouchers/{id}", ViewVouchers),
    r("GET", "/admin/vouchers/{id}/cards.pdf", ViewVouchers),
    r("POST", "/admin/vouchers/{id}/disable", MakeVouchers),
    r("GET", "/admin/payments", ViewPayments),
    r("GET", "/admin/payments/new", RecordPayments),
    r("POST", "/admin/payments", RecordPayments),
    r("POST", "/admin/payments/{id}/assign", RecordPayments),
    r("GET", "/admin/invoices", ViewInvoices),
    r("GET", "/admin/invoices/{id}", ViewInvoices),
    r("GET", "/admin/sessions", ViewSessions),
    r("POST", "/admin/sessions/disconnect", Disconnect),
    r("GET", "/admin/auth-log", ViewSessions),
    r("GET", "/admin/audit", ViewAudit),
    r("GET", "/admin/tickets", ViewCustomers),
    r("GET", "/admin/tickets/{id}", ViewCustomers),
    r("POST", "/admin/tickets/{id}", EditCustomers),
    r("GET", "/admin/admins", ManageAdmins),
    r("GET", "/admin/admins/new", ManageAdmins),
    r("POST", "/admin/admins", ManageAdmins),
    r("POST", "/admin/admins/{name}/disable", ManageAdmins),
    r("POST", "/admin/admins/{name}/enable", ManageAdmins),
    r("POST", "/admin/admins/{name}/reset", ManageAdmins),
    r("GET", "/admin/tenants", ManageTenants),
    r("GET", "/admin/tenants/new", ManageTenants),
    r("POST", "/admin/tenants", ManageTenants),
    r("GET", "/admin/tenants/{id}", ManageTenants),
    r("POST", "/admin/tenants/{id}", ManageTenants),
    r("POST", "/admin/tenants/{id}/logo", ManageTenants),
    r("GET", "/admin/backups", ManageTenants),
    r("POST", "/admin/backups", ManageTenants),
    r("POST", "/admin/backups/s3", ManageTenants),
    r("POST", "/admin/backups/ftp", ManageTenants),
    r("POST", "/admin/backups/off", ManageTenants),
    r("GET", "/admin/backups/{name}", ManageTenants),
    r("GET", "/admin/sites", ManageTenants),
    r("POST", "/admin/sites/resend", ManageTenants),
    r("GET", "/admin/webhooks", ViewWebhooks),
    r("POST", "/admin/webhooks", EditWebhooks),
    r("POST", "/admin/webhooks/{id}/disable", EditWebhooks),
    r("POST", "/admin/webhooks/{id}/enable", EditWebhooks),
    r("POST", "/admin/webhooks/{id}/resend", EditWebhooks),
    r("POST", "/admin/webhooks/{id}/delete", EditWebhooks),
    r("GET", "/admin/api-tokens", ManageIntegrations),
    r("POST", "/admin/api-tokens", ManageIntegrations),
    r("POST", "/admin/api-tokens/{id}/revoke", ManageIntegrations),
    r("GET", "/admin/mpesa", ManageIntegrations),
    r("POST", "/admin/mpesa", ManageIntegrations),
    r("POST", "/admin/mpesa/test", ManageIntegrations),
    r("POST", "/admin/mpesa/register-c2b", ManageIntegrations),
    r("GET", "/admin/sms", ManageIntegrations),
    r("POST", "/admin/sms", ManageIntegrations),
    r("POST", "/admin/sms/test", ManageIntegrations),
    r("GET", "/admin/noc", ViewNas),
    r("GET", "/admin/noc/{id}", ViewNas),
    r("POST", "/admin/nas/{id}/snmp", EditNas),
    r("POST", "/admin/nas/{id}/snmp/off", EditNas),
    r("POST", "/admin/noc/{id}/maintenance", EditNas),
    r("POST", "/admin/noc/{id}/ack", AckAlerts),
    r("GET", "/admin/notifications", ViewMessages),
    r("POST", "/admin/notifications/{id}/retry", ManageIntegrations),
    r("GET", "/admin/notifications/settings", ManageIntegrations),
    r("POST", "/admin/notifications/settings", ManageIntegrations),
    r("POST", "/admin/notifications/test", ManageIntegrations),
    r("GET", "/admin/notifications/templates", ManageIntegrations),
    r("GET", "/admin/notifications/template", ManageIntegrations),
    r("POST", "/admin/notifications/template", ManageIntegrations),
    r("GET", "/admin/notifications/broadcast", Broadcast),
    r("POST", "/admin/notifications/broadcast", Broadcast),
    r("POST", "/admin/customers/{id}/prefs", EditCustomers),
    r("GET", "/admin/hotspot-files", EditNas),
    r("GET", "/admin/hotspot-files/files.zip", EditNas),
    r("GET", "/admin/import", EditPlans),
    r("POST", "/admin/import", EditPlans),
    r("GET", "/admin/accounting", ViewInvoices),
    r("POST", "/admin/accounting", ManageIntegrations),
    r("GET", "/admin/accounting/journal", ViewInvoices),
    r("GET", "/admin/reports", ViewReports),
    r("GET", "/admin/reports/{kind}", ViewReports),
    r("GET", "/admin/reports/{kind}/csv", ViewReports),
    r("GET", "/admin/reports/{kind}/pdf", ViewReports),
    r("GET", "/admin/genieacs", ManageIntegrations),
    r("POST", "/admin/genieacs", ManageIntegrations),
    r("GET", "/admin/etims", ManageIntegrations),
    r("POST", "/admin/etims", ManageIntegrations),
    r("POST", "/admin/etims/off", ManageIntegrations),
    r("GET", "/admin/cpe", ManageCpe),
    r("POST", "/admin/cpe", ManageCpe),
    r("GET", "/admin/cpe/{id}", ManageCpe),
    r("POST", "/admin/cpe/{id}/link", ManageCpe),
    r("POST", "/admin/cpe/{id}/return", ManageCpe),
    r("POST", "/admin/cpe/{id}/restock", ManageCpe),
    r("POST", "/admin/cpe/{id}/wifi", ManageCpe),
    r("POST", "/admin/cpe/{id}/reboot", ManageCpe),
    r("POST", "/admin/cpe/{id}/refresh", ManageCpe),
    r("POST", "/admin/cpe/{id}/push", ManageCpe),
    r("POST", "/admin/customers/{id}/export", PersonalData),
    r("GET", "/admin/customers/{id}/erase", PersonalData),
    r("POST", "/admin/customers/{id}/erase", PersonalData),
    r("GET", "/admin/privacy", PersonalData),
    r("POST", "/admin/privacy", PersonalData),
];

/// The permission a route needs; None = not a declared route (refused).
pub fn perm_of(method: &str, path: &str) -> Option<Perm> {
    ROUTES.iter().find(|r| r.method == method && r.path == path).map(|r| r.perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_declared_once() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(
                !ROUTES[i + 1..].iter().any(|b| a.method == b.method && a.path == b.path),
                "{} {} listed twice",
                a.method,
                a.path
            );
            // First-run setup is the one page outside /admin.
            assert!(a.path.starts_with("/admin") || a.path == "/setup", "{}", a.path);
        }
    }

    #[test]
    fn only_the_platform_admin_manages_tenants_and_read_only_changes_nothing() {
        for role in Role::ALL {
            assert_eq!(allows(role, Perm::ManageTenants), role == Role::PlatformAdmin, "{role:?}");
        }
        for route in ROUTES.iter().filter(|r| r.method == "POST") {
            let ok = allows(Role::ReadOnly, route.perm);
            assert_eq!(ok, matches!(route.perm, Perm::Public | Perm::SignedIn), "read-only may POST {}", route.path);
        }
    }
}
