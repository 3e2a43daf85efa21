//! Errors of the core crate, one enum per concern.

use thiserror::Error;

/// A snapshot file that cannot be evaluated.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error(
        "invalid snapshot: {source}; each entry must be the AWS CLI's response for that call or {{\"Error\": {{\"Code\": \"...\"}}}}"
    )]
    Invalid {
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid snapshot: `{field}` is missing or empty; add it at the top level")]
    MissingField { field: &'static str },
}
