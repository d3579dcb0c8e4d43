//! RouterOS API credentials per NAS: one audited change per `set`, the
//! password sealed (and never in the audit record).

use std::net::IpAddr;

use super::codec::encode;
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, record};
use crate::model::{Id, Nas, RouterApi, TenantId, UnixTime};

/// What `lango routeros set` supplies; the password is sealed here.
#[derive(Clone)]
pub struct NewRouterApi {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub password: String,
    pub lango_address: Option<IpAddr>,
}

/// The record as the audit log shows it.
fn shown(r: &RouterApi) -> String {
    format!(
        "host={} port={} tls={} user={} lango_address={}",
        r.host,
        r.port,
        r.tls,
        r.username,
        r.lango_address.map_or_else(|| "-".into(), |a| a.to_string())
    )
}

impl Store {
    /// Store (or replace) how to reach NAS `nas`'s API.
    pub fn set_router_api(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        nas: Id,
        n: NewRouterApi,
    ) -> Result<RouterApi, StoreError> {
        if n.host.trim().is_empty() {
            return Err(StoreError::Invalid("the router's API host is empty".into()));
        }
        if n.username.is_empty() {
            return Err(StoreError::Invalid("the router's API user is empty".into()));
        }
        let tx = self.write()?;
        let api = {
            if get::<(u32, u64), Nas>(&tx.open_table(NAS)?, (tenant, nas))?.is_none() {
                return Err(StoreError::NotFound(format!("NAS {nas}")));
            }
            let mut table = tx.open_table(ROUTER_API)?;
            let before: Option<RouterApi> = get(&table, (tenant, nas))?;
            let api = RouterApi {
                tenant,
                nas,
                host: n.host,
                port: n.port,
                tls: n.tls,
                username: n.username,
                password: self.secrets.seal(Purpose::RouterApiPassword, n.password.as_bytes()),
                lango_address: n.lango_address.or(before.as_ref().and_then(|b| b.lango_address)),
            };
            table.insert((tenant, nas), encode(&api).as_slice())?;
            let password_changed = if before.is_some() { " (password replaced)" } else { "" };
            audit(
                &tx,
                tenant,
                &record(
                    now,
                    actor,
                    "routeros.set",
                    format!("nas/{nas}/routeros"),
                    before.as_ref().map(shown),
                    Some(format!("{}{password_changed}", shown(&api))),
                ),
            )?;
            api
        };
        self.commit(tx)?;
        Ok(api)
    }

    pub fn router_api(&self, tenant: TenantId, nas: Id) -> Result<Option<RouterApi>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(ROUTER_API)?, (tenant, nas))
    }

    /// The API password in clear, for logging in.
    pub fn router_api_password(&self, api: &RouterApi) -> Result<String, StoreError> {
        let plain = self.secrets.open(Purpose::RouterApiPassword, &api.password)?;
        String::from_utf8(plain).map_err(|_| StoreError::Corrupt { kind: "RouterApi", message: "password".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewNas;

    #[test]
    fn set_seals_the_password_audits_without_it_and_needs_the_nas() {
        let store = Store::in_memory().unwrap();
        let tenant = crate::model::Tenant {
            id: 0,
            slug: "isp".into(),
            name: "ISP".into(),
            timezone: "Africa/Nairobi".into(),
            currency: "KES".into(),
            captive_redirect: false,
            captive_rate_limit: "256k/256k".into(),
            captive_session_timeout: 300,
        };
        let t = store.create_tenant("t", 1, tenant).unwrap().id;
        let nas = store
            .create_nas(
                "t",
                1,
                t,
                NewNas {
                    name: "core".into(),
                    address: "10.0.0.1".parse().unwrap(),
                    prefix: 32,
                    secret: "radius-secret".into(),
                    require_message_authenticator: true,
                },
            )
            .unwrap();
        let input = NewRouterApi {
            host: "10.0.0.1".into(),
            port: 8729,
            tls: true,
            username: "lango".into(),
            password: "api-pass-123".into(),
            lango_address: None,
        };
        assert!(matches!(store.set_router_api("t", 2, t, nas.id + 99, input.clone()), Err(StoreError::NotFound(_))));
        let api = store.set_router_api("t", 2, t, nas.id, input).unwrap();
        assert!(!api.password.0.windows(12).any(|w| w == b"api-pass-123"));
        let read = store.router_api(t, nas.id).unwrap().unwrap();
        assert_eq!(read, api);
        assert_eq!(store.router_api_password(&read).unwrap(), "api-pass-123");
        assert!(store.secrets().open(Purpose::Password, &read.password).is_err(), "purpose is bound");
        let log = store.audit_log(t).unwrap();
        let last = log.last().unwrap();
        assert_eq!(last.action, "routeros.set");
        assert!(!format!("{last:?}").contains("api-pass-123"));
        assert_eq!(store.router_api(t, nas.id + 1).unwrap(), None);
    }
}
