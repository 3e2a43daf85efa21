//! Collection of one bucket's snapshot: the S3 reads, sent concurrently in the
//! bucket's region, then DescribeKey for the KMS keys that encryption names.

use std::collections::BTreeMap;
use std::sync::Arc;

use bucketwarden_core::snapshot::{
    AccountSnapshot, BucketEncryption, CallError, DescribeKey, Read, Snapshot,
};
use futures::future::join_all;
use tracing::{debug, warn};

use crate::context::AwsContext;
use crate::convert::bucket as convert;
use crate::err::Error;
use crate::read::record;
use crate::region::arn_region;

/// The source of the account facts in a bucket snapshot.
#[derive(Clone, Debug, Default)]
pub enum AccountFacts {
    /// None: `Snapshot::account` stays empty.
    #[default]
    Skip,
    /// Facts read for the bucket's region, once per region (see
    /// [`AwsContext::collect_account`]).
    Collect,
    /// These facts, as they are.
    Given(Arc<AccountSnapshot>),
}

/// Converts `Ok` into a value. An error stays an error entry, absence codes included.
fn to_read<O, T>(result: Result<O, CallError>, convert: impl FnOnce(O) -> T) -> Read<T> {
    match result {
        Ok(output) => Read::Value(convert(output)),
        Err(error) => Read::Error(error),
    }
}

/// Converts a GetBucketTagging result. S3 returns `NoSuchTagSet` for a bucket
/// without tags, which is recorded as an empty tag map.
fn to_tags(
    result: Result<aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput, CallError>,
) -> Read<BTreeMap<String, String>> {
    match result {
        Ok(output) => Read::Value(convert::bucket_tags(output)),
        Err(error) if error.code == "NoSuchTagSet" => Read::Value(BTreeMap::new()),
        Err(error) => Read::Error(error),
    }
}

impl AwsContext {
    /// Collects the snapshot of one bucket.
    ///
    /// Finds the bucket's region, sends the eleven S3 reads concurrently with
    /// that region's client, then DescribeKey for each KMS key that the
    /// encryption rules name. A failed read is recorded as `Read::Error` in
    /// the snapshot. Returns an error only when the account id cannot be read
    /// or the bucket does not exist.
    pub async fn collect_bucket(
        &self,
        bucket: &str,
        account: &AccountFacts,
    ) -> Result<Snapshot, Error> {
        let account_id = self.account_id().await?;
        let region = match self.bucket_region(bucket).await {
            Ok(region) => region,
            Err(error @ Error::BucketNotFound { .. }) => return Err(error),
            Err(error) => {
                // The reads below still run, and a wrong region is corrected by
                // the redirect response that S3 sends.
                let region = self.clients().default_region().to_owned();
                warn!(bucket, region = %region, error = %error,
                    "bucket region unknown; reading through the default region");
                region
            }
        };
        debug!(bucket, region = %region, "collecting bucket");

        let account_facts = async {
            match account {
                AccountFacts::Skip => Ok(None),
                AccountFacts::Given(facts) => Ok(Some(facts.as_ref().clone())),
                AccountFacts::Collect => self
                    .collect_account(&region)
                    .await
                    .map(|facts| Some(facts.as_ref().clone())),
            }
        };
        let (mut snapshot, account_facts) = tokio::join!(
            Box::pin(self.read_bucket(bucket, &region)),
            Box::pin(account_facts)
        );

        snapshot.account_id = account_id;
        snapshot.account = account_facts?;
        Ok(snapshot)
    }

