//! What the REST API needs from the store: tokens (only their SHA-256 is
//! kept) and idempotency keys (the first answer to a POST is kept and
//! replayed for a retry with the same key and body).

use redb::ReadableTable;

use super::codec::encode;
use super::tables::*;
use super::{Store, StoreError, audit, get, record};
use crate::model::*;

/// The first answer to a POST with an Idempotency-Key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Remembered {
    pub status: u16,
    pub request: String,
    pub body: String,
}

impl super::codec::Stored for Remembered {
    const VERSION: u8 = 1;
    const NAME: &'static str = "Remembered";
}

/// A new customer's fields (checked by the caller; the store checks the
/// phone again and keeps it unique).
pub struct NewCustomerFields<'a> {
    pub name: &'a str,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub category: Option<String>,
}

/// An API token as the admin pages list it.
#[derive(Clone, Debug)]
pub struct TokenRow {
    pub id: String,
    pub token: ApiToken,
    pub last_used: Option<UnixTime>,
}

/// A record's entity tag: a digest of its serialized fields (personal ones
/// in clear, as they are sealed afresh on every write), so any change to
/// it (by the API, a form, the scheduler or the fold) gives another tag.
pub fn etag<T: serde::Serialize>(value: &T) -> String {
    let bytes = postcard::to_allocvec(value).expect("postcard to Vec cannot fail");
    format!("\"{}\"", &super::secret::to_hex(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref())[..24])
}

/// Refuse with [`StoreError::Stale`] when `expect` (an If-Match value) is
/// given and is not `current`'s tag. `*` matches any existing record.
pub(crate) fn check_etag<T: serde::Serialize>(what: &str, current: &T, expect: Option<&str>) -> Result<(), StoreError> {
    match expect.map(str::trim) {
        None | Some("*") => Ok(()),
        Some(e) if e.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag(current)) => Ok(()),
        Some(_) => Err(StoreError::Stale(what.to_string())),
    }
}

impl Store {
    /// A new token (see [`ApiToken`]); returns the token (shown once).
    pub fn create_api_token(&self, actor: &str, now: UnixTime, t: ApiToken) -> Result<String, StoreError> {
        if t.role == Role::PlatformAdmin {
            return Err(StoreError::Invalid("API tokens cannot be platform admins".into()));
        }
        if (t.role == Role::Reseller) != t.reseller.is_some() {
            return Err(StoreError::Invalid(
                "a reseller token names its reseller, and only a reseller token does".into(),
            ));
        }
        let token = format!("lgo_{}", super::random_hex(24));
        let tx = self.write()?;
        tx.open_table(API_TOKENS)?.insert(super::sha256_hex(&token).as_str(), encode(&t).as_slice())?;
        let shown = serde_json::json!({
            "name": t.name, "role": t.role.as_str(), "reseller": t.reseller, "allow": t.allow,
        })
        .to_string();
        audit(
            &tx,
            t.tenant,
            &record(now, actor, "api_token.create", format!("api_token/{}", t.name), None, Some(shown)),
        )?;
        self.commit(tx)?;
        Ok(token)
    }

