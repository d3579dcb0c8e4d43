//! A tenant's KRA eTIMS OSCU settings: where the OSCU API is, the
//! taxpayer's PIN, the branch and the device serial, and what device
//! initialisation returned (the control unit's id and registration code,
//! and the communication key, sealed). Absent: eTIMS is off (the default).

use serde::{Deserialize, Serialize};

use super::Sealed;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtimsSettings {
    /// `https://etims-api-sbx.kra.go.ke/etims-api`, no trailing slash.
    pub url: String,
    /// The taxpayer's KRA PIN (`tin`).
    pub tin: String,
    /// The branch id (`bhfId`), "00" for the head office.
    pub branch: String,
    /// The OSCU device serial number KRA approved (`dvcSrlNo`).
    pub serial: String,
    /// The control unit's id (`sdcId`) from initialisation.
    pub sdc_id: String,
    /// The machine registration code (`mrcNo`).
    pub mrc_no: String,
    /// The communication key (`cmcKey`), sealed under
    /// `Purpose::EtimsCmcKey`; never shown back.
    pub cmc_key: Sealed,
}
