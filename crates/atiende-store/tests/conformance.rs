//! The store's conformance suite: every store function, on the backend chosen by
//! `ATIENDE_TEST_BACKEND` (sqlite by default, or postgres); CI runs both.
use atiende_core::{AuthorKind, Direction};
use atiende_store::ingest::{NoReactions, Outcome, store_batch};
use atiende_store::messages::NewMessage;
use atiende_store::tickets::{AssigneeFilter, TicketFilter};
use atiende_store::users::{NewUser, UserPatch};
use atiende_store::*;
use serde_json::json;

mod common;
use common::{inbound, org_user_account};

/// The suite's database, closed at the end of each test.
struct TestDb {
    db: Db,
    _keep: atiende_testkit::TestDb,
}

async fn open() -> TestDb {
    let (db, keep) = common::open().await;
    TestDb { db, _keep: keep }
}

impl TestDb {
    async fn close(self) {
        self.db.close().await;
    }
}

#[tokio::test]
async fn organizations_users_statuses_tokens_and_sessions() {
    let t = open().await;
    let db = &t.db;
    let (org, user, _) = org_user_account(db, "api").await;
    assert_eq!(orgs::get(db, org).await.unwrap().name, "Acme");
    assert_eq!(orgs::by_name(db, "Acme").await.unwrap().unwrap().id, org);
    assert!(orgs::by_name(db, "Nope").await.unwrap().is_none());
    let u = users::get(db, org, user).await.unwrap();
    assert!(u.is_first && u.active);
    let statuses = users::statuses(db, org).await.unwrap();
    assert_eq!(statuses.len(), 4);
    assert_eq!(u.connection_status_id, Some(statuses[3].id), "new users start Offline");
    // An address is unique within an organization; another organization may have it too.
    let new_user = |org_id| NewUser {
        org_id,
        email: "a@acme.test",
        password_hash: None,
        first_name: "",
        last_name: "",
        phone: "",
        department: "",
        language: "en",
        roles: "agent",
    };
    let mut tx = db.begin().await.unwrap();
    let dup = users::create(&mut tx, &new_user(org), 2).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "twice in one organization");
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let other = orgs::create(&mut tx, "Globex", 2).await.unwrap();
    let elsewhere = users::create(&mut tx, &new_user(other), 2).await.unwrap();
    tx.commit().await.unwrap();
    assert!(users::get(db, other, user).await.is_err(), "scoped by organization");
    let both: Vec<i64> = users::with_email(db, "a@acme.test").await.unwrap().iter().map(|u| u.id).collect();
    assert_eq!(both, [user, elsewhere]);
    assert_eq!(users::by_email(db, other, "a@acme.test").await.unwrap().unwrap().id, elsewhere);
    assert_eq!(users::list(db, org, 0, 10).await.unwrap().len(), 1);
    // Status changes are logged with their duration.
    let mut tx = db.begin().await.unwrap();
    users::update(
        &mut tx,
        org,
        user,
        &UserPatch {
            connection_status_id: Some(statuses[0].id),
            language: Some("en".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    users::set_status(&mut tx, org, user, statuses[1].id, 25).await.unwrap();
    tx.commit().await.unwrap();
    let log = inspect::int_rows(
        db,
        "SELECT connection_status_id, started_at, ended_at FROM user_status_log WHERE user_id = $1 ORDER BY id",
        &[user],
    )
    .await
    .unwrap();
    assert_eq!(
        log,
        vec![
            vec![Some(statuses[3].id), Some(1), Some(10)],
            vec![Some(statuses[0].id), Some(10), Some(25)],
            vec![Some(statuses[1].id), Some(25), None]
        ]
    );
    // Time per status over a window: clipped at both ends; the current one counts up to `to`.
    let mut times = users::status_times(db, user, 5, 40).await.unwrap();
    times.sort();
    let mut want = vec![(statuses[3].id, 5), (statuses[0].id, 15), (statuses[1].id, 15)];
    want.sort();
    assert_eq!(times, want);
    assert_eq!(users::get(db, org, user).await.unwrap().language, "en");
    let s = users::create_status(db, org, "Meeting", false).await.unwrap();
    assert_eq!(users::status(db, org, s).await.unwrap().name, "Meeting");
    assert!(matches!(users::create_status(db, org, "Meeting", true).await, Err(StoreError::Conflict(_))));
    // Tokens and sessions.
    users::create_token(db, user, "hash-1", "cli", 1).await.unwrap();
    assert_eq!(users::by_token_hash(db, "hash-1").await.unwrap().unwrap().id, user);
    assert!(users::by_token_hash(db, "hash-2").await.unwrap().is_none());
    users::create_session(db, "s1", user, "csrf", 1, 100).await.unwrap();
    users::create_session(db, "s2", user, "csrf2", 1, 100).await.unwrap();
    assert_eq!(users::by_session(db, "s1", 50).await.unwrap().unwrap().1, "csrf");
    assert!(users::by_session(db, "s1", 100).await.unwrap().is_none(), "expired");
    assert_eq!(users::delete_session(db, "s1").await.unwrap(), Some((user, 1)));
    assert_eq!(users::delete_session(db, "s2").await.unwrap(), Some((user, 0)));
    assert_eq!(users::delete_session(db, "s2").await.unwrap(), None);
    // Deactivated users' tokens stop working.
    let mut tx = db.begin().await.unwrap();
    users::update(&mut tx, org, user, &UserPatch { active: Some(false), ..Default::default() }, 30)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(users::by_token_hash(db, "hash-1").await.unwrap().is_none());
    t.close().await;
}

#[tokio::test]
async fn accounts_and_agent_modes() {
    let t = open().await;
    let db = &t.db;
    let (org, user, acc) = org_user_account(db, "api").await;
    accounts::update(db, org, acc, "Renamed", "{\"a\":1}", Some(b"sealed"), 5).await.unwrap();
    let a = accounts::get(db, org, acc).await.unwrap();
    assert_eq!(
        (a.name.as_str(), a.settings.json(), a.secrets.as_deref(), a.updated_at),
        ("Renamed", &json!({"a": 1}), Some(&b"sealed"[..]), 5)
    );
    assert_eq!(accounts::get_any(db, acc).await.unwrap().id, acc);
    assert!(matches!(accounts::get(db, org + 1, acc).await, Err(StoreError::NotFound)));
    assert!(matches!(
        accounts::update(db, org + 1, acc, "x", "{}", None, 6).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(accounts::list(db, org).await.unwrap().len(), 1);
    assert_eq!(accounts::agent_mode(db, acc, user).await.unwrap(), None);
    let mut tx = db.begin().await.unwrap();
    assign::set_mode(&mut tx, acc, user, "manual").await.unwrap();
    assign::set_mode(&mut tx, acc, user, "auto").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(accounts::agent_mode(db, acc, user).await.unwrap().as_deref(), Some("auto"));
    t.close().await;
}

#[tokio::test]
async fn ingest_batches_dedupe_and_keep_one_open_ticket_per_client() {
    let t = open().await;
    let db = &t.db;
    let (org, _, acc) = org_user_account(db, "api").await;
    let batch = vec![
        inbound(org, acc, "m1", "ana"),
        inbound(org, acc, "m2", "ana"),
        inbound(org, acc, "m1", "ana"), // repeated inside the same batch
        inbound(org, acc, "m3", "beto"),
    ];
    let out: Vec<Outcome> =
        store_batch(db, &batch, 100, &NoReactions).await.into_iter().map(Result::unwrap).collect();
    let Outcome::Stored { message_id: m1, ticket_id: t1, ticket_created: true, client_created: true } =
        out[0]
    else {
        panic!("{:?}", out[0])
    };
    assert!(
        matches!(out[1], Outcome::Stored { ticket_id, ticket_created: false, client_created: false, .. } if ticket_id == t1)
    );
    assert_eq!(out[2], Outcome::Duplicate { message_id: m1, ticket_id: t1 });
    let Outcome::Stored { ticket_id: t3, .. } = out[3] else { panic!() };
    assert_ne!(t1, t3);
    let tk = tickets::get(db, org, t1).await.unwrap();
    assert_eq!(
        (tk.number, tk.state.as_str(), tk.awaiting_answer, tk.waiting_since),
        (1, "open", true, Some(100))
    );
    assert_eq!(tickets::get(db, org, t3).await.unwrap().number, 2);
    let (client, created) = {
        let mut tx = db.begin().await.unwrap();
        let r = clients::find_or_create(&mut tx, org, "api", "ana", "Ana", 5).await.unwrap();
        tx.commit().await.unwrap();
        r
    };
    assert!(!created);
    assert_eq!(client, tk.client_id);
    assert_eq!(clients::get(db, org, client).await.unwrap().name, "ana");
    assert_eq!(clients::identities(db, client).await.unwrap(), vec![("api".to_string(), "ana".to_string())]);
    // A closed ticket never takes a new message.
    let mut tx = db.begin().await.unwrap();
    tickets::close(&mut tx, org, t1, None, 200).await.unwrap();
    tx.commit().await.unwrap();
    let out = store_batch(db, &[inbound(org, acc, "m4", "ana")], 300, &NoReactions).await;
    let Ok(Outcome::Stored { ticket_id, ticket_created: true, .. }) = out[0] else { panic!() };
    assert_ne!(ticket_id, t1);
    // A bad item (unknown account) fails alone; the rest of its batch lands.
    let out = store_batch(
        db,
        &[inbound(org, 999_999, "x", "zed"), inbound(org, acc, "m5", "ana")],
        400,
        &NoReactions,
    )
    .await;
    assert!(out[0].is_err());
    assert!(out[1].is_ok());
    t.close().await;
}

#[tokio::test]
async fn tickets_list_close_assign_and_messages() {
    let t = open().await;
    let db = &t.db;
    let (org, user, acc) = org_user_account(db, "api").await;
    for (i, c) in ["a", "b", "c", "d"].iter().enumerate() {
        store_batch(db, &[inbound(org, acc, &format!("m{i}"), c)], 100 + i as i64, &NoReactions).await;
    }
    let all = tickets::list(db, org, &TicketFilter::default(), None, 10).await.unwrap();
    assert_eq!(all.iter().map(|t| t.number).collect::<Vec<_>>(), [4, 3, 2, 1]);
    let page = tickets::list(db, org, &TicketFilter::default(), Some((all[1].updated_at, all[1].id)), 10)
        .await
        .unwrap();
    assert_eq!(page.iter().map(|t| t.number).collect::<Vec<_>>(), [2, 1]);
    let first = all[3].clone();
    let mut tx = db.begin().await.unwrap();
    let assigned =
        tickets::assign(&mut tx, org, first.id, Some(user), Some(user), "by hand", 500).await.unwrap();
    assert_eq!((assigned.assignee_id, assigned.updated_at), (Some(user), 500));
    let same = tickets::assign(&mut tx, org, first.id, Some(user), Some(user), "again", 600).await.unwrap();
    assert_eq!(same.updated_at, 500, "no change, no history");
    tx.commit().await.unwrap();
    let h = tickets::assignments(db, first.id).await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].user_id, h[0].previous_user_id, h[0].reason.as_str(), h[0].at),
        (Some(user), None, "by hand", 500)
    );
    let mine = TicketFilter { assignee: Some(AssigneeFilter::User(user)), ..Default::default() };
    assert_eq!(tickets::list(db, org, &mine, None, 10).await.unwrap().len(), 1);
    let none =
        TicketFilter { assignee: Some(AssigneeFilter::None), account_id: Some(acc), ..Default::default() };
    assert_eq!(tickets::list(db, org, &none, None, 10).await.unwrap().len(), 3);
    assert_eq!(tickets::list(db, org + 1, &TicketFilter::default(), None, 10).await.unwrap().len(), 0);
    // A reply: facts updated, delivery queued once.
    let mut tx = db.begin().await.unwrap();
    let tk = tickets::get_tx(&mut tx, org, first.id).await.unwrap();
    let (m, after) = messages::append(
        &mut tx,
        &tk,
        &NewMessage {
            direction: Direction::Out,
            author: AuthorKind::Agent,
            author_user_id: Some(user),
            text: "hola",
            html: None,
            external_id: None,
            deliver: true,
            auto_action: None,
            metadata: None,
        },
        700,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (after.addressed, after.addressed_at, after.awaiting_answer, after.updated_at),
        (true, Some(700), false, 700)
    );
    assert_eq!(m.delivery.as_deref(), Some("pending"));
    assert_eq!(messages::list(db, org, first.id, 0, 10).await.unwrap().len(), 2);
    assert_eq!(messages::get(db, m.id).await.unwrap().text, "hola");
    let mut tx = db.begin().await.unwrap();
    let sent = messages::set_delivery(&mut tx, m.id, "sent", None, Some("ext-9"), 800).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (sent.delivery.as_deref(), sent.sent_at, sent.delivery_attempts, sent.external_id.as_deref()),
        (Some("sent"), Some(800), 1, Some("ext-9"))
    );
    let mut tx = db.begin().await.unwrap();
    let closed = tickets::close(&mut tx, org, first.id, Some(user), 900).await.unwrap();
    let again = tickets::close(&mut tx, org, first.id, Some(user), 950).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((closed.state.as_str(), closed.closed_at), ("closed", Some(900)));
    assert_eq!(again.closed_at, Some(900));
    assert_eq!(tickets::count(db, org).await.unwrap(), 4);
    t.close().await;
}

