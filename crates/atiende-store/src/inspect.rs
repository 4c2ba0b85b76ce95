//! Read-only inspection: a query's text in, plain values out. For tests that check what a
//! use case left in the database, the benchmark's checks and operators' one-off counts —
//! never for the product's own paths, which have a function per question.
use crate::{Db, StoreError};

fn check_read_only(sql: &str) -> Result<(), StoreError> {
    let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
    if head != "SELECT" {
        return Err(StoreError::Corrupt("inspection runs SELECT statements only".into()));
    }
    Ok(())
}

/// One integer (`SELECT COUNT(*) …`), with integer parameters `$1, $2…`.
pub async fn int(db: &Db, sql: &str, args: &[i64]) -> Result<i64, StoreError> {
    check_read_only(sql)?;
    let sql = sql.to_string();
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for a in args {
            q = q.bind(*a);
        }
        q.fetch_one(c).await
    })?)
}

/// One text column of every row (NULL as `None`), with integer parameters.
pub async fn texts(db: &Db, sql: &str, args: &[i64]) -> Result<Vec<Option<String>>, StoreError> {
    check_read_only(sql)?;
    let sql = sql.to_string();
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql));
        for a in args {
            q = q.bind(*a);
        }
        q.fetch_all(c).await
    })?)
}

/// One binary column of every row (NULL as empty).
pub async fn bytes(db: &Db, sql: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    check_read_only(sql)?;
    let sql = sql.to_string();
    let rows: Vec<Option<Vec<u8>>> =
        on_db!(db, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Option::unwrap_or_default).collect())
}

/// Rows of integer columns (NULL as `None`), e.g. `SELECT assignee_id, COUNT(*) … GROUP BY 1`.
pub async fn int_rows(db: &Db, sql: &str, args: &[i64]) -> Result<Vec<Vec<Option<i64>>>, StoreError> {
    check_read_only(sql)?;
    let sql = sql.to_string();
    on_db!(db, |c| {
        use sqlx::Row;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in args {
            q = q.bind(*a);
        }
        let rows = q.fetch_all(c).await?;
        rows.iter()
            .map(|r| (0..r.len()).map(|i| r.try_get::<Option<i64>, _>(i)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}
