//! Bucket region discovery: HeadBucket's `x-amz-bucket-region` header, with
//! GetBucketLocation as the fallback, cached per bucket.

use bucketwarden_core::snapshot::CallError;
use tracing::{debug, warn};

use crate::context::AwsContext;
use crate::err::{Error, call_error};

/// The response header in which S3 names a bucket's region, on success and on
/// most error responses (301, 400, 403).
pub(crate) const BUCKET_REGION_HEADER: &str = "x-amz-bucket-region";

/// Checks for the codes of a missing bucket: `NotFound`, which the SDK sets for
/// HeadBucket's 404 without a body, and `NoSuchBucket`, which other reads return.
fn is_missing_bucket(code: &str) -> bool {
    code == "NotFound" || code == "NoSuchBucket"
}

impl AwsContext {
    /// Returns the region of `bucket`, from the cache or from S3.
    ///
    /// Sends HeadBucket through the default-region client and reads
    /// `x-amz-bucket-region` from the response, success or error. When no response
    /// has the header, falls back to GetBucketLocation. For a missing bucket
    /// the request is sent once more after the configured delay before this
    /// returns [`Error::BucketNotFound`].
    pub async fn bucket_region(&self, bucket: &str) -> Result<String, Error> {
        if let Some(region) = self.cached_region(bucket) {
            return Ok(region);
        }
        let region = self.discover_region(bucket).await?;
        self.remember_region(bucket, &region);
        Ok(region)
    }

    async fn discover_region(&self, bucket: &str) -> Result<String, Error> {
        let client = self.clients().default_s3();
        let default_region = self.clients().default_region();

        let mut retried = false;
        let head_error = loop {
            match head_bucket_region(&client, bucket).await {
                Ok(Some(region)) => {
                    debug!(bucket, region = %region, call = "HeadBucket", "found bucket region");
                    return Ok(region);
                }
                Ok(None) => {
                    break CallError::new(
                        "MissingBucketRegion",
                        format!("HeadBucket succeeded without a {BUCKET_REGION_HEADER} header"),
                    );
                }
                Err(error) if is_missing_bucket(&error.code) && !retried => {
                    debug!(bucket, region = default_region, call = "HeadBucket", code = %error.code,
                        "bucket not found; asking again after a delay");
                    retried = true;
                    tokio::time::sleep(self.missing_bucket_retry_delay()).await;
                }
                Err(error) if is_missing_bucket(&error.code) => {
                    return Err(Error::BucketNotFound {
                        bucket: bucket.to_owned(),
                        error,
                    });
                }
                Err(error) => break error,
            }
        };
        debug!(bucket, region = default_region, call = "HeadBucket", error = %head_error,
            "no region header; trying GetBucketLocation");

        match location_region(&client, bucket).await {
            Ok(region) => Ok(region),
            Err(error) if error.code == "NoSuchBucket" && !retried => {
                tokio::time::sleep(self.missing_bucket_retry_delay()).await;
                location_region(&client, bucket)
                    .await
                    .map_err(|error| region_error(bucket, error))
            }
            Err(error) => {
                warn!(bucket, region = default_region, call = "GetBucketLocation", error = %error,
                    "bucket region not found");
                Err(region_error(bucket, error))
            }
        }
    }
}

fn region_error(bucket: &str, error: CallError) -> Error {
    if error.code == "NoSuchBucket" {
        Error::BucketNotFound {
            bucket: bucket.to_owned(),
            error,
        }
    } else {
        Error::BucketRegion {
            bucket: bucket.to_owned(),
            error,
        }
    }
}

/// Sends HeadBucket and returns the `x-amz-bucket-region` value of the response.
///
/// `Ok(None)` is a success without the header (some emulators omit it). An
/// error response that carries the header (301, 400, 403) still gives the region.
pub(crate) async fn head_bucket_region(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<String>, CallError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(output) => Ok(output.bucket_region.filter(|region| !region.is_empty())),
        Err(error) => {
            let header = error
                .raw_response()
                .and_then(|response| response.headers().get(BUCKET_REGION_HEADER))
                .filter(|region| !region.is_empty());
            match header {
                Some(region) => Ok(Some(region.to_owned())),
                None => Err(call_error(&error)),
            }
        }
    }
}

/// Sends GetBucketLocation and maps its `LocationConstraint` to a region.
pub(crate) async fn location_region(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<String, CallError> {
    let output = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|error| call_error(&error))?;
    let constraint = output
        .location_constraint()
        .map(|constraint| constraint.as_str());
    Ok(region_from_location_constraint(constraint))
}

/// Maps a GetBucketLocation `LocationConstraint` to a region: none or empty is
/// us-east-1, the legacy `EU` is eu-west-1, and any other value is the region.
pub(crate) fn region_from_location_constraint(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

/// Returns the region field of an ARN
/// (`arn:partition:service:region:account:resource`), when it is present and
/// not empty.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.split(':').nth(3).filter(|region| !region.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraint_mapping() {
        assert_eq!(region_from_location_constraint(None), "us-east-1");
        assert_eq!(region_from_location_constraint(Some("")), "us-east-1");
        assert_eq!(region_from_location_constraint(Some("EU")), "eu-west-1");
        assert_eq!(
            region_from_location_constraint(Some("ap-south-2")),
            "ap-south-2"
        );
    }

    #[test]
    fn arn_region_fields() {
        assert_eq!(
            arn_region("arn:aws:kms:eu-west-3:111122223333:key/1234abcd"),
            Some("eu-west-3")
        );
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_region("1234abcd-12ab-34cd-56ef-1234567890ab"), None);
        assert_eq!(arn_region("alias/my-key"), None);
    }
}
