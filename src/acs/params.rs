//! PURE: what lango asks of a GenieACS device and how it reads the answer.
//! The TR-098 (`InternetGatewayDevice.`) and TR-181 (`Device.`) parameter
//! paths of the PPPoE login and the Wi-Fi name and key, the NBI task bodies
//! (`setParameterValues`, `reboot`, `refreshObject`), the projection of a
//! device query, and a device document read into its state (online when
//! its last inform is recent, uptime, optical receive power where the
//! vendor reports it). Table tests below.

use serde_json::{Value, json};

use crate::model::UnixTime;

/// The device's data model, from the root its parameters hang under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataModel {
    /// TR-098: `InternetGatewayDevice.`
    Tr098,
    /// TR-181: `Device.`
    Tr181,
}

impl DataModel {
    pub fn of(doc: &Value) -> DataModel {
        if doc.get("InternetGatewayDevice").is_none() && doc.get("Device").is_some() {
            DataModel::Tr181
        } else {
            DataModel::Tr098
        }
    }

    pub fn pppoe_paths(self) -> (&'static str, &'static str) {
        match self {
            DataModel::Tr098 => (
                "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Username",
                "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Password",
            ),
            DataModel::Tr181 => ("Device.PPP.Interface.1.Username", "Device.PPP.Interface.1.Password"),
        }
    }

    pub fn wifi_paths(self) -> (&'static str, &'static str) {
        match self {
            DataModel::Tr098 => (
                "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
                "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase",
            ),
            DataModel::Tr181 => ("Device.WiFi.SSID.1.SSID", "Device.WiFi.AccessPoint.1.Security.KeyPassphrase"),
        }
    }

    /// The object a "refresh" re-reads (the whole tree).
    pub fn root(self) -> &'static str {
        match self {
            DataModel::Tr098 => "InternetGatewayDevice",
            DataModel::Tr181 => "Device",
        }
    }
}

const UPTIME: [&str; 2] = ["InternetGatewayDevice.DeviceInfo.UpTime", "Device.DeviceInfo.UpTime"];

/// Optical receive power as vendors report it: (path, divisor to dBm).
/// TR-181's `OpticalSignalLevel` is in thousandths of a dBm.
const RX_POWER: [(&str, f64); 4] = [
    ("InternetGatewayDevice.WANDevice.1.X_GponInterafceConfig.RXPower", 1.0),
    ("InternetGatewayDevice.WANDevice.1.X_ZTE-COM_WANPONInterfaceConfig.RXPower", 1.0),
    ("Device.Optical.Interface.1.OpticalSignalLevel", 1000.0),
    ("VirtualParameters.RXPower", 1.0),
];

/// A device counts as online when it informed this recently (GenieACS's
/// own UI uses five minutes for "online now").
pub const ONLINE_WITHIN_SECS: i64 = 300;

/// The `projection` of the device query: what the page and the push read.
pub fn projection() -> String {
    let mut p = vec!["_id", "_deviceId", "_lastInform", "InternetGatewayDevice.DeviceInfo", "Device.DeviceInfo"];
    p.extend(RX_POWER.iter().map(|(path, _)| *path));
    p.join(",")
}

/// The `query` finding a device by its serial number.
pub fn by_serial(serial: &str) -> String {
    json!({ "_deviceId._SerialNumber": serial }).to_string()
}

/// `setParameterValues` for the PPPoE login and the Wi-Fi, or None when
/// there is nothing to set.
pub fn provision_task(
    model: DataModel,
    pppoe: Option<(&str, &str)>,
    wifi: Option<(&str, Option<&str>)>,
) -> Option<Value> {
    let mut values = Vec::new();
    if let Some((user, pass)) = pppoe {
        let (u, p) = model.pppoe_paths();
        values.push(json!([u, user, "xsd:string"]));
        values.push(json!([p, pass, "xsd:string"]));
    }
    if let Some((ssid, key)) = wifi {
        let (s, k) = model.wifi_paths();
        values.push(json!([s, ssid, "xsd:string"]));
        if let Some(key) = key {
            values.push(json!([k, key, "xsd:string"]));
        }
    }
    (!values.is_empty()).then(|| json!({ "name": "setParameterValues", "parameterValues": values }))
}

