//! Clients.
use super::id;
use crate::Web;
use crate::error::ApiResult;
use crate::extract::Auth;
use atiende_core::Role;
use atiende_core::time::rfc3339;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn routes() -> Router<Web> {
    Router::new().route("/clients/{id}", get(show))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityOut {
    /// Channel of the identity (`api`, `email`, `whatsapp`…).
    pub kind: String,
    pub value: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientOut {
    pub id: i64,
    pub name: String,
    pub identities: Vec<IdentityOut>,
    pub influencer: bool,
    pub created_at: String,
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", responses((status = 200, body = ClientOut), (status = 404)))]
pub async fn show(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(cid): Path<String>,
) -> ApiResult<Json<ClientOut>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let (c, identities) = actor.reader(&web.app)?.client(id(&cid)?).await?;
    Ok(Json(ClientOut {
        id: c.id,
        name: c.name,
        identities: identities.into_iter().map(|(kind, value)| IdentityOut { kind, value }).collect(),
        influencer: c.influencer,
        created_at: rfc3339(c.created_at),
    }))
}
