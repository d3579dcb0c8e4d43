//! Background jobs, each in its own file, each stopped by the shared
//! cancellation token.

pub mod backup;
pub mod cpe;
pub mod enforce;
pub mod etims;
pub mod housekeeping;
pub mod notify;
pub mod reports;
pub mod retention;
pub mod routers;
pub mod scheduler;
pub mod snmp;
pub mod webhooks;