    pub fn api_token(&self, token: &str) -> Result<Option<ApiToken>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(API_TOKENS)?, super::sha256_hex(token).as_str())
    }

    /// A tenant's API tokens with their ids (the first 16 hex digits of the
    /// token's SHA-256: safe to show, the token has 192 random bits) and
    /// when each was last used. Tokens are few: this reads the table.
    pub fn api_tokens(&self, tenant: TenantId) -> Result<Vec<TokenRow>, StoreError> {
        let tx = self.read()?;
        let used = tx.open_table(API_TOKEN_USED)?;
        let mut out = Vec::new();
        for row in tx.open_table(API_TOKENS)?.iter()? {
            let (k, v) = row?;
            let t: ApiToken = super::codec::decode(v.value())?;
            if t.tenant == tenant {
                let digest = k.value().to_string();
                let last_used = used.get(digest.as_str())?.map(|v| v.value());
                out.push(TokenRow { id: digest[..16].to_string(), token: t, last_used });
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.token.created_at));
        Ok(out)
    }

    /// Revoke `tenant`'s token `id` (see [`Store::api_tokens`]): it stops
    /// working at once. Audited.
    pub fn revoke_api_token(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: &str,
    ) -> Result<ApiToken, StoreError> {
        let tx = self.write()?;
        let token = {
            let mut table = tx.open_table(API_TOKENS)?;
            let mut found = None;
            for row in table.iter()? {
                let (k, v) = row?;
                let t: ApiToken = super::codec::decode(v.value())?;
                if t.tenant == tenant && id.len() == 16 && k.value().starts_with(id) {
                    found = Some((k.value().to_string(), t));
                    break;
                }
            }
            let Some((digest, t)) = found else {
                return Err(StoreError::NotFound(format!("API token {id}")));
            };
            table.remove(digest.as_str())?;
            tx.open_table(API_TOKEN_USED)?.remove(digest.as_str())?;
            let shown = serde_json::json!({ "name": t.name, "role": t.role.as_str() }).to_string();
            audit(&tx, tenant, &record(now, actor, "api_token.revoke", format!("api_token/{id}"), Some(shown), None))?;
            t
        };
        self.commit(tx)?;
        Ok(token)
    }

    /// Note that `token` was used at `now` (callers throttle this).
    pub fn note_api_token_used(&self, token: &str, now: UnixTime) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(API_TOKEN_USED)?.insert(super::sha256_hex(token).as_str(), now)?;
        self.commit(tx)
    }

    pub fn remembered(&self, tenant: TenantId, key: &str) -> Result<Option<Remembered>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(IDEMPOTENCY)?, (tenant, key))
    }

    /// A customer from the API; with an Idempotency-Key, `answer` makes
    /// the response, and it is kept in the same transaction as the customer
    /// so that a retry gets the same answer and creates nothing.
    #[allow(clippy::too_many_arguments)] // the customer's fields and the key
    pub fn api_create_customer(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        reseller: Option<Id>,
        f: NewCustomerFields<'_>,
        key: Option<(&str, &str)>,
        answer: impl Fn(&Customer) -> String,
    ) -> Result<(Customer, String), StoreError> {
        let tx = self.write()?;
        let c = self.insert_customer(&tx, actor, now, tenant, f.name, f.phone, f.email, f.category)?;
        if let Some(r) = reseller {
            Store::own_customer(&tx, tenant, r, c.id)?;
        }
        let body = answer(&c);
        if let Some((key, request)) = key {
            let r = Remembered { status: 201, request: request.to_string(), body: body.clone() };
            tx.open_table(IDEMPOTENCY)?.insert((tenant, key), encode(&r).as_slice())?;
        }
        self.commit(tx)?;
        Ok((c, body))
    }

    /// Keep the first answer to a POST with an Idempotency-Key (for
    /// writes whose own transaction cannot hold it).
    pub fn remember(
        &self,
        tenant: TenantId,
        key: &str,
        status: u16,
        request: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let r = Remembered { status, request: request.to_string(), body: body.to_string() };
        let tx = self.write()?;
        tx.open_table(IDEMPOTENCY)?.insert((tenant, key), encode(&r).as_slice())?;
        self.commit(tx)
    }

    /// A service from the API, with the first answer kept under the
    /// Idempotency-Key in the same transaction.
    pub fn api_create_service(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        n: super::NewService,
        key: Option<(&str, &str)>,
        answer: impl Fn(&Service) -> String,
    ) -> Result<String, StoreError> {
        let tx = self.write()?;
        let service = self.insert_service_audited(&tx, actor, now, tenant, n)?;
        let body = answer(&service);
        if let Some((key, request)) = key {
            let r = Remembered { status: 201, request: request.to_string(), body: body.clone() };
            tx.open_table(IDEMPOTENCY)?.insert((tenant, key), encode(&r).as_slice())?;
        }
        self.commit(tx)?;
        Ok(body)
    }

    /// What renewing `service` with `plan` (its own when None) would cost
    /// now, and the wallet's balance; changes nothing (the API's preview).
    pub fn quote_renewal(
        &self,
        tenant: TenantId,
        service: Id,
        plan: Option<Id>,
        now: UnixTime,
    ) -> Result<(Service, Plan, super::billing::Priced, i64), StoreError> {
        let tx = self.read()?;
        let before: Service = get(&tx.open_table(SERVICES)?, (tenant, service))?
            .ok_or_else(|| StoreError::NotFound(format!("service {service}")))?;
        let plans = tx.open_table(PLANS)?;
        let plan_id = plan.unwrap_or(before.plan);
        let plan: Plan =
            get(&plans, (tenant, plan_id))?.ok_or_else(|| StoreError::NotFound(format!("plan {plan_id}")))?;
        let old_plan: Option<Plan> = get(&plans, (tenant, before.plan))?;
        let t: Tenant =
            get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))?;
        let zone = crate::clock::Clock::zone(&t.timezone);
        let priced = super::billing::price_renewal(&before, old_plan.as_ref(), &plan, &zone, now)?;
        let balance = tx.open_table(BALANCES)?.get((tenant, before.customer))?.map_or(0, |v| v.value());
        Ok((before, plan, priced, balance))
    }

    /// [`Store::set_service_status`], refused with `Stale`
    /// when `expect` (an If-Match) is not the stored service's tag.
    pub fn set_service_status_if(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        status: ServiceStatus,
        expect: Option<&str>,
    ) -> Result<Service, StoreError> {
        self.update_service(actor, now, tenant, username, "service.status", expect, |s| s.status = status)
    }
}
