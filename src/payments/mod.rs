//! Payments: M-Pesa Daraja (client, callbacks, reconciler) and vouchers.

pub mod mpesa;

pub mod engine;
pub mod vouchers;
