//! Errors of the command, each with its exit code.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    #[error("cannot read `{path}`: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}`: {source}")]
    Snapshot {
        path: PathBuf,
        #[source]
        source: bucketwarden_core::SnapshotError,
    },
    #[error(transparent)]
    Config(#[from] bucketwarden_core::ConfigError),
    #[error(transparent)]
    Aws(#[from] bucketwarden_aws::Error),
    #[error("{0}")]
    Input(String),
    #[error("not applied: the plan was not confirmed")]
    Declined,
    #[error("{context} failed: {error}")]
    Call {
        context: &'static str,
        error: bucketwarden_core::snapshot::CallError,
    },
    #[error(transparent)]
    Plan(#[from] bucketwarden_core::err::PlanError),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// Every error means the tool could not run: exit code 2.
    pub fn exit_code(&self) -> u8 {
        2
    }
}
