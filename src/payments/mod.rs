//! Payments: M-Pesa Daraja (client, callbacks, reconciler) and vouchers.

pub mod mpesa;

pub mod vouchers;
pub mod engine;
