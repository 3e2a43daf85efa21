//! Errors of the Slack notifier. None of them contains the webhook URL.

use lambda_runtime::Diagnostic;
use thiserror::Error;

use crate::settings::{ENV_WEBHOOK_PARAMETER, ENV_WEBHOOK_SECRET};

/// A setting that is missing or invalid at start.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error(
        "{problem}: set exactly one of `{ENV_WEBHOOK_PARAMETER}` (the name of an SSM SecureString parameter) or `{ENV_WEBHOOK_SECRET}` (a Secrets Manager secret id) to where the Slack webhook URL is stored"
    )]
    WebhookSource { problem: &'static str },
    #[error("`{name}` is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A failure to read the webhook URL at start.
#[derive(Debug, Error)]
pub enum WebhookError {
    #[error(
        "failed to read SSM parameter `{name}`: {detail}. The function's role needs ssm:GetParameter on the parameter, and kms:Decrypt on its key when that is a customer managed key"
    )]
    Parameter { name: String, detail: String },
    #[error(
        "failed to read Secrets Manager secret `{id}`: {detail}. The function's role needs secretsmanager:GetSecretValue on the secret, and kms:Decrypt on its key when that is a customer managed key"
    )]
    Secret { id: String, detail: String },
    /// The stored value is not an acceptable webhook URL; `location` names the
    /// parameter or secret, `reason` never quotes the value.
    #[error("the Slack webhook URL in {location} is invalid: {reason}")]
    InvalidUrl { location: String, reason: String },
}

/// The HTTP client could not be built (its TLS configuration failed to load).
#[derive(Debug, Error)]
#[error("failed to build the HTTP client for Slack: {0}")]
pub struct HttpClientError(pub String);

/// The failure of one attempt to post a message.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PostFailure {
    /// Slack responded with a status other than 2xx. `body` is the start of the
    /// response body, such as `invalid_payload` or `no_service`.
    #[error("HTTP {status} ({body})")]
    Status { status: u16, body: String },
    /// The request did not complete: connection refused, TLS failure or timeout.
    #[error("{0}")]
    Transport(String),
}

/// Posting a message failed for good: the retries ran out, or Slack rejected the
/// request with a status that a retry cannot fix.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("posting to the Slack webhook failed after {attempts} attempt(s): {failure}")]
pub struct PostError {
    pub attempts: u32,
    pub failure: PostFailure,
}

impl PostError {
    /// Returns the HTTP status of the last attempt, when Slack responded at all.
    pub fn status(&self) -> Option<u16> {
        match self.failure {
            PostFailure::Status { status, .. } => Some(status),
            PostFailure::Transport(_) => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum HandlerError {
    /// The invocation payload is not an SNS event.
    #[error("malformed event: {0}")]
    MalformedEvent(String),
    /// The message was not delivered to Slack. Returning this error makes Lambda
    /// retry the asynchronous invocation and then send it to the dead-letter queue.
    #[error(transparent)]
    SlackPostFailed(#[from] PostError),
}

impl HandlerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::MalformedEvent(_) => "MalformedEvent",
            HandlerError::SlackPostFailed(_) => "SlackPostFailed",
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
