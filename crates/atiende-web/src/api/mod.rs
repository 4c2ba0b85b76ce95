//! `/api/v1`: one module per resource.
pub mod accounts;
pub mod auth;
pub mod clients;
pub mod email;
pub mod events;
pub mod quarantine;
pub mod schedules;
pub mod tickets;
pub mod users;

use crate::Web;
use crate::error::ApiError;
use axum::Router;
use axum::routing::get;
use std::collections::HashMap;

pub fn routes(max_message_bytes: usize) -> Router<Web> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .merge(accounts::routes())
        .merge(email::routes(max_message_bytes))
        .merge(quarantine::routes())
        .merge(tickets::routes(max_message_bytes))
        .merge(clients::routes())
        .merge(users::routes())
        .merge(events::routes())
        .merge(schedules::routes())
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
}

/// Query parameters, parsed one by one so that errors name the parameter.
pub struct Params(pub HashMap<String, String>);

impl Params {
    pub fn i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.0
            .get(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse::<i64>().map_err(|_| ApiError::invalid(name, "must be an integer")))
            .transpose()
    }
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name).map(String::as_str) {
            None | Some("") => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }
    /// An RFC 3339 instant.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.str(name)
            .map(|v| {
                atiende_core::time::parse_rfc3339(v).ok_or_else(|| {
                    ApiError::invalid(name, "must be an RFC 3339 date and time, e.g. 2026-11-25T09:00:00Z")
                })
            })
            .transpose()
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
    /// `limit`: 1 to 200, 50 when absent.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.i64("limit")? {
            None => Ok(50),
            Some(n) if (1..=200).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid("limit", "must be from 1 to 200")),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<HashMap<String, String>>(q).map(Params).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("the query string is malformed: {e}"),
            )
        })
    }
}

/// A path id: positive integer, else 404 (an id that cannot exist is not found).
pub fn id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(ApiError::not_found)
}
