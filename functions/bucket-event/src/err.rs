//! Errors of the bucket-event handler.

use lambda_runtime::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum HandlerError {
    /// The event cannot be processed as sent; retrying it cannot help.
    #[error("malformed event: {0}")]
    MalformedEvent(String),
    /// An AWS call failed; a retry may succeed.
    #[error("{context}: {source}")]
    Aws {
        context: String,
        #[source]
        source: bucketwarden_aws::Error,
    },
}

impl From<bucketwarden_core::MalformedEvent> for HandlerError {
    fn from(error: bucketwarden_core::MalformedEvent) -> Self {
        HandlerError::MalformedEvent(error.reason)
    }
}

impl HandlerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::MalformedEvent(_) => "MalformedEvent",
            HandlerError::Aws { .. } => "AwsCallFailed",
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_string(),
            error_message: error.to_string(),
        }
    }
}

/// A setting that is missing or invalid at start.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("`{name}` is not set; {fix}")]
    Missing {
        name: &'static str,
        fix: &'static str,
    },
    #[error("`{name}` is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(transparent)]
    Config(#[from] bucketwarden_core::ConfigError),
}
