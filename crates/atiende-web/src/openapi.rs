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
        api::accounts::inbound, api::accounts::set_agent, api::accounts::agents, api::accounts::identity_secret, api::accounts::put_logo, api::accounts::sync_templates, api::tickets::context, api::tickets::post_tickets, api::accounts::publish, api::accounts::delete_logo, api::accounts::queue,
        api::tickets::list, api::tickets::show, api::tickets::update, api::tickets::close, api::tickets::mass_close, api::tickets::reopen, api::tickets::assign,
        api::tickets::assignments, api::tickets::messages, api::tickets::reply,
        api::email::inbound_mime, api::email::validate, api::email::test_connection, api::email::attachment,
        api::quarantine::list, api::quarantine::download, api::quarantine::retry, api::quarantine::delete,
        api::clients::show,
        api::users::me, api::users::list, api::users::show, api::users::create, api::users::update,
        api::users::statuses, api::users::create_status, api::users::create_token, api::users::status_times,
        api::events::stream,
        crate::public_chat::new_visitor, crate::public_chat::send, crate::public_chat::list, crate::public_chat::contact, crate::public_chat::send_file, crate::public_chat::download, crate::public_chat::login_start, crate::public_chat::login_callback, crate::public_chat::logo, crate::webhooks::meta_verify, crate::webhooks::meta,
        api::schedules::create, api::schedules::list, api::schedules::show, api::schedules::replace,
    ),
    modifiers(&Security, &Roles, &Contract),
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

/// Who may call each operation, declared in the document as `x-roles` (an empty list: no
/// credentials needed). The roles test calls every operation of the document as each role
/// and checks the answer against this, so an endpoint cannot ship without its roles.
const ROLES: &[(&str, &str, &[&str])] = {
    const ALL: &[&str] = &["admin", "agent", "analyst"];
    const WORK: &[&str] = &["admin", "agent"];
    const ADMIN: &[&str] = &["admin"];
    &[
        ("post", "/auth/login", &[]),
        ("post", "/auth/logout", &[]),
        // The public chat client API: a widget token (and a visitor token), no user.
        ("post", "/public/v1/chat/{token}/visitors", &[]),
        ("post", "/public/v1/chat/{token}/messages", &[]),
        ("get", "/public/v1/chat/{token}/messages", &[]),
        ("post", "/public/v1/chat/{token}/contact", &[]),
        ("post", "/public/v1/chat/{token}/files", &[]),
        ("get", "/public/v1/chat/{token}/attachments/{id}", &[]),
        ("get", "/public/v1/chat/{token}/login/{provider}", &[]),
        ("get", "/public/v1/chat/login/callback", &[]),
        ("get", "/public/v1/chat/{token}/logo", &[]),
        // Meta's webhook: its signature (the deployment's app secret), no user.
        ("get", "/webhooks/meta", &[]),
        ("post", "/webhooks/meta", &[]),
        ("post", "/api/v1/accounts", ADMIN),
        ("get", "/api/v1/accounts", ALL),
        ("get", "/api/v1/accounts/{id}", ALL),
        ("patch", "/api/v1/accounts/{id}", ADMIN),
        ("post", "/api/v1/accounts/{id}/inbound", ADMIN),
        ("put", "/api/v1/accounts/{id}/agents/{user_id}", ADMIN),
        ("get", "/api/v1/accounts/{id}/agents", ADMIN),
        ("post", "/api/v1/accounts/{id}/identity-secret", ADMIN),
        ("put", "/api/v1/accounts/{id}/chat/logo", ADMIN),
        ("delete", "/api/v1/accounts/{id}/chat/logo", ADMIN),
        ("post", "/api/v1/accounts/{id}/whatsapp/templates/sync", ADMIN),
        // Admins only when the page's `admins_only_posts` is on.
        ("post", "/api/v1/accounts/{id}/posts", WORK),
        ("get", "/api/v1/assignment/queue", ADMIN),
        ("post", "/api/v1/accounts/{id}/inbound/mime", ADMIN),
        ("post", "/api/v1/accounts/{id}/validate", ADMIN),
        ("post", "/api/v1/accounts/{id}/test-connection", ADMIN),
        ("get", "/api/v1/accounts/{id}/held", ADMIN),
        ("get", "/api/v1/accounts/{id}/held/{held_id}", ADMIN),
        ("delete", "/api/v1/accounts/{id}/held/{held_id}", ADMIN),
        ("post", "/api/v1/accounts/{id}/held/{held_id}/retry", ADMIN),
        ("get", "/api/v1/attachments/{id}", ALL),
        ("get", "/api/v1/clients/{id}", ALL),
        ("get", "/api/v1/events", ALL),
        ("post", "/api/v1/schedules", ADMIN),
        ("get", "/api/v1/schedules", ALL),
        ("get", "/api/v1/schedules/{id}", ALL),
        ("put", "/api/v1/schedules/{id}", ADMIN),
        ("get", "/api/v1/tickets", ALL),
        ("get", "/api/v1/tickets/{id}", ALL),
        ("patch", "/api/v1/tickets/{id}", WORK),
        ("post", "/api/v1/tickets/{id}/close", WORK),
        ("post", "/api/v1/tickets/mass-close", WORK),
        ("post", "/api/v1/tickets/{id}/reopen", WORK),
        ("post", "/api/v1/tickets/{id}/assign", WORK),
        ("get", "/api/v1/tickets/{id}/assignments", ALL),
        ("get", "/api/v1/tickets/{id}/messages", ALL),
        ("post", "/api/v1/tickets/{id}/messages", WORK),
        ("get", "/api/v1/messages/{id}/context", ALL),
        ("put", "/api/v1/messages/{id}/post-tickets", ADMIN),
        ("get", "/api/v1/me", ALL),
        ("get", "/api/v1/users", ALL),
        ("get", "/api/v1/users/{id}", ALL),
        ("post", "/api/v1/users", ADMIN),
        // Another user's; everyone may change their own connection status.
        ("patch", "/api/v1/users/{id}", ADMIN),
        ("get", "/api/v1/connection-statuses", ALL),
        ("post", "/api/v1/connection-statuses", ADMIN),
        ("post", "/api/v1/tokens", ALL),
        // Another user's; everyone may read their own.
        ("get", "/api/v1/users/{id}/status-times", &["admin", "analyst"]),
    ]
};

