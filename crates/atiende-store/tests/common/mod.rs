//! What both parts of the store's conformance suite share: the testkit's throwaway
//! database, a first organization with a user and an account, an inbound message.
#![allow(dead_code)]
use atiende_store::ingest::Inbound;
use atiende_store::users::NewUser;
use atiende_store::*;

/// A migrated database (migrated twice: migrations are idempotent) that lives as long as
/// the returned guard.
pub async fn open() -> (Db, atiende_testkit::TestDb) {
    let keep = atiende_testkit::TestDb::new().await;
    let db = Db::connect(&keep.url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    (db, keep)
}

/// Organization "Acme", its first user Ana Pérez (admin) and an account of `kind`.
pub async fn org_user_account(db: &Db, kind: &str) -> (i64, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let org = orgs::create(&mut tx, "Acme", 1).await.unwrap();
    let user = users::create(
        &mut tx,
        &NewUser {
            org_id: org,
            email: "a@acme.test",
            password_hash: None,
            first_name: "Ana",
            last_name: "Pérez",
            phone: "",
            department: "",
            language: "es",
            roles: "admin",
        },
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let acc = accounts::create(db, org, kind, "API", "{}", None, "active", 1).await.unwrap();
    (org, user, acc)
}

/// A message from client `client` with external id `ext`.
pub fn inbound(org: i64, acc: i64, ext: &str, client: &str) -> Inbound {
    Inbound {
        org_id: org,
        account_id: acc,
        identity_kind: "api".into(),
        identity_value: client.into(),
        client_name: client.into(),
        external_id: ext.into(),
        text: format!("text of {ext}"),
        html: None,
        metadata: None,
        attachments: Vec::new(),
        thread: Vec::new(),
        intake: Default::default(),
    }
}
