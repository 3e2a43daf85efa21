//! The crate's error type, the conversion of SDK errors into recorded
//! `CallError`s, and the classification of those errors for logs and reports.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bucketwarden_core::snapshot::CallError;

use crate::region::BUCKET_REGION_HEADER;

/// Errors returned by this crate. A failed read inside a snapshot is not an
/// `Error`: it is recorded in the snapshot as `Read::Error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no AWS region is configured: set AWS_REGION or a profile region")]
    MissingRegion,

    #[error("invalid endpoint URL {url:?}: it must start with http:// or https://")]
    InvalidEndpoint { url: String },

    /// An AWS call that the operation needs failed (STS GetCallerIdentity, ListBuckets).
    #[error("{call} failed: {error}")]
    Call {
        call: &'static str,
        error: CallError,
    },

    /// HeadBucket returned 404 twice, or GetBucketLocation returned `NoSuchBucket` twice.
    #[error("bucket {bucket} not found: {error}")]
    BucketNotFound { bucket: String, error: CallError },

    /// Neither HeadBucket nor GetBucketLocation returned the bucket's region.
    #[error("region of bucket {bucket} not found: {error}")]
    BucketRegion { bucket: String, error: CallError },

    #[error("SNS Publish to {topic_arn} failed: {error}")]
    Publish { topic_arn: String, error: CallError },

    #[error("invalid SNS message attribute {name:?}: {reason}")]
    InvalidMessageAttribute { name: String, reason: String },
}

impl Error {
    /// Returns the AWS error behind this error, when there is one.
    pub fn call_error(&self) -> Option<&CallError> {
        match self {
            Error::Call { error, .. }
            | Error::BucketNotFound { error, .. }
            | Error::BucketRegion { error, .. }
            | Error::Publish { error, .. } => Some(error),
            Error::MissingRegion
            | Error::InvalidEndpoint { .. }
            | Error::InvalidMessageAttribute { .. } => None,
        }
    }
}

/// A coarse class of a recorded error, for logs and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// One of `bucketwarden_core::snapshot::ABSENCE_CODES`: the setting does not exist.
    Absent,
    /// The caller lacks permission, or its credentials were rejected.
    AccessDenied,
    /// The service throttled the call and the retries ran out.
    Throttled,
    /// The bucket, key, trail or other resource does not exist.
    NotFound,
    Other,
}

/// Codes that AWS services return for a denied request or rejected credentials.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "AuthorizationError",
    "ExpiredToken",
    "ExpiredTokenException",
    "Forbidden",
    "ForbiddenException",
    "Http401",
    "Http403",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnauthorizedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
];

/// Throttling codes: the SDK retry classifier's list (`THROTTLING_ERRORS` in
/// `aws-runtime` 1.10) plus `Http429`.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "Http429",
];

const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchBucket",
    "NotFound",
    "NotFoundException",
    "NoSuchKey",
    "NoSuchEntity",
    "ResourceNotFoundException",
    "TrailNotFoundException",
    "Http404",
];

impl ErrorKind {
    /// Classifies a recorded error by its code.
    pub fn of(error: &CallError) -> Self {
        let code = error.code.as_str();
        if error.is_absence() {
            ErrorKind::Absent
        } else if ACCESS_DENIED_CODES.contains(&code) {
            ErrorKind::AccessDenied
        } else if THROTTLING_CODES.contains(&code) {
            ErrorKind::Throttled
        } else if NOT_FOUND_CODES.contains(&code) {
            ErrorKind::NotFound
        } else {
            ErrorKind::Other
        }
    }
}

/// Converts an SDK error into the `{Code, Message}` pair that a snapshot records.
///
/// - A service error response gives its error code. When the SDK finds none
///   but the XML body has a `<Code>` element, that code is used.
/// - An error response without any code (a HEAD request, or a 301 with an
///   empty body) gives `Http<status>`, such as `Http301`.
/// - A success status whose body the SDK cannot parse gives `ResponseError`.
/// - An error without a usable response gives `DispatchFailure`,
///   `TimeoutError`, `ResponseError` or `ConstructionFailure`, with the
///   error's display chain as the message.
pub fn call_error<E>(error: &SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => match context.err().code() {
            Some(code) => CallError {
                code: code.to_owned(),
                message: context.err().message().map(str::to_owned),
            },
            None => match xml_element(context.raw(), "Code") {
                // The SDK found no code where the model puts it, but the body
                // has one (an emulator that sends S3's unwrapped error shape
                // for S3 Control).
                Some(code) => CallError {
                    code,
                    message: xml_element(context.raw(), "Message"),
                },
                // A success status whose body the SDK could not parse (for
                // example an unexpected root element) is the same failure as
                // `SdkError::ResponseError`, and is recorded as one.
                None if context.raw().status().is_success() => {
                    CallError::new("ResponseError", chain(error))
                }
                None => {
                    let status = context.raw().status().as_u16();
                    CallError::new(format!("Http{status}"), no_code_message(context.raw()))
                }
            },
        },
        SdkError::DispatchFailure(_) => CallError::new("DispatchFailure", chain(error)),
        SdkError::TimeoutError(_) => CallError::new("TimeoutError", chain(error)),
        SdkError::ResponseError(_) => CallError::new("ResponseError", chain(error)),
        SdkError::ConstructionFailure(_) => CallError::new("ConstructionFailure", chain(error)),
        _ => CallError::new("SdkError", chain(error)),
    }
}

/// Joins the `Display` texts of the error and its sources with ": ".
///
/// `DisplayErrorContext` would add the error's `Debug` form, which contains the raw
/// response body (a policy document, for example), and that must not reach
/// the snapshot or the logs.
fn chain<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: std::error::Error + 'static,
{
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Returns the text of the first `<name>` element of an XML error body.
fn xml_element(response: &HttpResponse, name: &str) -> Option<String> {
    let body = std::str::from_utf8(response.body().bytes()?).ok()?;
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let length = body.get(start..)?.find(&close)?;
    let text = body.get(start..start + length)?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn no_code_message(response: &HttpResponse) -> String {
    let status = response.status().as_u16();
    match response.headers().get(BUCKET_REGION_HEADER) {
        Some(region) => format!(
            "HTTP {status} response without an error code; {BUCKET_REGION_HEADER} is {region}"
        ),
        None => format!("HTTP {status} response without an error code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_of_known_codes() {
        let cases = [
            ("NoSuchBucketPolicy", ErrorKind::Absent),
            ("NoSuchTagSet", ErrorKind::Absent),
            ("AccessDenied", ErrorKind::AccessDenied),
            ("Http403", ErrorKind::AccessDenied),
            ("SlowDown", ErrorKind::Throttled),
            ("ThrottlingException", ErrorKind::Throttled),
            ("NoSuchBucket", ErrorKind::NotFound),
            ("Http404", ErrorKind::NotFound),
            ("DispatchFailure", ErrorKind::Other),
            ("Http301", ErrorKind::Other),
        ];
        for (code, expected) in cases {
            let kind = ErrorKind::of(&CallError::new(code, "message"));
            assert_eq!(kind, expected, "code {code}");
        }
    }
}
