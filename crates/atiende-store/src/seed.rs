//! Bulk seeding straight into the database (set-based SQL), for the list benchmark.
use crate::{Db, Pool, StoreError};

/// Adds `n` clients and `n` tickets to the first organization and account:
/// 10 % open, 5 % ignored, the rest closed, updated over the last 90 days.
pub async fn tickets(db: &Db, n: usize) -> Result<(), StoreError> {
    let (org, acc): (i64, i64) =
        on_db!(db, |c| sqlx::query_as("SELECT org_id, id FROM accounts ORDER BY id LIMIT 1")
            .fetch_one(c)
            .await)?;
    let base_client: i64 =
        on_db!(db, |c| sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM clients")
            .fetch_one(c)
            .await)?
        .unwrap_or(0);
    let base_number: i64 = on_db!(db, |c| sqlx::query_scalar::<_, i64>(
        "SELECT next_ticket_number FROM organizations WHERE id = $1"
    )
    .bind(org)
    .fetch_one(c)
    .await)?;
    let now = 1_764_000_000_000_000i64;
    let chunk = 100_000usize;
    let mut done = 0usize;
    while done < n {
        let k = chunk.min(n - done) as i64;
        let from = done as i64;
        let series = match db.0 {
            Pool::Pg(_) => "SELECT g AS i FROM generate_series(1, $1) AS g",
            Pool::Sqlite(_) => {
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) SELECT i FROM s"
            }
        };
        let clients = format!(
            "INSERT INTO clients (id, org_id, name, created_at) SELECT $2 + $3 + i, $4, 'Seed client', $5 FROM ({series}) AS q"
        );
        exec_db!(db, |c| sqlx::query(sqlx::AssertSqlSafe(clients.clone()))
            .bind(k)
            .bind(base_client)
            .bind(from)
            .bind(org)
            .bind(now))?;
        let tickets = format!(
            "INSERT INTO tickets (org_id, number, account_id, client_id, state, awaiting_answer, excerpt, created_at, updated_at) \
             SELECT $4, $6 + $3 + i, $7, $2 + $3 + i, \
               CASE WHEN (($3 + i) % 20) < 2 THEN 'open' WHEN (($3 + i) % 20) = 2 THEN 'ignored' ELSE 'closed' END, \
               (($3 + i) % 2) = 0, 'Seeded ticket', $5 - (($3 + i) * 7777) % 7776000000000, $5 - (($3 + i) * 7777) % 7776000000000 \
             FROM ({series}) AS q"
        );
        exec_db!(db, |c| sqlx::query(sqlx::AssertSqlSafe(tickets.clone()))
            .bind(k)
            .bind(base_client)
            .bind(from)
            .bind(org)
            .bind(now)
            .bind(base_number)
            .bind(acc))?;
        done += k as usize;
    }
    let next = base_number + n as i64;
    exec_db!(db, |c| sqlx::query("UPDATE organizations SET next_ticket_number = $1 WHERE id = $2")
        .bind(next)
        .bind(org))?;
    if let Pool::Pg(p) = &db.0 {
        sqlx::query("ANALYZE").execute(p).await?;
        sqlx::query("SELECT setval(pg_get_serial_sequence('clients', 'id'), (SELECT MAX(id) FROM clients))")
            .execute(p)
            .await?;
    } else {
        exec_db!(db, |c| sqlx::query("ANALYZE"))?;
    }
    Ok(())
}
