//! Files received with messages (email attachments and inline images).
use crate::ingest::NewAttachment;
use crate::{Db, StoreError, Tx, found};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub inline: bool,
    pub size: i64,
    /// False when the file was over the size limit: listed, not kept.
    pub stored: bool,
}

const INFO: &str =
    "id, message_id, filename, content_type, content_id, inline, size, data IS NOT NULL AS stored";

pub async fn insert(
    tx: &mut Tx,
    org_id: i64,
    message_id: i64,
    files: &[NewAttachment],
) -> Result<(), StoreError> {
    for f in files {
        exec_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO attachments (org_id, message_id, filename, content_type, content_id, inline, size, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(org_id)
        .bind(message_id)
        .bind(f.filename.as_str())
        .bind(f.content_type.as_str())
        .bind(f.content_id.as_deref())
        .bind(f.inline)
        .bind(f.size)
        .bind(f.data.as_deref())
        })?;
    }
    Ok(())
}

/// The attachments of some messages of an organization (without their bytes).
pub async fn for_messages(
    db: &Db,
    org_id: i64,
    message_ids: &[i64],
) -> Result<Vec<AttachmentInfo>, StoreError> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let pg = db.is_pg();
    let sql = format!(
        "SELECT {INFO} FROM attachments WHERE org_id = {} AND message_id IN ({}) ORDER BY message_id, id",
        crate::placeholders(pg, 0, 1),
        crate::placeholders(pg, 1, message_ids.len())
    );
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_as::<_, AttachmentInfo>(sqlx::AssertSqlSafe(sql)).bind(org_id);
        for id in message_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?)
}

/// One attachment with its bytes (`None` when it was not kept).
pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<(AttachmentInfo, Option<Vec<u8>>), StoreError> {
    let sql = format!("SELECT {INFO}, data FROM attachments WHERE org_id = $1 AND id = $2");
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        info: AttachmentInfo,
        data: Option<Vec<u8>>,
    }
    let r: Row = found(on_db!(db, |c| sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)?;
    Ok((r.info, r.data))
}

/// An inline image of a message by its `Content-ID`.
pub async fn by_content_id(
    db: &Db,
    org_id: i64,
    message_id: i64,
    cid: &str,
) -> Result<(AttachmentInfo, Option<Vec<u8>>), StoreError> {
    let id: i64 = found(on_db!(db, |c| {
        sqlx::query_scalar("SELECT id FROM attachments WHERE org_id = $1 AND message_id = $2 AND content_id = $3 ORDER BY id LIMIT 1")
        .bind(org_id)
        .bind(message_id)
        .bind(cid)
        .fetch_optional(c)
        .await
    })?)?;
    get(db, org_id, id).await
}

/// Every kept file of a message with its bytes, in order, for sending.
pub async fn with_data(
    db: &Db,
    org_id: i64,
    message_id: i64,
) -> Result<Vec<(AttachmentInfo, Vec<u8>)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        info: AttachmentInfo,
        data: Vec<u8>,
    }
    let sql = format!(
        "SELECT {INFO}, data FROM attachments WHERE org_id = $1 AND message_id = $2 AND data IS NOT NULL ORDER BY id"
    );
    let rows: Vec<Row> = on_db!(db, |c| sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(message_id)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|r| (r.info, r.data)).collect())
}
