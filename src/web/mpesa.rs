//! Daraja's callbacks: STK results and C2B validation / confirmation, at
//! URLs carrying the tenant's unguessable token. Handlers only hand the
//! bytes to the payment engine, which stores them before answering.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

use super::WebState;
use crate::payments::engine::Answer;
use crate::store::StoreError;

fn answer(r: Result<Answer, StoreError>) -> Response {
    match r {
        Ok((status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(e) => {
            // Not stored, so not acknowledged: Daraja (or the reconciler) tries again.
            tracing::error!(error = %e, "could not store an M-Pesa callback");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
        }
    }
}

pub async fn stk(
    State(s): State<WebState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    answer(s.payments.on_stk_callback(&token, &peer.to_string(), &body).await)
}

pub async fn c2b_validation(
    State(s): State<WebState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    answer(s.payments.on_c2b_validation(&token, &peer.to_string(), &body).await)
}

pub async fn c2b_confirmation(
    State(s): State<WebState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    answer(s.payments.on_c2b_confirmation(&token, &peer.to_string(), &body).await)
}
