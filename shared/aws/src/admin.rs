//! Calls of the CLI workflows beyond reading and writing bucket settings: creating a
//! bucket in the account-regional namespace, creating a customer managed key, finding
//! a trail, and reading the caller's identity.

use aws_sdk_s3::types::{BucketLocationConstraint, BucketNamespace, CreateBucketConfiguration};
use bucketwarden_core::snapshot::CallError;
use serde_json::json;
use tracing::info;

use crate::context::AwsContext;
use crate::err::call_error;

/// The caller, from STS GetCallerIdentity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

/// A trail and the region that owns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailLocation {
    pub arn: String,
    pub home_region: String,
}

impl AwsContext {
    pub async fn caller_identity(&self) -> Result<CallerIdentity, CallError> {
        let output = self
            .clients()
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        Ok(CallerIdentity {
            account: output.account.unwrap_or_default(),
            arn: output.arn.unwrap_or_default(),
        })
    }

    /// Creates `bucket` in `region` in the account-regional namespace.
    pub async fn create_bucket(&self, bucket: &str, region: &str) -> Result<(), CallError> {
        let mut request = self
            .clients()
            .s3(region)
            .create_bucket()
            .bucket(bucket)
            .bucket_namespace(BucketNamespace::AccountRegional);
        // us-east-1 takes no location constraint; every other region needs one.
        if region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        request.send().await.map_err(|error| call_error(&error))?;
        info!(bucket, region, call = "CreateBucket", "bucket created");
        self.remember_region(bucket, region);
        Ok(())
    }

    /// Creates a customer managed key for S3 in `region` and returns its ARN.
    ///
    /// The key policy grants administration to `admin_role` only, and use to the
    /// account only through S3 in this region (`kms:ViaService`, `kms:CallerAccount`).
    /// It grants no `kms:*`.
    pub async fn create_s3_key(
        &self,
        region: &str,
        account: &str,
        admin_role: &str,
    ) -> Result<String, CallError> {
        let policy = key_policy(region, account, admin_role);
        let output = self
            .clients()
            .kms(region)
            .create_key()
            .description("Bucket Warden: default encryption key for S3 buckets")
            .policy(policy.to_string())
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let arn = output
            .key_metadata
            .and_then(|metadata| metadata.arn)
            .ok_or_else(|| CallError::new("ResponseError", "CreateKey returned no key ARN"))?;
        info!(region, call = "CreateKey", key = %arn, "customer managed key created");
        Ok(arn)
    }

    /// Finds a trail by name or ARN and returns its ARN and home region.
    pub async fn find_trail(&self, name: &str) -> Result<TrailLocation, CallError> {
        let output = self
            .clients()
            .cloudtrail(self.clients().default_region())
            .describe_trails()
            .trail_name_list(name)
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let trail = output
            .trail_list
            .unwrap_or_default()
            .into_iter()
            .find(|trail| {
                trail.name.as_deref() == Some(name) || trail.trail_arn.as_deref() == Some(name)
            })
            .ok_or_else(|| {
                CallError::new("TrailNotFoundException", format!("no trail named `{name}`"))
            })?;
        Ok(TrailLocation {
            arn: trail.trail_arn.unwrap_or_else(|| name.to_owned()),
            home_region: trail
                .home_region
                .unwrap_or_else(|| self.clients().default_region().to_owned()),
        })
    }
}

/// Builds the least-privilege key policy of [`AwsContext::create_s3_key`].
pub fn key_policy(region: &str, account: &str, admin_role: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "KeyAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": admin_role},
                "Action": [
                    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                    "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion"
                ],
                "Resource": "*"
            },
            {
                "Sid": "UseThroughS3",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:ViaService": format!("s3.{region}.amazonaws.com"),
                    "kms:CallerAccount": account
                }}
            }
        ]
    })
}

/// The problem `check_customer_key` found with a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProblem(pub String);

impl AwsContext {
    /// Checks, before any write, that `key_arn` names an enabled, symmetric, customer
    /// managed key in `bucket_region`; S3 does not check the key when it is set.
    pub async fn check_customer_key(
        &self,
        key_arn: &str,
        bucket_region: &str,
    ) -> Result<(), KeyProblem> {
        let key_region = key_arn.split(':').nth(3).unwrap_or_default();
        if key_region != bucket_region {
            return Err(KeyProblem(format!(
                "the key is in {key_region}, but the bucket is in {bucket_region}; S3 needs a key in the bucket's region"
            )));
        }
        let output = self
            .clients()
            .kms(key_region)
            .describe_key()
            .key_id(key_arn)
            .send()
            .await
            .map_err(|error| KeyProblem(format!("DescribeKey failed: {}", call_error(&error))))?;
        let metadata = output
            .key_metadata
            .ok_or_else(|| KeyProblem("DescribeKey answered without key metadata".to_string()))?;
        if metadata
            .key_manager
            .as_ref()
            .map(|manager| manager.as_str())
            != Some("CUSTOMER")
        {
            return Err(KeyProblem(
                "the key is not a customer managed key".to_string(),
            ));
        }
        if !metadata.enabled {
            return Err(KeyProblem("the key is disabled".to_string()));
        }
        let spec = metadata
            .key_spec
            .as_ref()
            .map(|spec| spec.as_str().to_owned());
        if spec
            .as_deref()
            .is_some_and(|spec| spec != "SYMMETRIC_DEFAULT")
        {
            return Err(KeyProblem(format!(
                "the key spec is {}, but S3 encrypts only with SYMMETRIC_DEFAULT keys",
                spec.unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Returns whether a bucket of this name already exists (owned by anyone).
    pub async fn bucket_exists(&self, bucket: &str) -> bool {
        self.bucket_region(bucket).await.is_ok()
    }
}
