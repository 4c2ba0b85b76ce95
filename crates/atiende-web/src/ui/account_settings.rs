//! The settings every account has (SPEC §4.1–4.3, §6, §7), edited section by section:
//! quality of service, automatic actions, general options (with business hours and
//! assignment). Each section is its own form; saving one merges only its keys, through
//! the same use case as `PATCH /api/v1/accounts/{id}` — so the same checks, and a bad
//! value is shown next to its field with nothing stored.
use super::admin::Errors;
use super::channels;
use super::{Chrome, Form, Page, UiError, read_form, render};
use crate::Web;
use askama::Template;
use atiende_app::accounts as acc_uc;
use atiende_core::settings::REPLY_ACTIONS;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

pub struct ReplyForm {
    pub key: &'static str,
    pub enabled: bool,
    pub texts: [String; 3],
}

/// A message of the account that could not be stored, held for the admins.
pub struct HeldLine {
    pub id: i64,
    pub when: String,
    pub source: String,
    pub reason: String,
    pub size: String,
}

pub struct ScheduleOption {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin_account_settings.html")]
pub(crate) struct SettingsPage {
    c: Chrome,
    tab: &'static str,
    id: i64,
    name: String,
    kind: String,
    saved: bool,
    sla_amount: String,
    sla_unit: String,
    close_enabled: bool,
    close_amount: String,
    close_unit: String,
    replies: Vec<ReplyForm>,
    keywords: String,
    notify_mode: String,
    notify_emails: String,
    create_ignored: bool,
    admins_only_posts: bool,
    schedule_id: i64,
    schedules: Vec<ScheduleOption>,
    assign_mode: String,
    relationship: bool,
    /// The kind's own section (rendered by its screens in `ui/channels`).
    channel_section: String,
    /// Messages that could not be stored (shown first: they need the admin).
    held: Vec<HeldLine>,
    e: Errors,
}

impl SettingsPage {
    /// The error of a section's field, matched on the settings path's start.
    fn under(&self, form: &str, prefix: &str) -> &str {
        if self.e.form == form && self.e.field.starts_with(prefix) { &self.e.message } else { "" }
    }
}

/// Splits a delay in seconds into the largest whole unit.
fn split_delay(seconds: i64) -> (String, &'static str) {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => ((s / 86_400).to_string(), "days"),
        s if s > 0 && s % 3_600 == 0 => ((s / 3_600).to_string(), "hours"),
        s => ((s / 60).max(1).to_string(), "minutes"),
    }
}

pub(crate) fn list_text(v: &Value) -> String {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
}

async fn settings_page(
    web: &Web,
    page: &Page,
    id: i64,
    saved: bool,
    e: Errors,
) -> Result<SettingsPage, UiError> {
    settings_page_with(web, page, id, saved, None, e).await
}

