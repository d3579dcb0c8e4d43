//! Payments: M-Pesa Daraja (client, callbacks, reconciler) and vouchers.

pub mod mpesa;
