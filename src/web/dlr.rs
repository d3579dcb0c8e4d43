//! Delivery reports posted by an SMS gateway (Africa's Talking posts a form
//! with `id` and `status` to the URL set in its dashboard):
//! `POST /sms/dlr/{token}`, the token being the tenant's unguessable
//! `dlr_token` shown on the notification settings page. A wrong token is
//! 404; a report for an unknown message is acknowledged and ignored (the
//! gateway would otherwise retry it for ever).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::WebState;
use crate::notify::Delivery;

pub async fn report(State(s): State<WebState>, Path(token): Path<String>, body: Bytes) -> Response {
    let store = s.portal.store.clone();
    let now = s.portal.clock.now();
    let done = tokio::task::spawn_blocking(move || -> Result<StatusCode, crate::store::StoreError> {
        let Some(tenant) = store.tenant_by_dlr_token(&token)? else { return Ok(StatusCode::NOT_FOUND) };
        let (id, delivery) = match crate::notify::sms::parse_delivery_report(&body) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "SMS delivery report refused");
                return Ok(StatusCode::BAD_REQUEST);
            }
        };
        let result = match delivery {
            Delivery::Pending => return Ok(StatusCode::OK),
            Delivery::Delivered => Ok(()),
            Delivery::Failed(why) => Err(why),
        };
        store.message_delivery(tenant, "africastalking", &id, result, now, None)?;
        Ok(StatusCode::OK)
    })
    .await;
    match done {
        Ok(Ok(code)) => code.into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "SMS delivery report");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "SMS delivery report");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