pub fn reboot_task() -> Value {
    json!({ "name": "reboot" })
}

pub fn refresh_task(model: DataModel) -> Value {
    json!({ "name": "refreshObject", "objectName": model.root() })
}

/// What the page shows of a device.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceState {
    pub id: String,
    pub online: bool,
    pub last_inform: Option<UnixTime>,
    pub uptime_secs: Option<u64>,
    pub rx_dbm: Option<f64>,
}

/// A parameter's `_value` at a dotted path of the device document.
fn value_at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, part| v.get(part))?.get("_value")
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Read a device document (as GET /devices returns it) at `now`.
pub fn device_state(doc: &Value, now: UnixTime) -> DeviceState {
    let last_inform = doc
        .get("_lastInform")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second());
    let uptime_secs = UPTIME.iter().find_map(|p| value_at(doc, p).and_then(number)).map(|u| u.max(0.0) as u64);
    let rx_dbm = RX_POWER.iter().find_map(|(p, div)| value_at(doc, p).and_then(number).map(|v| v / div));
    DeviceState {
        id: doc.get("_id").and_then(Value::as_str).unwrap_or_default().to_string(),
        online: last_inform.is_some_and(|t| now - t <= ONLINE_WITHIN_SECS),
        last_inform,
        uptime_secs,
        rx_dbm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: Value) -> Value {
        json!({ "_value": x, "_type": "xsd:string" })
    }

    #[test]
    fn states() {
        // 2026-01-01T00:00:00Z
        let now = 1_767_225_600;
        let table = [
            (
                json!({"_id": "A-B-1", "_lastInform": "2025-12-31T23:58:00.000Z",
                    "InternetGatewayDevice": {"DeviceInfo": {"UpTime": v(json!(3600))},
                    "WANDevice": {"1": {"X_GponInterafceConfig": {"RXPower": v(json!("-21.5"))}}}}}),
                DeviceState {
                    id: "A-B-1".into(),
                    online: true,
                    last_inform: Some(now - 120),
                    uptime_secs: Some(3600),
                    rx_dbm: Some(-21.5),
                },
            ),
            (
                json!({"_id": "C-D-2", "_lastInform": "2025-12-31T23:00:00Z",
                    "Device": {"DeviceInfo": {"UpTime": v(json!("77"))},
                    "Optical": {"Interface": {"1": {"OpticalSignalLevel": v(json!(-19250))}}}}}),
                DeviceState {
                    id: "C-D-2".into(),
                    online: false,
                    last_inform: Some(now - 3600),
                    uptime_secs: Some(77),
                    rx_dbm: Some(-19.25),
                },
            ),
            (
                json!({"_id": "E"}),
                DeviceState { id: "E".into(), online: false, last_inform: None, uptime_secs: None, rx_dbm: None },
            ),
        ];
        for (doc, want) in table {
            assert_eq!(device_state(&doc, now), want, "{doc}");
        }
    }

    #[test]
    fn tasks() {
        let t = provision_task(DataModel::Tr098, Some(("u", "p")), Some(("net", Some("k")))).unwrap();
        let values = t["parameterValues"].as_array().unwrap();
        assert_eq!(t["name"], "setParameterValues");
        assert_eq!(values.len(), 4);
        assert_eq!(values[0][0], "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Username");
        assert_eq!(values[3][0], "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase");
        let t = provision_task(DataModel::Tr181, None, Some(("net", None))).unwrap();
        assert_eq!(t["parameterValues"], json!([["Device.WiFi.SSID.1.SSID", "net", "xsd:string"]]));
        assert_eq!(provision_task(DataModel::Tr181, None, None), None);
        assert_eq!(DataModel::of(&json!({"Device": {}})), DataModel::Tr181);
        assert_eq!(DataModel::of(&json!({"_id": "x"})), DataModel::Tr098);
        assert_eq!(refresh_task(DataModel::Tr181), json!({"name": "refreshObject", "objectName": "Device"}));
    }
}
