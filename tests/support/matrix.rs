//! A set of buckets on the emulator with a known outcome for every control: for each
//! control at least one bucket set up to pass and one set up to fail (or to be
//! NOT_CONFIGURED or NOT_APPLICABLE where that is the outcome).
//!
//! Phase one leaves the account-level services off; phase two turns on account Block
//! Public Access, a GuardDuty detector with S3 Protection, an Access Analyzer and a
//! CloudTrail trail with advanced selectors, which changes some outcomes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus,
    CreateBucketConfiguration, Destination, LoggingEnabled, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, PublicAccessBlockConfiguration, ReplicationConfiguration,
    ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use serde_json::Value;

use crate::{ACCOUNT_ID, Emulator};

pub const REGION: &str = "us-east-1";
/// Passes every bucket-level control.
pub const GOOD: &str = "good-111122223333-us-east-1-an";
/// Fails or lacks nearly everything: public policy and ACL, no encryption, no versioning.
pub const PUBLIC: &str = "bad-public";
/// SSE-KMS with the AWS managed key and bucket keys off.
pub const KMS_AWS_MANAGED: &str = "kms-aws-managed";
/// SSE-S3 only.
pub const SSE_S3: &str = "sse-s3-only";
/// The log bucket that GOOD delivers server access logs to.
pub const LOGS: &str = "logs-111122223333-us-east-1-an";
/// Logged only by a CloudTrail trail, in phase two.
pub const TRAIL_LOGGED: &str = "trail-logged";

/// One expected outcome.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub bucket: &'static str,
    pub control: &'static str,
    pub outcome: &'static str,
}

const fn expect(bucket: &'static str, control: &'static str, outcome: &'static str) -> Expectation {
    Expectation {
        bucket,
        control,
        outcome,
    }
}

/// Returns the expected outcomes after phase one.
pub fn phase_one_expectations() -> Vec<Expectation> {
    let mut expected = vec![
        expect(GOOD, "bucket-public-access-block", "PASS"),
        expect(GOOD, "policy-not-public", "PASS"),
        expect(GOOD, "acl-not-public", "PASS"),
        expect(GOOD, "tls-required", "PASS"),
        expect(GOOD, "acls-disabled", "PASS"),
        expect(GOOD, "default-encryption", "PASS"),
        expect(GOOD, "bucket-key-enabled", "PASS"),
        expect(GOOD, "sse-c-blocked", "PASS"),
        expect(GOOD, "customer-managed-key", "PASS"),
        expect(GOOD, "versioning-enabled", "PASS"),
        expect(GOOD, "access-logging", "PASS"),
        expect(GOOD, "object-lock", "PASS"),
        expect(GOOD, "replication", "PASS"),
        expect(GOOD, "account-regional-namespace", "PASS"),
        expect(GOOD, "no-cross-account-policy-changes", "PASS"),
        expect(PUBLIC, "bucket-public-access-block", "FAIL"),
        expect(PUBLIC, "policy-not-public", "FAIL"),
        expect(PUBLIC, "acl-not-public", "FAIL"),
        expect(PUBLIC, "tls-required", "FAIL"),
        expect(PUBLIC, "acls-disabled", "FAIL"),
        expect(PUBLIC, "default-encryption", "FAIL"),
        expect(PUBLIC, "bucket-key-enabled", "NOT_APPLICABLE"),
        expect(PUBLIC, "sse-c-blocked", "FAIL"),
        expect(PUBLIC, "customer-managed-key", "NOT_APPLICABLE"),
        expect(PUBLIC, "versioning-enabled", "FAIL"),
        expect(PUBLIC, "access-logging", "NOT_CONFIGURED"),
        expect(PUBLIC, "object-lock", "NOT_CONFIGURED"),
        expect(PUBLIC, "replication", "NOT_CONFIGURED"),
        expect(PUBLIC, "account-regional-namespace", "FAIL"),
        expect(PUBLIC, "no-cross-account-policy-changes", "FAIL"),
        expect(KMS_AWS_MANAGED, "default-encryption", "PASS"),
        expect(KMS_AWS_MANAGED, "customer-managed-key", "FAIL"),
        expect(KMS_AWS_MANAGED, "bucket-key-enabled", "FAIL"),
        expect(SSE_S3, "default-encryption", "PASS"),
        expect(SSE_S3, "bucket-key-enabled", "NOT_APPLICABLE"),
        expect(SSE_S3, "customer-managed-key", "NOT_APPLICABLE"),
        expect(SSE_S3, "sse-c-blocked", "FAIL"),
        expect(TRAIL_LOGGED, "access-logging", "NOT_CONFIGURED"),
    ];
    for bucket in [GOOD, PUBLIC, KMS_AWS_MANAGED, SSE_S3] {
        expected.push(expect(bucket, "account-public-access-block", "FAIL"));
        expected.push(expect(bucket, "guardduty-s3-protection", "NOT_CONFIGURED"));
        expected.push(expect(bucket, "access-analyzer", "NOT_CONFIGURED"));
    }
    expected
}

