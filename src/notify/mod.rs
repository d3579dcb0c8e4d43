//! Messages to customers: SMS through Africa's Talking (login codes).
//! SMTP mail arrives here later.

pub mod sms;
