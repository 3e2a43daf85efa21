//! Leases on one setting of one bucket, so that of two Lambda execution environments
//! handling events for the same bucket at once, only one writes the setting.
//!
//! S3 bucket settings take no condition, so the lease is an object in the backup
//! bucket, `leases/BUCKET/SETTING.json`, created with a conditional PutObject
//! (`If-None-Match: *`): one writer gets it, the others get 412 Precondition Failed.
//! The holder re-reads the setting after taking the lease, so a writer that comes
//! after it finds the setting already as required. A lease left behind by a crashed
//! environment is taken over once it is older than [`LEASE_SECONDS`].

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use bucketwarden_core::snapshot::CallError;
use serde_json::json;
use tracing::{info, warn};

use crate::apply::now_iso;
use crate::context::AwsContext;
use crate::err::call_error;

/// How long a lease protects a write. A step takes a few seconds (re-read, backup,
/// write, read back), so an older lease belongs to an environment that stopped.
pub const LEASE_SECONDS: u64 = 120;

/// A lease this environment holds; [`AwsContext::release_lease`] gives it back.
#[derive(Debug)]
pub struct Lease {
    bucket: String,
    key: String,
}

/// Returns the object key of the lease on `setting` of `bucket`.
pub fn lease_key(bucket: &str, setting: &str) -> String {
    format!("leases/{bucket}/{setting}.json")
}

impl AwsContext {
    /// Takes the lease on `setting` of `bucket`, stored in `lease_bucket`. Returns
    /// `None` when another environment holds a lease younger than [`LEASE_SECONDS`].
    pub async fn acquire_lease(
        &self,
        lease_bucket: &str,
        bucket: &str,
        setting: &str,
    ) -> Result<Option<Lease>, CallError> {
        let region = self
            .bucket_region(lease_bucket)
            .await
            .unwrap_or_else(|_| self.clients().default_region().to_owned());
        let client = self.clients().s3(&region);
        let key = lease_key(bucket, setting);
        let body =
            json!({"bucket": bucket, "setting": setting, "acquired_at": now_iso()}).to_string();
        let lease = Lease {
            bucket: lease_bucket.to_string(),
            key: key.clone(),
        };

        let created = client
            .put_object()
            .bucket(lease_bucket)
            .key(&key)
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await;
        let error = match created {
            Ok(_) => return Ok(Some(lease)),
            Err(error) => call_error(&error),
        };
        if !is_condition_failure(&error) {
            return Err(error);
        }

        // Another writer has the lease. Take it over only when it is stale, and only
        // if it is still the same object (If-Match on its ETag), so two takers cannot
        // both win.
        let head = client
            .head_object()
            .bucket(lease_bucket)
            .key(&key)
            .send()
            .await;
        let head = match head {
            Ok(head) => head,
            Err(error) => {
                let error = call_error(&error);
                // Released between the two calls: the next event's writer takes it.
                if matches!(error.code.as_str(), "NotFound" | "NoSuchKey" | "Http404") {
                    return Ok(None);
                }
                return Err(error);
            }
        };
        let age = head
            .last_modified()
            .and_then(|modified| SystemTime::try_from(*modified).ok())
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or_default();
        if age < Duration::from_secs(LEASE_SECONDS) {
            info!(
                bucket,
                setting,
                age_seconds = age.as_secs(),
                "another environment holds the lease; not writing"
            );
            return Ok(None);
        }
        let Some(etag) = head.e_tag() else {
            return Ok(None);
        };
        let takeover = client
            .put_object()
            .bucket(lease_bucket)
            .key(&key)
            .if_match(etag)
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await;
        match takeover {
            Ok(_) => {
                warn!(
                    bucket,
                    setting,
                    age_seconds = age.as_secs(),
                    "took over a stale lease"
                );
                Ok(Some(lease))
            }
            Err(error) => {
                let error = call_error(&error);
                if is_condition_failure(&error) {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Deletes the lease. A failure is only logged: other environments leave the
    /// setting alone until the lease is older than [`LEASE_SECONDS`], then take it over.
    pub async fn release_lease(&self, lease: Lease) {
        let region = self
            .bucket_region(&lease.bucket)
            .await
            .unwrap_or_else(|_| self.clients().default_region().to_owned());
        if let Err(error) = self
            .clients()
            .s3(&region)
            .delete_object()
            .bucket(&lease.bucket)
            .key(&lease.key)
            .send()
            .await
        {
            warn!(key = %lease.key, error = %call_error(&error), "releasing the lease failed; other environments take it over after {LEASE_SECONDS} seconds");
        }
    }
}

/// Returns whether a conditional write lost: 412 when the object exists (or its ETag
/// changed), 409 when a concurrent conditional write to the same key is in progress.
fn is_condition_failure(error: &CallError) -> bool {
    matches!(
        error.code.as_str(),
        "PreconditionFailed" | "ConditionalRequestConflict"
    )
}
