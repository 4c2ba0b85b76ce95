//! The OpenAPI document, generated from the handlers' annotations and the types they use.
use crate::api;
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Atiende API", description = "Omnichannel customer service. Errors: {\"error\": {code, message, field}} with a 4xx status."),
    paths(
        api::auth::login, api::auth::logout,
        api::accounts::create, api::accounts::list, api::accounts::show, api::accounts::update,
        api::accounts::inbound, api::accounts::set_agent, api::accounts::agents, api::accounts::queue,
        api::tickets::list, api::tickets::show, api::tickets::update, api::tickets::close, api::tickets::mass_close, api::tickets::reopen, api::tickets::assign,
        api::tickets::assignments, api::tickets::messages, api::tickets::reply,
        api::email::inbound_mime, api::email::validate, api::email::test_connection, api::email::attachment,
        api::clients::show,
        api::users::me, api::users::list, api::users::show, api::users::create, api::users::update,
        api::users::statuses, api::users::create_status, api::users::create_token, api::users::status_times,
        api::events::stream,
        api::schedules::create, api::schedules::list, api::schedules::show, api::schedules::replace,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::extract::SESSION_COOKIE))),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
