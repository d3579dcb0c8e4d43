//! M-Pesa via Safaricom's Daraja API: the HTTP client (`client`), the callbacks Daraja sends us
//! (`callback`), phone-number normalisation (`phone`), errors in plain words (`error`) and the
//! exact JSON shapes (`wire`).

pub mod callback;
pub mod client;
pub mod error;
pub mod phone;
pub mod wire;

pub use callback::{
    C2bKind, C2bNotice, C2bRejectReason, CONFIRMATION_OK, CallbackError, STK_CALLBACK_ACK, StkCallback, StkResult,
    VALIDATION_ACCEPT, parse_c2b, parse_stk_callback, validation_reject,
};
pub use client::{
    C2bAccepted, C2bResponseType, C2bUrls, Credentials, Daraja, PRODUCTION_URL, SANDBOX_URL, ShortcodeKind,
    StkAccepted, StkRequest, StkStatus, nairobi_timestamp, stk_password,
};
pub use error::{DarajaError, result_message};
pub use phone::{Msisdn, PhoneError};