/// The settings page; `test`: the answer of the kind's connection test, when one just ran.
pub(crate) async fn settings_page_with(
    web: &Web,
    page: &Page,
    id: i64,
    saved: bool,
    test: Option<Value>,
    e: Errors,
) -> Result<SettingsPage, UiError> {
    page.actor.require_admin()?;
    let c = page.chrome(web).await?;
    let a = page.actor.reader(&web.app)?.account(id).await?;
    let s: Value = a.settings.json().clone();
    let aa = &s["auto_actions"];
    let (close_amount, close_unit) =
        split_delay(aa["close_if_no_reply"]["after_seconds"].as_i64().unwrap_or(86_400));
    let replies = REPLY_ACTIONS
        .iter()
        .map(|k| {
            let texts = aa[*k]["texts"].as_array().cloned().unwrap_or_default();
            let t = |i: usize| texts.get(i).and_then(Value::as_str).unwrap_or("").to_string();
            ReplyForm {
                key: k,
                enabled: aa[*k]["enabled"].as_bool().unwrap_or(false),
                texts: [t(0), t(1), t(2)],
            }
        })
        .collect();
    let schedules = page
        .actor
        .reader(&web.app)?
        .schedules()
        .await?
        .into_iter()
        .map(|s| ScheduleOption { id: s.id, name: s.name })
        .collect();
    let accounts: Vec<_> =
        page.actor.reader(&web.app)?.accounts().await?.into_iter().map(|a| (a.id, a.name, a.kind)).collect();
    let channel_section = match channels::screens(a.kind) {
        Some(screens) => {
            let data = screens.section_data(web, a.id).await?;
            let ctx = channels::SectionContext { test: test.as_ref(), accounts: &accounts, data: &data };
            screens
                .settings_section(&c, &channels::AccountView::of(web, &a), &e, &ctx)
                .map_err(|e| UiError::App(atiende_app::AppError::Internal(e.to_string())))?
        }
        None => String::new(),
    };
    let held = atiende_app::quarantine::list(&web.app, &page.actor, id)
        .await?
        .into_iter()
        .map(|h| HeldLine {
            id: h.id,
            when: super::datetime(h.created_at),
            source: h.source,
            reason: h.reason,
            size: super::human_size(h.size),
        })
        .collect();
    let mut p = SettingsPage {
        c,
        tab: "accounts",
        id,
        name: a.name.clone(),
        kind: a.kind.to_string(),
        saved,
        sla_amount: s["sla"]["amount"].as_i64().map(|v| v.to_string()).unwrap_or_default(),
        sla_unit: s["sla"]["unit"].as_str().unwrap_or("minutes").to_string(),
        close_enabled: aa["close_if_no_reply"]["enabled"].as_bool().unwrap_or(false),
        close_amount,
        close_unit: close_unit.to_string(),
        replies,
        keywords: list_text(&s["general"]["important_keywords"]),
        notify_mode: s["general"]["notifications"]["mode"].as_str().unwrap_or("off").to_string(),
        notify_emails: list_text(&s["general"]["notifications"]["emails"]),
        create_ignored: s["general"]["create_ignored"].as_bool().unwrap_or(false),
        admins_only_posts: s["general"]["admins_only_posts"].as_bool().unwrap_or(false),
        schedule_id: s["schedule_id"].as_i64().unwrap_or(0),
        schedules,
        assign_mode: s["assignment"]["mode"].as_str().unwrap_or("arrival_order").to_string(),
        relationship: s["assignment"]["prioritize_relationship"].as_bool().unwrap_or(false),
        channel_section,
        held,
        e,
    };
    // A refused form shows again as it was sent.
    if !p.e.form.is_empty() {
        let v = |k: &str| p.e.values.get(k).cloned().unwrap_or_default();
        let on = |k: &str| p.e.values.contains_key(k);
        match p.e.form.as_str() {
            "quality" => (p.sla_amount, p.sla_unit) = (v("sla_amount"), v("sla_unit")),
            "actions" => {
                (p.close_enabled, p.close_amount, p.close_unit) =
                    (on("close_enabled"), v("close_amount"), v("close_unit"));
                for r in &mut p.replies {
                    r.enabled = on(&format!("{}_enabled", r.key));
                    r.texts = [0, 1, 2].map(|i| v(&format!("{}_text_{i}", r.key)));
                }
            }
            _ => {
                (p.keywords, p.notify_mode, p.notify_emails) =
                    (v("keywords"), v("notify_mode"), v("notify_emails"));
                (p.create_ignored, p.admins_only_posts, p.relationship) =
                    (on("create_ignored"), on("admins_only_posts"), on("prioritize_relationship"));
                (p.schedule_id, p.assign_mode) = (v("schedule_id").parse().unwrap_or(0), v("assign_mode"));
            }
        }
    }
    Ok(p)
}

pub async fn show(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    q: axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, UiError> {
    Ok(render(
        StatusCode::OK,
        &settings_page(&web, &page, id, q.contains_key("saved"), Errors::default()).await?,
    ))
}

/// A comma- or line-separated list, blanks dropped.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The settings patch of one section, from its form. Numbers that do not read are sent
/// as text, so the common checks name the field.
fn section_patch(section: &str, f: &Form) -> Option<Value> {
    let number = |s: &str| s.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(s.trim()));
    Some(match section {
        "quality" => {
            let amount = f.get("sla_amount").trim();
            if amount.is_empty() {
                json!({"sla": null})
            } else {
                json!({"sla": {"amount": number(amount), "unit": f.get("sla_unit")}})
            }
        }
        "actions" => {
            let mut a = serde_json::Map::new();
            let enabled = !f.get("close_enabled").is_empty();
            let unit = match f.get("close_unit") {
                "days" => 86_400,
                "hours" => 3_600,
                _ => 60,
            };
            let after = f
                .get("close_amount")
                .trim()
                .parse::<i64>()
                .map(|n| json!(n.saturating_mul(unit)))
                .unwrap_or_else(|_| json!(f.get("close_amount")));
            a.insert(
                "close_if_no_reply".into(),
                if enabled {
                    json!({"enabled": true, "after_seconds": after})
                } else {
                    json!({"enabled": false})
                },
            );
            for k in REPLY_ACTIONS {
                let texts: Vec<&str> = (0..3)
                    .map(|i| f.get(&format!("{k}_text_{i}")))
                    .filter(|t| !t.trim().is_empty())
                    .collect();
                a.insert(
                    k.into(),
                    json!({"enabled": !f.get(&format!("{k}_enabled")).is_empty(), "texts": texts}),
                );
            }
            json!({"auto_actions": a})
        }
        "general" => {
            let schedule = f.get("schedule_id").trim().parse::<i64>().ok().filter(|id| *id > 0);
            json!({
                "general": {
                    "important_keywords": split_list(f.get("keywords")),
                    "notifications": {"mode": f.get("notify_mode"), "emails": split_list(f.get("notify_emails"))},
                    "create_ignored": !f.get("create_ignored").is_empty(),
                    "admins_only_posts": !f.get("admins_only_posts").is_empty(),
                },
                "schedule_id": schedule,
                "assignment": {"mode": f.get("assign_mode"), "prioritize_relationship": !f.get("prioritize_relationship").is_empty()},
            })
        }
        _ => return None,
    })
}

