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

/// A bucket policy that is not valid JSON or not a policy document.
#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("invalid policy: not valid JSON ({source})")]
    InvalidJson {
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid policy: the document is not a JSON object")]
    NotAnObject,
    #[error("invalid policy: `Statement` is missing")]
    MissingStatement,
    #[error("invalid policy: {} `{element}` is {found}, which IAM does not accept there", statement_label(*.statement))]
    InvalidElement {
        statement: Option<usize>,
        element: &'static str,
        found: &'static str,
    },
    #[error("invalid policy: Statement[{statement}] has Effect `{found}`; use `Allow` or `Deny`")]
    InvalidEffect { statement: usize, found: String },
    #[error("invalid policy: Statement[{statement}] has no `{element}`")]
    MissingElement {
        statement: usize,
        element: &'static str,
    },
    #[error(
        "invalid policy: Statement[{statement}] has both `{element}` and `Not{element}`; keep one"
    )]
    BothElements {
        statement: usize,
        element: &'static str,
    },
}

fn statement_label(statement: Option<usize>) -> String {
    match statement {
        Some(index) => format!("Statement[{index}]"),
        None => "the document's".to_string(),
    }
}

/// An invalid setting.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("invalid exemption `{value}`: {reason}")]
    InvalidExemption { value: String, reason: String },
    #[error("unknown control id `{id}` in {context}; run `bucketwarden controls` for the list")]
    UnknownControl { id: String, context: String },
    #[error("invalid trusted account `{value}`: an account id is 12 digits")]
    InvalidAccount { value: String },
    #[error(
        "invalid trusted organization `{value}`: an organization id is `o-` followed by 10 to 32 lowercase letters or digits"
    )]
    InvalidOrganization { value: String },
}
