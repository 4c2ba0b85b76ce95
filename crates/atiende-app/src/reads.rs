//! What the organization's people may read, as a capability: a handler obtains a
//! [`Reader`] from its actor (every role of the organization reads; the check is made once,
//! there) and reads only through it, always scoped to the actor's organization. Writes and
//! admin-only reads are use cases of their own modules, each with its check.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_core::Role;
use atiende_core::time::Micros;
use atiende_store::accounts::AccountRow;
use atiende_store::attachments::AttachmentInfo;
use atiende_store::clients::ClientRow;
use atiende_store::messages::MessageRow;
use atiende_store::tickets::{AssignmentRow, TicketCursor, TicketFilter, TicketRow};
use atiende_store::users::{StatusRow, TokenRow, UserRow};
use atiende_store::{StoreError, accounts, attachments, clients, columns, events, messages, tickets, users};

/// Reads of one organization, for one of its people.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    app: &'a App,
    pub org_id: i64,
    pub user_id: i64,
}

impl Actor {
    /// The capability to read the organization's data: every role has it.
    pub fn reader<'a>(&self, app: &'a App) -> Result<Reader<'a>, AppError> {
        self.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
        Ok(Reader { app, org_id: self.org_id, user_id: self.user_id })
    }
}

impl Reader<'_> {
    pub async fn accounts(&self) -> Result<Vec<AccountRow>, AppError> {
        Ok(accounts::list(&self.app.db, self.org_id).await?)
    }
    pub async fn account(&self, id: i64) -> Result<AccountRow, AppError> {
        Ok(accounts::get(&self.app.db, self.org_id, id).await?)
    }
    pub async fn ticket(&self, id: i64) -> Result<TicketRow, AppError> {
        Ok(tickets::get(&self.app.db, self.org_id, id).await?)
    }
    pub async fn tickets(
        &self,
        f: &TicketFilter,
        cursor: Option<TicketCursor>,
        limit: i64,
    ) -> Result<Vec<TicketRow>, AppError> {
        Ok(tickets::list(&self.app.db, self.org_id, f, cursor, limit).await?)
    }
    pub async fn count_tickets(&self, f: &TicketFilter, cap: i64) -> Result<i64, AppError> {
        Ok(tickets::count_matching(&self.app.db, self.org_id, f, cap).await?)
    }
    /// A ticket's assignment history.
    pub async fn assignments(&self, ticket_id: i64) -> Result<Vec<AssignmentRow>, AppError> {
        self.ticket(ticket_id).await?;
        Ok(tickets::assignments(&self.app.db, ticket_id).await?)
    }
    /// A ticket's messages after `after_id`, oldest first.
    pub async fn messages(
        &self,
        ticket_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>, AppError> {
        Ok(messages::list(&self.app.db, self.org_id, ticket_id, after_id, limit).await?)
    }
    /// One message of the organization.
    pub async fn message(&self, id: i64) -> Result<MessageRow, AppError> {
        match messages::get(&self.app.db, id).await {
            Ok(m) if m.org_id == self.org_id => Ok(m),
            Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
    /// The files of these messages.
    pub async fn attachments_of(&self, message_ids: &[i64]) -> Result<Vec<AttachmentInfo>, AppError> {
        Ok(attachments::for_messages(&self.app.db, self.org_id, message_ids).await?)
    }
    /// A file and its bytes (`None` when it was over the size limit and not kept).
    pub async fn attachment(&self, id: i64) -> Result<(AttachmentInfo, Option<Vec<u8>>), AppError> {
        Ok(attachments::get(&self.app.db, self.org_id, id).await?)
    }
    /// A client and their identities on the channels.
    pub async fn client(&self, id: i64) -> Result<(ClientRow, Vec<(String, String)>), AppError> {
        let c = clients::get(&self.app.db, self.org_id, id).await?;
        let identities = clients::identities(&self.app.db, c.id).await?;
        Ok((c, identities))
    }
    pub async fn client_names(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, AppError> {
        Ok(clients::names(&self.app.db, self.org_id, ids).await?)
    }
    pub async fn users(&self, after_id: i64, limit: i64) -> Result<Vec<UserRow>, AppError> {
        Ok(users::list(&self.app.db, self.org_id, after_id, limit).await?)
    }
    pub async fn user(&self, id: i64) -> Result<UserRow, AppError> {
        Ok(users::get(&self.app.db, self.org_id, id).await?)
    }
    /// The reader themself.
    pub async fn me(&self) -> Result<UserRow, AppError> {
        self.user(self.user_id).await
    }
    pub async fn statuses(&self) -> Result<Vec<StatusRow>, AppError> {
        Ok(users::statuses(&self.app.db, self.org_id).await?)
    }
    /// The reader's own API tokens.
    pub async fn my_tokens(&self) -> Result<Vec<TokenRow>, AppError> {
        Ok(users::tokens(&self.app.db, self.user_id).await?)
    }
    /// The organization's settings document.
    pub async fn org_settings(&self) -> Result<serde_json::Value, AppError> {
        Ok(atiende_store::orgs::settings(&self.app.db, self.org_id).await?)
    }
    pub async fn schedules(&self) -> Result<Vec<atiende_store::schedules::ScheduleRow>, AppError> {
        Ok(atiende_store::schedules::list(&self.app.db, self.org_id).await?)
    }
    /// The newest committed event: a page rendered now resumes its live updates after it.
    pub async fn newest_event(&self) -> Result<i64, AppError> {
        Ok(events::max_id(&self.app.db).await?)
    }
    /// When the reader last opened each of these tickets.
    pub async fn seen(&self, ticket_ids: &[i64]) -> Result<Vec<(i64, Micros)>, AppError> {
        Ok(columns::seen(&self.app.db, self.user_id, ticket_ids).await?)
    }
    /// Records that the reader opened a ticket now (its unread mark goes).
    pub async fn mark_read(&self, ticket_id: i64) -> Result<(), AppError> {
        Ok(columns::mark_read(&self.app.db, self.user_id, ticket_id, self.app.now()).await?)
    }
}

/// Queue depths per job kind (the metrics page; no organization's data).
pub async fn job_depths(app: &App) -> Vec<(String, i64)> {
    atiende_store::jobs::depth(&app.db).await.unwrap_or_default()
}