pub async fn save(
    State(web): State<Web>,
    page: Page,
    Path((id, section)): Path<(i64, String)>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let kind = page.actor.reader(&web.app)?.account(id).await?.kind;
    // The common sections, or the kind's own (named after the kind).
    let patch = match section_patch(&section, &form) {
        Some(p) => Some(p),
        None if kind == section.as_str() => channels::screens(kind).and_then(|s| s.section_patch(&form)),
        None => None,
    };
    let Some(patch) = patch else {
        return Err(UiError::App(atiende_app::AppError::NotFound));
    };
    match acc_uc::update(&web.app, &page.actor, id, None, Some(patch)).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/accounts/{id}/settings?saved={section}#{section}"))
                .into_response())
        }
        Err(e) => {
            let e = Errors::from_app(&section, e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &settings_page(&web, &page, id, false, e).await?))
        }
    }
}

/// "Try again" and "Delete" on a held message.
pub async fn held_action(
    State(web): State<Web>,
    page: Page,
    Path((id, held_id, action)): Path<(i64, i64, String)>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let done = match action.as_str() {
        "retry" => atiende_app::quarantine::retry(&web.app, &page.actor, id, held_id).await,
        "delete" => atiende_app::quarantine::delete(&web.app, &page.actor, id, held_id).await,
        _ => return Err(UiError::App(atiende_app::AppError::NotFound)),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/admin/accounts/{id}/settings?saved=held#held")).into_response()),
        Err(e) => {
            let e = Errors::from_app("held", e, &form, page.tr)?;
            Ok(render(StatusCode::CONFLICT, &settings_page(&web, &page, id, false, e).await?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn sections_become_settings_patches() {
        assert_eq!(
            section_patch("quality", &form(&[("sla_amount", "15"), ("sla_unit", "minutes")])),
            Some(json!({"sla": {"amount": 15, "unit": "minutes"}}))
        );
        assert_eq!(section_patch("quality", &form(&[("sla_amount", " ")])), Some(json!({"sla": null})));
        assert_eq!(
            section_patch("quality", &form(&[("sla_amount", "x"), ("sla_unit", "minutes")])).unwrap()["sla"]
                ["amount"],
            "x"
        );
        let a = section_patch(
            "actions",
            &form(&[
                ("close_enabled", "on"),
                ("close_amount", "2"),
                ("close_unit", "hours"),
                ("new_client_enabled", "on"),
                ("new_client_text_0", "Hola"),
                ("new_client_text_1", " "),
            ]),
        )
        .unwrap();
        assert_eq!(a["auto_actions"]["close_if_no_reply"], json!({"enabled": true, "after_seconds": 7200}));
        assert_eq!(a["auto_actions"]["new_client"], json!({"enabled": true, "texts": ["Hola"]}));
        assert_eq!(a["auto_actions"]["no_agent"], json!({"enabled": false, "texts": []}));
        let g = section_patch(
            "general",
            &form(&[
                ("keywords", "urgente, reclamo\nSERNAC"),
                ("notify_mode", "all"),
                ("notify_emails", "a@x.cl"),
                ("schedule_id", "0"),
                ("assign_mode", "awaiting_answer"),
            ]),
        )
        .unwrap();
        assert_eq!(g["general"]["important_keywords"], json!(["urgente", "reclamo", "SERNAC"]));
        assert_eq!(g["schedule_id"], Value::Null);
        assert_eq!(section_patch("nope", &form(&[])), None);
        assert_eq!(split_delay(7200), ("2".into(), "hours"));
        assert_eq!(split_delay(172_800), ("2".into(), "days"));
        assert_eq!(split_delay(90), ("1".into(), "minutes"));
    }
}