/// Returns the expected outcomes after phase two.
pub fn phase_two_expectations() -> Vec<Expectation> {
    let mut expected = vec![
        // The account's Block Public Access neutralises the public policy and ACL.
        expect(PUBLIC, "bucket-public-access-block", "PASS"),
        expect(PUBLIC, "policy-not-public", "PASS"),
        expect(PUBLIC, "acl-not-public", "PASS"),
        expect(PUBLIC, "tls-required", "FAIL"),
        expect(TRAIL_LOGGED, "access-logging", "PASS"),
        expect(GOOD, "access-logging", "PASS"),
    ];
    for bucket in [GOOD, PUBLIC, KMS_AWS_MANAGED, SSE_S3] {
        expected.push(expect(bucket, "account-public-access-block", "PASS"));
        expected.push(expect(bucket, "guardduty-s3-protection", "PASS"));
        expected.push(expect(bucket, "access-analyzer", "PASS"));
    }
    expected
}

/// Compares a JSON account report (`bucketwarden audit --format json`) or a list of
/// bucket reports with the expectations, and returns every mismatch.
pub fn mismatches(bucket_reports: &[Value], expected: &[Expectation]) -> Vec<String> {
    let mut found = Vec::new();
    for expectation in expected {
        let report = bucket_reports
            .iter()
            .find(|report| report["bucket"] == expectation.bucket);
        let Some(report) = report else {
            found.push(format!("{}: no report", expectation.bucket));
            continue;
        };
        let result = report["results"]
            .as_array()
            .and_then(|results| results.iter().find(|r| r["id"] == expectation.control));
        match result {
            None => found.push(format!(
                "{} {}: no result",
                expectation.bucket, expectation.control
            )),
            Some(result) if result["outcome"] != expectation.outcome => found.push(format!(
                "{} {}: expected {}, got {} ({})",
                expectation.bucket,
                expectation.control,
                expectation.outcome,
                result["outcome"],
                result["reason"]
            )),
            Some(_) => {}
        }
    }
    found
}

pub fn tls_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
    .to_string()
}

pub fn all_blocked() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}

pub fn ownership(value: ObjectOwnership) -> OwnershipControls {
    OwnershipControls::builder()
        .rules(
            OwnershipControlsRule::builder()
                .object_ownership(value)
                .build()
                .expect("rule"),
        )
        .build()
        .expect("ownership controls")
}

pub fn encryption(
    algorithm: ServerSideEncryption,
    key: Option<&str>,
    bucket_key: bool,
    block_sse_c: bool,
) -> ServerSideEncryptionConfiguration {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .set_kms_master_key_id(key.map(str::to_string))
        .build()
        .expect("encryption default");
    let mut rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(bucket_key);
    if block_sse_c {
        rule = rule.blocked_encryption_types(
            aws_sdk_s3::types::BlockedEncryptionTypes::builder()
                .encryption_type(aws_sdk_s3::types::EncryptionType::SseC)
                .build(),
        );
    }
    ServerSideEncryptionConfiguration::builder()
        .rules(rule.build())
        .build()
        .expect("encryption configuration")
}