/// A path's operations by method.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> [(&'static str, &mut Option<utoipa::openapi::path::Operation>); 5] {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
}

/// The roles declared for an operation (`None`: not an operation of the document).
pub fn declared_roles(method: &str, path: &str) -> Option<&'static [&'static str]> {
    ROLES.iter().find(|(m, p, _)| *m == method && *p == path).map(|r| r.2)
}

/// Operations that also let any user act on themselves (the handler checks whose it is).
const OWN: &[(&str, &str)] = &[("patch", "/api/v1/users/{id}"), ("get", "/api/v1/users/{id}/status-times")];

pub fn own_allowed(method: &str, path: &str) -> bool {
    OWN.iter().any(|(m, p)| *m == method && *p == path)
}

struct Roles;

impl Modify for Roles {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::extensions::ExtensionsBuilder;
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = operations(item);
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                // An operation without declared roles is listed with none known, and the
                // roles test fails on it.
                let roles = ROLES.iter().find(|(m, p, _)| *m == method && p == path).map(|r| r.2);
                let value = roles.map(|r| serde_json::json!(r)).unwrap_or(serde_json::Value::Null);
                let ext = ExtensionsBuilder::new().add("x-roles", value).build();
                match op.extensions.as_mut() {
                    Some(e) => e.merge(ext),
                    None => op.extensions = Some(ext),
                }
            }
        }
    }
}

/// What every operation shares, declared once: its path parameters (ids are integers), the
/// error document, and the error answers it can give — 401/403 when it needs roles, 404 when
/// it names a resource, 400/413/415/422 when it takes a body.
struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let error = ObjectBuilder::new()
            .property(
                "error",
                ObjectBuilder::new()
                    .property("code", text())
                    .property("message", text())
                    .property(
                        "field",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some("The offending field, when there is one")),
                    )
                    .required("code")
                    .required("message"),
            )
            .required("error")
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .schemas
            .insert("Error".into(), RefOr::T(error.into()));
        let answer = |why: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(why)
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build(),
                    )
                    .build(),
            )
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let names: Vec<String> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_string)
                .collect();
            let ops = operations(item);
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let params = op.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    if !params.iter().any(|p| &p.name == name && p.parameter_in == ParameterIn::Path) {
                        params.push(
                            ParameterBuilder::new()
                                .name(name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .description(Some(format!("The {} (an integer)", name.replace('_', " "))))
                                .schema(Some(
                                    ObjectBuilder::new()
                                        .schema_type(Type::Integer)
                                        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                                            utoipa::openapi::KnownFormat::Int64,
                                        )))
                                        .minimum(Some(1)),
                                ))
                                .build(),
                        );
                    }
                }
                let roles = ROLES.iter().find(|(m, p, _)| *m == method && p == path).map(|r| r.2);
                let mut errors: Vec<(&str, &str)> = Vec::new();
                if roles.is_some_and(|r| !r.is_empty()) {
                    errors.push(("401", "No credentials, or not valid ones"));
                    errors.push(("403", "The caller's roles do not allow this (or a CSRF token is missing)"));
                }
                if !names.is_empty() {
                    errors.push(("404", "No such resource in the caller's organization"));
                }
                if matches!(method, "post" | "put" | "patch") {
                    errors.push(("400", "The body is not valid JSON (or not UTF-8)"));
                    errors.push(("413", "The body is over its limit"));
                    errors.push(("415", "Wrong Content-Type"));
                    errors.push(("422", "A field is not valid: `error.field` names it"));
                }
                for (code, why) in errors {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| answer(why));
                }
            }
        }
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