#[tokio::test]
async fn jobs_are_leased_retried_and_completed_once() {
    let t = open().await;
    let db = &t.db;
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, "deliver", "{\"message_id\":1}", Some("deliver:1"), 100).await.unwrap();
    jobs::enqueue(&mut tx, "deliver", "{\"message_id\":1}", Some("deliver:1"), 100).await.unwrap();
    jobs::enqueue(&mut tx, "deliver", "{\"message_id\":2}", Some("deliver:2"), 500).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::depth(db).await.unwrap(), vec![("deliver".to_string(), 2)]);
    let a = jobs::claim(db, "a", 100, 1000, 10).await.unwrap();
    assert_eq!(a.len(), 1, "one due, deduplicated");
    assert_eq!(a[0].attempts, 1);
    assert!(jobs::claim(db, "b", 200, 1000, 10).await.unwrap().is_empty(), "leased by a");
    // The lease runs out: b takes it over, and a can no longer complete it.
    let b = jobs::claim(db, "b", 1200, 1000, 10).await.unwrap();
    assert_eq!(b.iter().map(|j| j.attempts).collect::<Vec<_>>(), [2, 1]);
    let mut tx = db.begin().await.unwrap();
    assert!(!jobs::complete(&mut tx, a[0].id, "a").await.unwrap());
    tx.commit().await.unwrap();
    jobs::retry(db, b[0].id, "b", 5000, "HTTP 503").await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(jobs::complete(&mut tx, b[1].id, "b").await.unwrap());
    tx.commit().await.unwrap();
    assert!(jobs::claim(db, "c", 4000, 1000, 10).await.unwrap().is_empty(), "not due before its retry time");
    let c = jobs::claim(db, "c", 5000, 1000, 10).await.unwrap();
    assert_eq!((c.len(), c[0].attempts), (1, 3));
    t.close().await;
}

