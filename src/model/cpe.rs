//! Customer premises equipment (routers and ONUs at the customer's) and the
//! tenant's GenieACS (TR-069 ACS) settings: plain data and the PURE rules of
//! the inventory's states (in stock → installed on one service → returned
//! → in stock again), with their table tests.

use serde::{Deserialize, Serialize};

use super::{Id, Mac, Sealed, TenantId, UnixTime};

/// Where a tenant's GenieACS NBI (its REST API, port 7557) is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcsSettings {
    /// `http://acs.example:7557`, no trailing slash.
    pub base_url: String,
    /// HTTP basic authentication, when the NBI sits behind it.
    pub username: Option<String>,
    /// Sealed under `Purpose::AcsPassword`; never shown back.
    pub password: Option<Sealed>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpeState {
    InStock,
    Installed,
    Returned,
}

impl CpeState {
    pub fn as_str(self) -> &'static str {
        match self {
            CpeState::InStock => "in_stock",
            CpeState::Installed => "installed",
            CpeState::Returned => "returned",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpe {
    pub id: Id,
    pub tenant: TenantId,
    /// The device's serial number as it reports it to the ACS
    /// (`_deviceId._SerialNumber`); unique per tenant.
    pub serial: String,
    pub mac: Option<Mac>,
    pub model: String,
    pub state: CpeState,
    /// The service it is installed on (only while installed).
    pub service: Option<Id>,
    /// Wi-Fi name and key pushed with the PPPoE credentials (none: Wi-Fi
    /// is left as the device has it). The key is sealed under
    /// `Purpose::WifiKey`.
    pub wifi_ssid: Option<String>,
    pub wifi_key: Option<Sealed>,
    pub created_at: UnixTime,
    /// Last credentials push accepted by the ACS.
    pub provisioned_at: Option<UnixTime>,
    /// Last reboot or refresh asked for (the per-CPE rate limit).
    pub action_at: Option<UnixTime>,
}

/// What an operator does to a CPE's place in the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Install it on this service.
    Link(Id),
    /// Take it back from the customer.
    Return,
    /// Put a returned device back on the shelf.
    Restock,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("it is installed on service {0}: return it first")]
    InstalledElsewhere(Id),
    #[error("it is already installed on this service")]
    AlreadyThere,
    #[error("it was returned: put it back in stock first")]
    NotInStock,
    #[error("it is not installed")]
    NotInstalled,
    #[error("only a returned device goes back in stock")]
    NotReturned,
}

/// The state and service after `mv`, or why it is refused.
pub fn apply_move(state: CpeState, service: Option<Id>, mv: Move) -> Result<(CpeState, Option<Id>), MoveError> {
    use CpeState::*;
    match (state, mv) {
        (InStock, Move::Link(s)) => Ok((Installed, Some(s))),
        (Installed, Move::Link(s)) if service == Some(s) => Err(MoveError::AlreadyThere),
        (Installed, Move::Link(_)) => Err(MoveError::InstalledElsewhere(service.unwrap_or_default())),
        (Returned, Move::Link(_)) => Err(MoveError::NotInStock),
        (Installed, Move::Return) => Ok((Returned, None)),
        (_, Move::Return) => Err(MoveError::NotInstalled),
        (Returned, Move::Restock) => Ok((InStock, None)),
        (_, Move::Restock) => Err(MoveError::NotReturned),
    }
}

/// Reboots and refreshes asked for one CPE at most this often.
pub const ACTION_EVERY_SECS: i64 = 60;

/// None when an action may go now; else the seconds left to wait.
pub fn action_wait(last: Option<UnixTime>, now: UnixTime) -> Option<i64> {
    let last = last?;
    let left = last + ACTION_EVERY_SECS - now;
    (left > 0).then_some(left)
}

#[cfg(test)]
mod tests {
    use super::CpeState::*;
    use super::*;

    #[test]
    fn moves() {
        type Row = (CpeState, Option<Id>, Move, Result<(CpeState, Option<Id>), MoveError>);
        let table: &[Row] = &[
            (InStock, None, Move::Link(7), Ok((Installed, Some(7)))),
            (Installed, Some(7), Move::Link(8), Err(MoveError::InstalledElsewhere(7))),
            (Installed, Some(7), Move::Link(7), Err(MoveError::AlreadyThere)),
            (Returned, None, Move::Link(7), Err(MoveError::NotInStock)),
            (Installed, Some(7), Move::Return, Ok((Returned, None))),
            (InStock, None, Move::Return, Err(MoveError::NotInstalled)),
            (Returned, None, Move::Return, Err(MoveError::NotInstalled)),
            (Returned, None, Move::Restock, Ok((InStock, None))),
            (InStock, None, Move::Restock, Err(MoveError::NotReturned)),
            (Installed, Some(7), Move::Restock, Err(MoveError::NotReturned)),
        ];
        for (state, service, mv, want) in table {
            assert_eq!(&apply_move(*state, *service, *mv), want, "{state:?} {service:?} {mv:?}");
        }
    }

    #[test]
    fn one_action_a_minute() {
        assert_eq!(action_wait(None, 100), None);
        assert_eq!(action_wait(Some(100), 100), Some(60));
        assert_eq!(action_wait(Some(100), 159), Some(1));
        assert_eq!(action_wait(Some(100), 160), None);
    }
}
