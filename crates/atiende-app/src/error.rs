use atiende_core::ValidationError;
use atiende_store::StoreError;

/// What a use case can answer instead of success. The web layer maps each to HTTP once.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("too many attempts; try again later")]
    RateLimited,
    /// The address and password are right in several organizations: the login names one.
    #[error("this address and password open several organizations; choose one: {}", .0.join(", "))]
    ChooseOrganization(Vec<String>),
    #[error("the service is shutting down")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        AppError::Conflict { field: Some(field.to_string()), message: message.into() }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationError::new(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(what) => {
                AppError::Conflict { field: Some(what.clone()), message: format!("{what} already exists") }
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}