#[tokio::test]
async fn events_are_read_in_order_per_organization_and_pruned() {
    let t = open().await;
    let db = &t.db;
    let mut tx = db.begin().await.unwrap();
    events::record(&mut tx, 1, "ticket.created", Some(1), None, &serde_json::json!({"n": 1}), 10)
        .await
        .unwrap();
    events::record(&mut tx, 2, "ticket.created", Some(2), None, &serde_json::json!({"n": 2}), 20)
        .await
        .unwrap();
    events::record(&mut tx, 1, "message.created", Some(1), Some(5), &serde_json::json!({"n": 3}), 30)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = events::after(db, 0, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["ticket.created", "ticket.created", "message.created"]
    );
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(events::max_id(db).await.unwrap(), all[2].id);
    let org1 = events::after_for_org(db, 1, all[0].id, 10).await.unwrap();
    assert_eq!(org1.len(), 1);
    assert_eq!(org1[0].message_id, Some(5));
    assert_eq!(events::prune(db, 25).await.unwrap(), 2);
    assert_eq!(events::after(db, 0, 10).await.unwrap().len(), 1);
    t.close().await;
}

#[tokio::test]
async fn column_filters_sorts_counts_and_columns() {
    use atiende_core::board::ColumnSort;
    let t = open().await;
    let db = &t.db;
    let (org, user, acc) = org_user_account(db, "api").await;
    let other = accounts::create(db, org, "email", "Mail", "{}", None, "active", 1).await.unwrap();
    // Four tickets: created at 100..400; names with a LIKE wildcard in one.
    for (i, c) in ["ana", "bea_x", "carla", "Dora%"].iter().enumerate() {
        let a = if i == 3 { other } else { acc };
        store_batch(db, &[inbound(org, a, &format!("m{i}"), c)], 100 * (i as i64 + 1), &NoReactions).await;
    }
    let all = tickets::list(db, org, &TicketFilter::default(), None, 10).await.unwrap();
    let by_name = |n: usize| all.iter().find(|t| t.number == n as i64).unwrap().clone();
    // Touch ticket 1 last, tag ticket 2, pin ticket 3.
    let mut tx = db.begin().await.unwrap();
    tickets::set_flag(&mut tx, org, by_name(1).id, tickets::FlagChange::Important(false), None, 900)
        .await
        .unwrap();
    tickets::set_tags(&mut tx, org, by_name(2).id, &["vip".into(), "Billing".into()], 200).await.unwrap();
    let t3 = tickets::set_flag(&mut tx, org, by_name(3).id, tickets::FlagChange::Important(true), None, 300)
        .await
        .unwrap();
    let answer = NewMessage {
        direction: Direction::Out,
        author: AuthorKind::Agent,
        author_user_id: Some(user),
        text: "hola",
        html: None,
        external_id: None,
        deliver: false,
        auto_action: None,
        metadata: None,
    };
    messages::append(&mut tx, &t3, &answer, 300).await.unwrap();
    tx.commit().await.unwrap();
    let numbers = |rows: Vec<tickets::TicketRow>| rows.iter().map(|t| t.number).collect::<Vec<_>>();
    let list = |f: TicketFilter| async move { numbers(tickets::list(db, org, &f, None, 10).await.unwrap()) };

    assert_eq!(list(TicketFilter::default()).await, [1, 4, 3, 2], "updated, newest first");
    assert_eq!(list(TicketFilter { sort: ColumnSort::UpdatedAsc, ..Default::default() }).await, [2, 3, 4, 1]);
    assert_eq!(
        list(TicketFilter { sort: ColumnSort::CreatedDesc, ..Default::default() }).await,
        [4, 3, 2, 1]
    );
    assert_eq!(list(TicketFilter { sort: ColumnSort::CreatedAsc, ..Default::default() }).await, [1, 2, 3, 4]);
    assert_eq!(list(TicketFilter { kinds: vec!["email".into()], ..Default::default() }).await, [4]);
    assert_eq!(list(TicketFilter { account_ids: vec![acc], ..Default::default() }).await, [1, 3, 2]);
    assert_eq!(list(TicketFilter { client_text: Some("CAR".into()), ..Default::default() }).await, [3]);
    assert_eq!(
        list(TicketFilter { client_text: Some("a_x".into()), ..Default::default() }).await,
        [2],
        "_ is literal"
    );
    assert_eq!(
        list(TicketFilter { client_text: Some("%".into()), ..Default::default() }).await,
        [4],
        "% is literal"
    );
    assert_eq!(list(TicketFilter { tags: vec!["billing".into()], ..Default::default() }).await, [2]);
    assert_eq!(
        list(TicketFilter { tags: vec!["vip".into(), "nope".into()], ..Default::default() }).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        list(TicketFilter { important: Some(true), addressed: Some(true), ..Default::default() }).await,
        [3]
    );
    assert_eq!(list(TicketFilter { addressed: Some(false), ..Default::default() }).await, [1, 4, 2]);
    assert_eq!(list(TicketFilter { created: (Some(200), Some(400)), ..Default::default() }).await, [3, 2]);
    assert_eq!(list(TicketFilter { updated: (Some(850), None), ..Default::default() }).await, [1]);
    assert_eq!(
        list(TicketFilter { assignee: Some(AssigneeFilter::Anyone), ..Default::default() }).await,
        Vec::<i64>::new()
    );
    // Overdue: waiting since before the deadline of its account (tickets 1-3 on `acc` waited
    // since 100, 200, 300; ticket 4 on `other` since 400).
    assert_eq!(list(TicketFilter { overdue: Some(vec![(acc, 250)]), ..Default::default() }).await, [1, 2]);
    assert_eq!(
        list(TicketFilter { overdue: Some(vec![(acc, 150), (other, 450)]), ..Default::default() }).await,
        [1, 4]
    );
    assert_eq!(
        list(TicketFilter { overdue: Some(vec![]), ..Default::default() }).await,
        Vec::<i64>::new(),
        "no SLA, never overdue"
    );
    assert_eq!(
        list(TicketFilter { assignee: Some(AssigneeFilter::Users(vec![user])), ..Default::default() }).await,
        Vec::<i64>::new()
    );
    // Keyset paging in every sort visits each ticket once.
    for sort in ColumnSort::ALL {
        let f = TicketFilter { sort, ..Default::default() };
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let page = tickets::list(db, org, &f, cursor, 1).await.unwrap();
            let Some(last) = page.last() else { break };
            cursor = Some(tickets::cursor_after(last, sort));
            seen.push(last.number);
        }
        assert_eq!(seen, list(f.clone()).await, "{sort:?}");
    }
    assert_eq!(tickets::count_matching(db, org, &TicketFilter::default(), 1000).await.unwrap(), 4);
    assert_eq!(tickets::count_matching(db, org, &TicketFilter::default(), 2).await.unwrap(), 2, "capped");
    assert_eq!(tickets::count_matching(db, org + 1, &TicketFilter::default(), 1000).await.unwrap(), 0);

    // Columns: appended in order, reordered, updated, deleted; per user.
    let a = columns::create(db, org, user, "A", "{}", 1).await.unwrap();
    let b = columns::create(db, org, user, "B", "{}", 1).await.unwrap();
    assert_eq!(columns::list(db, user).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [a, b]);
    columns::reorder(db, user, &[b, a]).await.unwrap();
    assert_eq!(columns::list(db, user).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [b, a]);
    columns::update(db, user, a, "A2", "{\"state\":\"closed\"}").await.unwrap();
    assert_eq!(columns::get(db, user, a).await.unwrap().name, "A2");
    assert!(matches!(columns::update(db, user + 1, a, "x", "{}").await, Err(StoreError::NotFound)));
    assert!(matches!(columns::get(db, user + 1, a).await, Err(StoreError::NotFound)));
    columns::delete(db, user, b).await.unwrap();
    assert_eq!(columns::list(db, user).await.unwrap().len(), 1);
    // Unread markers.
    columns::mark_read(db, user, by_name(1).id, 50).await.unwrap();
    columns::mark_read(db, user, by_name(1).id, 60).await.unwrap();
    columns::mark_read(db, user, by_name(3).id, 70).await.unwrap();
    let mut seen = columns::seen(db, user, &[by_name(1).id, by_name(2).id, by_name(3).id]).await.unwrap();
    seen.sort();
    assert_eq!(seen, vec![(by_name(1).id, 60), (by_name(3).id, 70)]);
    let ids: Vec<i64> = all.iter().map(|t| t.client_id).collect();
    let mut names = clients::names(db, org, &ids).await.unwrap();
    names.sort();
    assert_eq!(names.iter().map(|n| n.1.as_str()).collect::<Vec<_>>(), ["ana", "bea_x", "carla", "Dora%"]);
    assert!(clients::names(db, org + 1, &ids).await.unwrap().is_empty());
    t.close().await;
}
