//! Business-hours schedules through the API: validation naming the field, storage,
//! isolation between organizations, and the computed opening times.
use atiende_testkit::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn schedules_are_checked_stored_and_computed() {
    let t = spawn_app().await;
    let week = json!({"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
        "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]], "sat": [["22:00", "02:00"]]});
    let r = t.post("/api/v1/schedules", json!({"name": "Oficina", "time_zone": "America/Santiago", "days": week, "holidays": ["2026-12-25"]})).await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["days"]["mon"][1], json!(["14:00", "18:00"]));
    let next = s["next_opening"].as_str().expect("a next opening");
    let next: jiff::Timestamp = next.parse().unwrap();
    let local = jiff::tz::TimeZone::get("America/Santiago").unwrap().to_datetime(next);
    if s["open_now"] == json!(false) {
        let t = (local.hour(), local.minute());
        assert!([(9, 0), (14, 0), (22, 0)].contains(&t), "opens at a block start, not {local}");
        assert!(next > jiff::Timestamp::now());
        assert!(next < jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 4));
    }

    // Bad input: 422 naming the field, nothing stored.
    let cases = [
        (json!({"name": "x", "time_zone": "Mars/Base"}), "time_zone"),
        (json!({"name": "x", "time_zone": "UTC", "days": {"lun": [["09:00", "10:00"]]}}), "days.lun"),
        (json!({"name": "x", "time_zone": "UTC", "days": {"mon": [["09:00", "25:00"]]}}), "days.mon[0]"),
        (json!({"name": "x", "time_zone": "UTC", "days": {"mon": [["09:00"]]}}), "days.mon[0]"),
        (json!({"name": "x", "time_zone": "UTC", "holidays": ["2026-13-01"]}), "holidays[0]"),
        (json!({"name": " ", "time_zone": "UTC"}), "name"),
        (json!({"name": "x", "time_zone": "UTC", "color": "red"}), ""),
    ];
    for (body, field) in cases {
        let r = t.post("/api/v1/schedules", body.clone()).await;
        let status = r.status().as_u16();
        let b: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{body} → {b}");
        if !field.is_empty() {
            assert_eq!(b["error"]["field"], json!(field), "{body} → {b}");
        }
    }
    let r = t.post("/api/v1/schedules", json!({"name": "Oficina", "time_zone": "UTC"})).await;
    assert_eq!(r.status(), 409, "names are unique per organization");
    assert_eq!(t.get_json("/api/v1/schedules").await["items"].as_array().unwrap().len(), 1);

    // A schedule without hours has no next opening; replacing works; agents read, never write.
    let id = s["id"].as_i64().unwrap();
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/schedules/{id}"),
            &t.token,
            Some(json!({"name": "Cerrado", "time_zone": "Europe/Madrid"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(
        (s["open_now"].clone(), s["next_opening"].clone(), s["time_zone"].clone()),
        (json!(false), Value::Null, json!("Europe/Madrid"))
    );
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    assert_eq!(t.call(Method::GET, &format!("/api/v1/schedules/{id}"), &agent, None).await.status(), 200);
    assert_eq!(
        t.call(Method::POST, "/api/v1/schedules", &agent, Some(json!({"name": "y", "time_zone": "UTC"})))
            .await
            .status(),
        403
    );
    // Accounts refer to a schedule of their organization only.
    let acc = t.api_account(json!({"schedule_id": id})).await;
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["schedule_id"], json!(id));
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &t.token,
            Some(json!({"settings": {"schedule_id": 999_999}})),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], json!("settings.schedule_id"));
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &t.token,
            Some(json!({"settings": {"schedule_id": "x"}})),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["schedule_id"],
        json!(id),
        "nothing changed"
    );
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &t.token,
            Some(json!({"settings": {"schedule_id": null}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Another organization sees nothing.
    let other = t.user("Other", "admin@other.test", &["admin"]).await;
    assert_eq!(t.call(Method::GET, &format!("/api/v1/schedules/{id}"), &other, None).await.status(), 404);
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/schedules/{id}"),
            &other,
            Some(json!({"name": "z", "time_zone": "UTC"})),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = t
        .call(
            Method::POST,
            "/api/v1/accounts",
            &other,
            Some(json!({"kind": "api", "name": "O", "settings": {"schedule_id": id}})),
        )
        .await;
    assert_eq!(r.status(), 422, "another organization's schedule cannot be referenced");
    t.stop().await;
}
