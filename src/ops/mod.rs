//! The operations both front ends carry out: the command line (`src/cli/`,
//! also reached through the control socket) and the web (`src/web/`: admin
//! pages and the REST API). Each function takes the store, the time, the
//! actor for the audit record and typed arguments, and returns a typed
//! error; an error about one argument names it ([`OpError::Field`]) so a
//! form can show it next to its field and the command line can name its
//! option. Neither front end imports the other; both import this.

pub mod admins;
pub mod api_tokens;
pub mod backup;
pub mod cpe;
pub mod csv;
pub mod customer_check;
pub mod etims;
pub mod hotspot;
pub mod import;
pub mod journal;
pub mod metrics;
pub mod money;
pub mod mpesa;
pub mod noc;
pub mod notify;
pub mod plans;
pub mod privacy;
pub mod recovery;
pub mod report_usage;
pub mod report_view;
pub mod reports;
pub mod routers;
pub mod secrets;
pub mod services;
pub mod setup;
pub mod sms;
pub mod sync;
pub mod tenants;
pub mod time;
pub mod vouchers;
pub mod webhooks;
pub mod zip;

use std::fmt::Display;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// One argument is wrong. `field` is its name as a form field
    /// (`valid_for`); the command-line option is the same with dashes
    /// (`--valid-for`), which is how the message reads on a terminal.
    #[error("--{}: {message}", .field.replace('_', "-"))]
    Field { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something outside lango (a router, a payment provider) refused or
    /// could not be reached; the text says what and, where it matters,
    /// what was done before.
    #[error("{0}")]
    Refused(String),
}

impl OpError {
    pub fn field(field: &'static str, message: impl Display) -> Self {
        OpError::Field { field, message: message.to_string() }
    }

    /// The argument this error is about, with the message for it.
    pub fn about(&self) -> Option<(&'static str, &str)> {
        match self {
            OpError::Field { field, message } => Some((field, message)),
            OpError::Store(_) | OpError::Refused(_) => None,
        }
    }
}

/// `Result::map_err` into a field error, for the parse helpers' errors.
pub(crate) trait FieldResult<T> {
    fn field(self, field: &'static str) -> Result<T, OpError>;
}

impl<T, E: Display> FieldResult<T> for Result<T, E> {
    fn field(self, field: &'static str) -> Result<T, OpError> {
        self.map_err(|e| OpError::field(field, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_names_the_option_on_a_terminal_and_the_field_on_a_form() {
        let e = OpError::field("valid_for", "\"soon\" is not a duration");
        assert_eq!(e.to_string(), "--valid-for: \"soon\" is not a duration");
        assert_eq!(e.about(), Some(("valid_for", "\"soon\" is not a duration")));
        assert_eq!(OpError::from(StoreError::NotFound("plan x".into())).about(), None);
    }
}
