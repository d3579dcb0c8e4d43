//! Everything that knows KRA eTIMS's OSCU API (the Online Sales Control
//! Unit, from KRA's published OSCU specification): device initialisation
//! (`POST /selectInitOsdcInfo` with the taxpayer's PIN `tin`, the branch
//! `bhfId` and the device serial `dvcSrlNo`, answered with the control
//! unit's `sdcId`, `mrcNo` and the communication key `cmcKey` every later
//! call carries). Every answer is `{resultCd, resultMsg, resultDt, data}`;
//! `resultCd` "000" is success, anything else a refusal with its message.
//! Errors never carry the communication key.

pub mod sales;

use std::time::Duration;

use serde_json::Value;

/// What device initialisation returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitInfo {
    /// The control unit's id (`sdcId`).
    pub sdc_id: String,
    /// The machine registration code (`mrcNo`).
    pub mrc_no: String,
    /// The communication key (`cmcKey`), a secret.
    pub cmc_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OscuError {
    #[error("eTIMS at {0} cannot be reached: {1}")]
    Unreachable(String, String),
    #[error("eTIMS refused: {code} {message}")]
    Refused { code: String, message: String },
    #[error("eTIMS answered HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Bad(String),
}

/// One OSCU endpoint.
pub struct Oscu {
    base: String,
    http: reqwest::Client,
}

impl Oscu {
    pub fn new(base_url: &str, timeout: Duration) -> Result<Oscu, OscuError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(OscuError::Bad(format!("eTIMS URL {base:?} must start with https://")));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .user_agent(concat!("lango/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OscuError::Bad(e.to_string()))?;
        Ok(Oscu { base, http })
    }

    /// POST `body` to `/<operation>`; the `data` of a "000" answer.
    async fn call(&self, operation: &str, headers: &[(&str, &str)], body: &Value) -> Result<Value, OscuError> {
        let mut r = self
            .http
            .post(format!("{}/{operation}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp =
            r.send().await.map_err(|e| OscuError::Unreachable(self.base.clone(), e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(OscuError::Status(status));
        }
        parse_answer(&text)
    }

    /// Initialise the device: its control unit's id and communication key.
    pub async fn init(&self, tin: &str, bhf_id: &str, serial: &str) -> Result<InitInfo, OscuError> {
        let body = serde_json::json!({"tin": tin, "bhfId": bhf_id, "dvcSrlNo": serial});
        let data = self.call("selectInitOsdcInfo", &[], &body).await?;
        let info = &data["info"];
        let field = |k: &str| info[k].as_str().map(str::to_string);
        match (field("sdcId"), field("mrcNo"), field("cmcKey")) {
            (Some(sdc_id), Some(mrc_no), Some(cmc_key)) if !cmc_key.is_empty() => {
                Ok(InitInfo { sdc_id, mrc_no, cmc_key })
            }
            _ => Err(OscuError::Bad("eTIMS initialised the device but sent no sdcId, mrcNo or cmcKey".into())),
        }
    }
}

impl Oscu {
    /// Send one sales transaction (`saveTrnsSalesOsdc`, with the device's
    /// `tin`, `bhfId` and `cmcKey` headers): the control unit's data.
    pub async fn save_sales(
        &self,
        s: &crate::model::EtimsSettings,
        cmc_key: &str,
        body: &Value,
        now: crate::model::UnixTime,
    ) -> Result<crate::model::EtimsReceipt, OscuError> {
        let headers = [("tin", s.tin.as_str()), ("bhfId", s.branch.as_str()), ("cmcKey", cmc_key)];
        let data = self.call("saveTrnsSalesOsdc", &headers, body).await?;
        let text = |k: &str| data[k].as_str().map(str::to_string);
        match (data["rcptNo"].as_u64(), text("rcptSign"), text("intrlData")) {
            (Some(rcpt_no), Some(rcpt_sign), Some(intrl_data)) => Ok(crate::model::EtimsReceipt {
                sdc_id: text("sdcId").unwrap_or_else(|| s.sdc_id.clone()),
                rcpt_no,
                rcpt_sign,
                intrl_data,
                tin: s.tin.clone(),
                branch: s.branch.clone(),
                at: now,
            }),
            _ => Err(OscuError::Bad("eTIMS took the sale but sent no rcptNo, rcptSign or intrlData".into())),
        }
    }
}

/// `{resultCd, resultMsg, data}`: the data of a "000", else the refusal.
pub fn parse_answer(text: &str) -> Result<Value, OscuError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| OscuError::Bad(format!("eTIMS sent an answer lango cannot read: {e}")))?;
    let code = v["resultCd"].as_str().unwrap_or_default().to_string();
    if code == "000" {
        return Ok(v["data"].clone());
    }
    let message = v["resultMsg"].as_str().unwrap_or("no message").chars().take(200).collect();
    Err(OscuError::Refused { code, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read() {
        let ok = r#"{"resultCd":"000","resultMsg":"It is succeeded","resultDt":"20261208010101","data":{"info":{"sdcId":"KRACU0100000001"}}}"#;
        assert_eq!(parse_answer(ok).unwrap()["info"]["sdcId"], "KRACU0100000001");
        let no = r#"{"resultCd":"901","resultMsg":"It is not valid device.","data":null}"#;
        match parse_answer(no) {
            Err(OscuError::Refused { code, message }) => {
                assert_eq!((code.as_str(), message.as_str()), ("901", "It is not valid device."))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_answer("<html>"), Err(OscuError::Bad(_))));
    }
}