    /// Sends the S3 reads and the DescribeKey calls. `account_id` and
    /// `account` are left for the caller to fill in.
    async fn read_bucket(&self, bucket: &str, region: &str) -> Snapshot {
        let (
            tags,
            policy,
            policy_status,
            public_access_block,
            acl,
            ownership_controls,
            encryption,
            versioning,
            logging,
            object_lock,
            replication,
        ) = tokio::join!(
            self.read_s3("GetBucketTagging", bucket, region, |s3| {
                s3.get_bucket_tagging().bucket(bucket).send()
            }),
            self.read_s3("GetBucketPolicy", bucket, region, |s3| {
                s3.get_bucket_policy().bucket(bucket).send()
            }),
            self.read_s3("GetBucketPolicyStatus", bucket, region, |s3| {
                s3.get_bucket_policy_status().bucket(bucket).send()
            }),
            self.read_s3("GetPublicAccessBlock", bucket, region, |s3| {
                s3.get_public_access_block().bucket(bucket).send()
            }),
            self.read_s3("GetBucketAcl", bucket, region, |s3| {
                s3.get_bucket_acl().bucket(bucket).send()
            }),
            self.read_s3("GetBucketOwnershipControls", bucket, region, |s3| {
                s3.get_bucket_ownership_controls().bucket(bucket).send()
            }),
            self.read_s3("GetBucketEncryption", bucket, region, |s3| {
                s3.get_bucket_encryption().bucket(bucket).send()
            }),
            self.read_s3("GetBucketVersioning", bucket, region, |s3| {
                s3.get_bucket_versioning().bucket(bucket).send()
            }),
            self.read_s3("GetBucketLogging", bucket, region, |s3| {
                s3.get_bucket_logging().bucket(bucket).send()
            }),
            self.read_s3("GetObjectLockConfiguration", bucket, region, |s3| {
                s3.get_object_lock_configuration().bucket(bucket).send()
            }),
            self.read_s3("GetBucketReplication", bucket, region, |s3| {
                s3.get_bucket_replication().bucket(bucket).send()
            }),
        );

        // A read that followed a redirect updated the cached region.
        let region = self
            .cached_region(bucket)
            .unwrap_or_else(|| region.to_owned());
        let encryption = to_read(encryption, convert::bucket_encryption);
        let describe_key = match &encryption {
            Read::Value(encryption) => self.describe_keys(bucket, &region, encryption).await,
            Read::Error(_) => BTreeMap::new(),
        };

        Snapshot {
            bucket: bucket.to_owned(),
            account_id: String::new(),
            region,
            tags: Some(to_tags(tags)),
            get_bucket_policy: Some(to_read(policy, convert::bucket_policy)),
            get_bucket_policy_status: Some(to_read(policy_status, convert::bucket_policy_status)),
            get_public_access_block: Some(to_read(
                public_access_block,
                convert::public_access_block,
            )),
            get_bucket_acl: Some(to_read(acl, convert::bucket_acl)),
            get_bucket_ownership_controls: Some(to_read(
                ownership_controls,
                convert::ownership_controls,
            )),
            get_bucket_encryption: Some(encryption),
            get_bucket_versioning: Some(to_read(versioning, convert::bucket_versioning)),
            get_bucket_logging: Some(to_read(logging, convert::bucket_logging)),
            get_object_lock_configuration: Some(to_read(
                object_lock,
                convert::object_lock_configuration,
            )),
            get_bucket_replication: Some(to_read(replication, convert::bucket_replication)),
            describe_key,
            account: None,
        }
    }

    /// Sends DescribeKey for each KMS key that the encryption rules name, keyed
    /// by the id as the rule spells it. A key given as an ARN is described in
    /// the ARN's region, any other id in the bucket's region.
    async fn describe_keys(
        &self,
        bucket: &str,
        region: &str,
        encryption: &BucketEncryption,
    ) -> BTreeMap<String, Read<DescribeKey>> {
        let calls = convert::kms_key_ids(encryption)
            .into_iter()
            .map(|key_id| async move {
                let key_region = arn_region(&key_id).unwrap_or(region).to_owned();
                let result = self
                    .clients()
                    .kms(&key_region)
                    .describe_key()
                    .key_id(&key_id)
                    .send()
                    .await;
                let read = record(
                    "DescribeKey",
                    bucket,
                    &key_region,
                    result,
                    convert::describe_key,
                );
                (key_id, read)
            });
        join_all(calls).await.into_iter().collect()
    }
}
