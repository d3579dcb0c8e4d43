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

/// What the control unit returned for one sales document
/// (`saveTrnsSalesOsdc`), printed on the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtimsReceipt {
    /// The control unit (`sdcId`) and its receipt number (`rcptNo`): the
    /// CU invoice number is `<sdcId>/<rcptNo>`.
    pub sdc_id: String,
    pub rcpt_no: u64,
    /// The receipt signature (`rcptSign`) and internal data (`intrlData`).
    pub rcpt_sign: String,
    pub intrl_data: String,
    /// The taxpayer's PIN and branch it was signed for (the QR's link).
    pub tin: String,
    pub branch: String,
    pub at: super::UnixTime,
}

impl EtimsReceipt {
    pub fn cu_invoice_no(&self) -> String {
        format!("{}/{}", self.sdc_id, self.rcpt_no)
    }

    /// KRA's receipt check link (what the QR code holds).
    pub fn check_url(&self) -> String {
        format!(
            "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data={}{}{}",
            self.tin, self.branch, self.rcpt_sign
        )
    }
}
