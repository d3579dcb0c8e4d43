//! Everything that knows GenieACS's northbound interface (the NBI, its
//! REST API on port 7557): finding a device by serial number (`GET
//! /devices?query=…&projection=…`) and giving it a task (`POST
//! /devices/<id>/tasks?connection_request&timeout=…`: 200 when the device
//! carried it out in a session the connection request opened, 202 when the
//! ACS keeps it for the device's next inform, 404 for an unknown device).
//! No other module builds an NBI request. Errors never carry the password
//! (it travels only in the Authorization header).

pub mod params;

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

/// One tenant's NBI, with its credentials opened.
pub struct Nbi {
    base: Url,
    auth: Option<(String, String)>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum NbiError {
    #[error("GenieACS at {0} cannot be reached: {1}")]
    Unreachable(String, String),
    #[error("GenieACS answered {0}: {1}")]
    Status(u16, String),
    #[error("GenieACS knows no device with serial number {0:?} (has it informed yet?)")]
    NoDevice(String),
    #[error("{0}")]
    Bad(String),
}

/// How a task went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskOutcome {
    /// 200: the device carried it out now.
    Done,
    /// 202: the ACS holds it for the device's next session (the words
    /// GenieACS gave, e.g. "Task queued but not processed").
    Queued(String),
}

/// How long a task waits for the device to answer a connection request.
const DEVICE_WAIT_MS: u64 = 3000;

impl Nbi {
    /// A client for `base_url`; `timeout` bounds each whole request.
    pub fn new(base_url: &str, auth: Option<(String, String)>, timeout: Duration) -> Result<Nbi, NbiError> {
        let base = Url::parse(base_url.trim_end_matches('/'))
            .map_err(|e| NbiError::Bad(format!("GenieACS URL {base_url:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .user_agent(concat!("lango/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NbiError::Bad(e.to_string()))?;
        Ok(Nbi { base, auth, http })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut u = self.base.clone();
        if let Ok(mut p) = u.path_segments_mut() {
            p.pop_if_empty().extend(segments);
        }
        u
    }

    fn authed(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        }
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> Result<(u16, String), NbiError> {
        let resp = self
            .authed(r)
            .send()
            .await
            .map_err(|e| NbiError::Unreachable(self.base.to_string(), e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let reason = resp.status().canonical_reason().unwrap_or_default().to_string();
        let body = resp.text().await.unwrap_or_default();
        Ok((status, if body.trim().is_empty() { reason } else { body }))
    }

    /// The device document of the device with this serial number (the
    /// projection of `params::projection`), None when GenieACS has none.
    pub async fn find(&self, serial: &str) -> Result<Option<Value>, NbiError> {
        let mut url = self.url(&["devices"]);
        url.query_pairs_mut()
            .append_pair("query", &params::by_serial(serial))
            .append_pair("projection", &params::projection());
        let (status, body) = self.send(self.http.get(url)).await?;
        if status != 200 {
            return Err(NbiError::Status(status, short(&body)));
        }
        let docs: Vec<Value> = serde_json::from_str(&body)
            .map_err(|e| NbiError::Bad(format!("GenieACS sent a device list lango cannot read: {e}")))?;
        Ok(docs.into_iter().next())
    }

    /// Give device `id` a task, asking the ACS to open a session with it
    /// now (connection request) and wait a little for the outcome.
    pub async fn task(&self, id: &str, task: &Value) -> Result<TaskOutcome, NbiError> {
        let mut url = self.url(&["devices", id, "tasks"]);
        url.set_query(Some(&format!("connection_request&timeout={DEVICE_WAIT_MS}")));
        let req = self.http.post(url).header("Content-Type", "application/json").body(task.to_string());
        let resp = self
            .authed(req)
            .send()
            .await
            .map_err(|e| NbiError::Unreachable(self.base.to_string(), e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let reason = resp.status().canonical_reason().unwrap_or_default().to_string();
        match status {
            200 => Ok(TaskOutcome::Done),
            202 => Ok(TaskOutcome::Queued(reason)),
            404 => Err(NbiError::NoDevice(id.to_string())),
            _ => Err(NbiError::Status(status, short(&resp.text().await.unwrap_or(reason)))),
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}