/// Creates the buckets of phase one.
pub async fn set_up_phase_one(emulator: &Emulator) {
    let s3 = emulator.s3_client(REGION);
    let config = emulator.sdk_config(REGION);
    let kms = aws_sdk_kms::Client::new(&config);

    // The log bucket admits the logging service, pinned to this account.
    emulator.create_bucket(LOGS, REGION).await;
    let log_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{LOGS}/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
        }]
    });
    emulator.put_policy(LOGS, &log_policy.to_string()).await;

    // GOOD: every bucket-level control passes.
    s3.create_bucket()
        .bucket(GOOD)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create GOOD");
    s3.put_public_access_block()
        .bucket(GOOD)
        .public_access_block_configuration(all_blocked())
        .send()
        .await
        .expect("block public access");
    emulator.put_policy(GOOD, &tls_policy(GOOD)).await;
    s3.put_bucket_ownership_controls()
        .bucket(GOOD)
        .ownership_controls(ownership(ObjectOwnership::BucketOwnerEnforced))
        .send()
        .await
        .expect("ownership");
    let key_arn = kms
        .create_key()
        .description("matrix customer managed key")
        .send()
        .await
        .expect("create key")
        .key_metadata
        .and_then(|metadata| metadata.arn)
        .expect("key arn");
    s3.put_bucket_encryption()
        .bucket(GOOD)
        .server_side_encryption_configuration(encryption(
            ServerSideEncryption::AwsKms,
            Some(&key_arn),
            true,
            true,
        ))
        .send()
        .await
        .expect("encryption");
    s3.put_bucket_versioning()
        .bucket(GOOD)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    s3.put_bucket_logging()
        .bucket(GOOD)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket(LOGS)
                        .target_prefix(format!("{GOOD}/"))
                        .build()
                        .expect("logging"),
                )
                .build(),
        )
        .send()
        .await
        .expect("logging");
    s3.put_bucket_replication()
        .bucket(GOOD)
        .replication_configuration(replicate_everything(GOOD))
        .send()
        .await
        .expect("replication");

    // PUBLIC: a public policy that also lets another account change it, a public ACL.
    emulator.create_bucket(PUBLIC, REGION).await;
    let public_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": format!("arn:aws:s3:::{PUBLIC}/*")},
            {"Sid": "PartnerAdmin", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
             "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
             "Resource": format!("arn:aws:s3:::{PUBLIC}")}
        ]
    });
    emulator
        .put_policy(PUBLIC, &public_policy.to_string())
        .await;
    s3.put_bucket_ownership_controls()
        .bucket(PUBLIC)
        .ownership_controls(ownership(ObjectOwnership::ObjectWriter))
        .send()
        .await
        .expect("ownership");
    s3.put_bucket_acl()
        .bucket(PUBLIC)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("public ACL");

    // KMS_AWS_MANAGED and SSE_S3.
    emulator.create_bucket(KMS_AWS_MANAGED, REGION).await;
    s3.put_bucket_encryption()
        .bucket(KMS_AWS_MANAGED)
        .server_side_encryption_configuration(encryption(
            ServerSideEncryption::AwsKms,
            Some("alias/aws/s3"),
            false,
            false,
        ))
        .send()
        .await
        .expect("encryption");
    emulator.create_bucket(SSE_S3, REGION).await;
    s3.put_bucket_encryption()
        .bucket(SSE_S3)
        .server_side_encryption_configuration(encryption(
            ServerSideEncryption::Aes256,
            None,
            false,
            false,
        ))
        .send()
        .await
        .expect("encryption");

    emulator.create_bucket(TRAIL_LOGGED, REGION).await;
    s3.put_object()
        .bucket(TRAIL_LOGGED)
        .key("hello.txt")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .expect("object");
}

/// Turns on the account-level protections and a data-event trail for TRAIL_LOGGED.
pub async fn set_up_phase_two(emulator: &Emulator) {
    let config = emulator.sdk_config(REGION);
    emulator
        .s3control_client(REGION)
        .put_public_access_block()
        .account_id(ACCOUNT_ID)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("account block public access");

    aws_sdk_guardduty::Client::new(&config)
        .create_detector()
        .enable(true)
        .features(
            aws_sdk_guardduty::types::DetectorFeatureConfiguration::builder()
                .name(aws_sdk_guardduty::types::DetectorFeature::S3DataEvents)
                .status(aws_sdk_guardduty::types::FeatureStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("detector");

    aws_sdk_accessanalyzer::Client::new(&config)
        .create_analyzer()
        .analyzer_name("account")
        .r#type(aws_sdk_accessanalyzer::types::Type::Account)
        .send()
        .await
        .expect("analyzer");

    let cloudtrail = aws_sdk_cloudtrail::Client::new(&config);
    cloudtrail
        .create_trail()
        .name("data-events")
        .s3_bucket_name(LOGS)
        .is_multi_region_trail(true)
        .send()
        .await
        .expect("trail");
    let selector = |field: &str, equals: &str| {
        aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
            .field(field)
            .equals(equals)
            .build()
            .expect("field selector")
    };
    cloudtrail
        .put_event_selectors()
        .trail_name("data-events")
        .advanced_event_selectors(
            aws_sdk_cloudtrail::types::AdvancedEventSelector::builder()
                .name("objects of trail-logged")
                .field_selectors(selector("eventCategory", "Data"))
                .field_selectors(selector("resources.type", "AWS::S3::Object"))
                .field_selectors(
                    aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
                        .field("resources.ARN")
                        .starts_with(format!("arn:aws:s3:::{TRAIL_LOGGED}/"))
                        .build()
                        .expect("field selector"),
                )
                .build()
                .expect("advanced selector"),
        )
        .send()
        .await
        .expect("event selectors");
    cloudtrail
        .start_logging()
        .name("data-events")
        .send()
        .await
        .expect("start logging");
}

/// Builds a replication configuration that copies every object to `BUCKET-replica`.
pub fn replicate_everything(bucket: &str) -> ReplicationConfiguration {
    ReplicationConfiguration::builder()
        .role(format!("arn:aws:iam::{ACCOUNT_ID}:role/replication"))
        .rules(
            ReplicationRule::builder()
                .id("everything")
                .status(ReplicationRuleStatus::Enabled)
                .priority(1)
                .filter(ReplicationRuleFilter::builder().prefix("").build())
                .delete_marker_replication(
                    aws_sdk_s3::types::DeleteMarkerReplication::builder()
                        .status(aws_sdk_s3::types::DeleteMarkerReplicationStatus::Disabled)
                        .build(),
                )
                .destination(
                    Destination::builder()
                        .bucket(format!("arn:aws:s3:::{bucket}-replica"))
                        .build()
                        .expect("destination"),
                )
                .build()
                .expect("replication rule"),
        )
        .build()
        .expect("replication configuration")
}

/// Creates a bucket in another region from a client of that region.
pub async fn create_regional_bucket(emulator: &Emulator, name: &str, region: &str) {
    emulator
        .s3_client(region)
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        )
        .send()
        .await
        .expect("create regional bucket");
}
