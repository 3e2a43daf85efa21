//! One recorded read: send a call, follow a region redirect once, ask again
//! once about a bucket that reads as missing, and log the outcome.

use std::future::Future;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bucketwarden_core::snapshot::{CallError, Read};
use tracing::{debug, info, warn};

use crate::context::AwsContext;
use crate::err::{ErrorKind, call_error};
use crate::region::BUCKET_REGION_HEADER;

/// Codes that S3 returns for a request sent to the wrong region.
const REDIRECT_CODES: &[&str] = &[
    "IllegalLocationConstraintException",
    "PermanentRedirect",
    "Http301",
];

/// Logs a failed read: absences at DEBUG, everything else at WARN. An empty
/// `bucket` marks an account-level call and is left out of the fields.
pub(crate) fn log_failure(call: &'static str, bucket: &str, region: &str, error: &CallError) {
    let kind = ErrorKind::of(error);
    match (kind, bucket.is_empty()) {
        (ErrorKind::Absent, false) => {
            debug!(bucket, region, call, code = %error.code, "setting absent")
        }
        (ErrorKind::Absent, true) => debug!(region, call, code = %error.code, "setting absent"),
        (_, false) => {
            warn!(bucket, region, call, code = %error.code, ?kind, error = %error, "read failed")
        }
        (_, true) => warn!(region, call, code = %error.code, ?kind, error = %error, "read failed"),
    }
}

/// Converts a call result into a recorded read, logging a failure.
/// `bucket` is empty for account-level calls.
pub(crate) fn record<O, E, T>(
    call: &'static str,
    bucket: &str,
    region: &str,
    result: Result<O, SdkError<E, HttpResponse>>,
    convert: impl FnOnce(O) -> T,
) -> Read<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => {
            if bucket.is_empty() {
                debug!(region, call, "read succeeded");
            } else {
                debug!(bucket, region, call, "read succeeded");
            }
            Read::Value(convert(output))
        }
        Err(error) => {
            let error = call_error(&error);
            log_failure(call, bucket, region, &error);
            Read::Error(error)
        }
    }
}

impl AwsContext {
    /// Sends an S3 read for `bucket` with the client for `region`.
    ///
    /// A wrong-region response (`IllegalLocationConstraintException`,
    /// `PermanentRedirect`, a bare 301, or any error whose
    /// `x-amz-bucket-region` names another region) repeats the read once in
    /// the bucket's region. A read that returns `NoSuchBucket` is repeated once
    /// after the configured delay. Every other error is returned as recorded.
    pub(crate) async fn read_s3<O, E, F, Fut>(
        &self,
        call: &'static str,
        bucket: &str,
        region: &str,
        send: F,
    ) -> Result<O, CallError>
    where
        F: Fn(aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut region = region.to_owned();
        let mut redirected = false;
        let mut retried_missing = false;
        loop {
            let error = match send(self.clients().s3(&region)).await {
                Ok(output) => {
                    debug!(bucket, region = %region, call, "read succeeded");
                    return Ok(output);
                }
                Err(error) => error,
            };
            let recorded = call_error(&error);

            if !redirected
                && let Some(bucket_region) = self
                    .redirect_region(bucket, &region, &error, &recorded)
                    .await
            {
                info!(bucket, region = %region, call, bucket_region = %bucket_region,
                    code = %recorded.code, "repeating read in the bucket's region");
                region = bucket_region;
                redirected = true;
                continue;
            }
            if recorded.code == "NoSuchBucket" && !retried_missing {
                debug!(bucket, region = %region, call, "bucket not found; reading again after a delay");
                retried_missing = true;
                tokio::time::sleep(self.missing_bucket_retry_delay()).await;
                continue;
            }

            log_failure(call, bucket, &region, &recorded);
            return Err(recorded);
        }
    }

    /// Returns the bucket's region when `error` shows that `region` is the wrong one.
    async fn redirect_region<E>(
        &self,
        bucket: &str,
        region: &str,
        error: &SdkError<E, HttpResponse>,
        recorded: &CallError,
    ) -> Option<String> {
        let header = error
            .raw_response()
            .and_then(|response| response.headers().get(BUCKET_REGION_HEADER))
            .filter(|header| !header.is_empty());
        if let Some(header) = header {
            if header == region {
                return None;
            }
            self.remember_region(bucket, header);
            return Some(header.to_owned());
        }

        if !REDIRECT_CODES.contains(&recorded.code.as_str()) {
            return None;
        }
        self.forget_region(bucket);
        match self.bucket_region(bucket).await {
            Ok(found) if found != region => Some(found),
            Ok(_) => None,
            Err(lookup) => {
                warn!(bucket, region, error = %lookup, "region lookup after a redirect failed");
                None
            }
        }
    }
}
