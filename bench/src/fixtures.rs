//! The seeded buckets and the bodies that the canned endpoint returns for them.
//!
//! Every bucket's settings follow from its index and the seed alone, so two runs
//! with the same arguments read the same account.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::fmt::Write as _;

use bytes::Bytes;

/// The account id of the canned endpoint.
pub const ACCOUNT_ID: &str = "111122223333";

/// The regions that buckets are spread over, in turn by index.
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

/// The region that the audited programs are configured with (`--region`,
/// `AWS_REGION`). Buckets in the other regions may need a region look-up.
pub const CLIENT_REGION: &str = "us-east-1";

/// The bucket that the scheduled-audit function stores its partial results and
/// full report in. The endpoint keeps its objects in memory and leaves it out of
/// ListBuckets, so the audited account is the seeded buckets alone.
pub const REPORT_BUCKET: &str = "bench-reports-111122223333";

/// The SNS topic that both functions publish to.
pub const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:bucketwarden-reports";

/// The SQS queue that carries the scheduled audit's continuation messages.
pub const CONTINUATION_QUEUE_URL: &str =
    "https://sqs.us-east-1.amazonaws.com/111122223333/bucketwarden-continuations";

/// The prefix of every bucket name. The rest of the name is the index.
const NAME_PREFIX: &str = "bench-bucket-";

const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

/// The bucket policy of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// No policy: GetBucketPolicy returns `NoSuchBucketPolicy`.
    None,
    /// Only a statement that denies requests without TLS.
    TlsOnly,
    /// Public read (`"Principal": "*"`, `s3:GetObject`) and the TLS statement.
    Public,
}

/// The default encryption of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptionKind {
    /// No configuration: GetBucketEncryption returns
    /// `ServerSideEncryptionConfigurationNotFoundError`.
    None,
    /// SSE-S3 (AES256) with bucket keys.
    SseS3,
    /// SSE-KMS with a customer managed key in the bucket's region, so the audit
    /// also sends DescribeKey.
    Kms,
}

/// The versioning status of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersioningKind {
    Never,
    Enabled,
    Suspended,
}

/// The settings of one seeded bucket.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    pub index: usize,
    pub region: &'static str,
    pub policy: PolicyKind,
    pub encryption: EncryptionKind,
    pub versioning: VersioningKind,
    pub tagged: bool,
    pub public_access_block: bool,
    pub owner_enforced: bool,
    pub logging: bool,
}

/// Mixes `seed` and `index` into 64 pseudo-random bits (SplitMix64).
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Bucket {
    /// Derives the settings of the bucket at `index`. Each setting reads its own
    /// byte of the hash, as a percentage in 0..100 (rounded from 0..256).
    ///
    /// The policies are 5 % public, 45 % TLS-only and 50 % absent. Encryption is
    /// 10 % absent, 25 % SSE-KMS and 65 % SSE-S3. Versioning is 40 % enabled and
    /// 10 % suspended. 60 % of buckets are tagged, 80 % have ACLs disabled and 30 %
    /// have access logging. 85 % of the non-public buckets have Block Public Access.
    pub fn new(seed: u64, index: usize) -> Self {
        let bits = mix(seed, index as u64);
        let percent = |byte: u32| ((bits >> (byte * 8)) & 0xff) * 100 / 256;

        let policy = match percent(0) {
            0..5 => PolicyKind::Public,
            5..50 => PolicyKind::TlsOnly,
            _ => PolicyKind::None,
        };
        let encryption = match percent(1) {
            0..10 => EncryptionKind::None,
            10..35 => EncryptionKind::Kms,
            _ => EncryptionKind::SseS3,
        };
        let versioning = match percent(2) {
            0..40 => VersioningKind::Enabled,
            40..50 => VersioningKind::Suspended,
            _ => VersioningKind::Never,
        };
        Self {
            index,
            region: REGIONS[index % REGIONS.len()],
            policy,
            encryption,
            versioning,
            tagged: percent(3) < 60,
            public_access_block: policy != PolicyKind::Public && percent(4) < 85,
            owner_enforced: percent(5) < 80,
            logging: percent(6) < 30,
        }
    }

    pub fn name(&self) -> String {
        format!("{NAME_PREFIX}{:05}", self.index)
    }

    fn kms_key_arn(&self) -> String {
        format!(
            "arn:aws:kms:{}:{ACCOUNT_ID}:key/{}",
            self.region,
            key_id(self.index)
        )
    }
}

/// Counts of the first `count` seeded buckets that decide how many requests an
/// audit of them may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketCounts {
    pub buckets: usize,
    /// Buckets whose default encryption names a KMS key (one DescribeKey each).
    pub kms: usize,
    /// Buckets outside [`CLIENT_REGION`] (one HeadBucket each when ListBuckets
    /// does not name the region).
    pub outside_client_region: usize,
}

impl BucketCounts {
    pub fn of(seed: u64, count: usize) -> Self {
        let mut counts = Self {
            buckets: count,
            kms: 0,
            outside_client_region: 0,
        };
        for index in 0..count {
            let bucket = Bucket::new(seed, index);
            counts.kms += usize::from(bucket.encryption == EncryptionKind::Kms);
            counts.outside_client_region += usize::from(bucket.region != CLIENT_REGION);
        }
        counts
    }
}

/// Returns the first bucket with SSE-KMS outside [`CLIENT_REGION`]: its audit
/// waits on the most round trips in a row (HeadBucket, the reads, DescribeKey).
pub fn slowest_bucket(seed: u64) -> Bucket {
    (0..)
        .map(|index| Bucket::new(seed, index))
        .find(|bucket| bucket.encryption == EncryptionKind::Kms && bucket.region != CLIENT_REGION)
        .expect("a quarter of the buckets use SSE-KMS and two thirds are outside the client region")
}

/// Returns the index in a bucket name of this endpoint, or `None` for any other name.
pub fn bucket_index(name: &str) -> Option<usize> {
    name.strip_prefix(NAME_PREFIX)?.parse().ok()
}

/// Returns the KMS key id of a bucket, in the UUID form.
fn key_id(index: usize) -> String {
    format!("0e1f2a3b-4c5d-4e6f-8a9b-{index:012}")
}

/// A canned response: status, content type, extra headers and body.
#[derive(Debug)]
pub struct Canned {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Canned {
    /// Builds a 200 response with an XML body.
    pub fn xml(body: String) -> Self {
        Self::ok("application/xml", body)
    }

    /// Builds a 200 response with this body and content type.
    pub fn ok(content_type: &'static str, body: String) -> Self {
        Self {
            status: 200,
            content_type,
            headers: Vec::new(),
            body: Bytes::from(body),
        }
    }

    /// Builds a response without a body, such as HeadBucket's or DeleteObject's.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: "application/xml",
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Builds an S3 error response, in the unwrapped `<Error>` form that S3 sends.
    pub fn s3_error(status: u16, code: &str, message: &str, bucket: &str) -> Self {
        Self {
            status,
            content_type: "application/xml",
            headers: Vec::new(),
            body: Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>{message}</Message><BucketName>{bucket}</BucketName>\
                 <RequestId>BENCH0000000000</RequestId><HostId>bench</HostId></Error>"
            )),
        }
    }
}

/// Builds an S3 XML document with the S3 namespace on its root element.
pub fn s3_document(root: &str, inner: &str) -> Canned {
    Canned::xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{S3_NAMESPACE}\">{inner}</{root}>"
    ))
}

/// Returns one page of ListBuckets, from `start` up to `max_buckets` names,
/// with a continuation token when more remain. With `with_region`, each entry
/// carries `<BucketRegion>`, so the audit needs no HeadBucket.
pub fn list_buckets(
    seed: u64,
    count: usize,
    start: usize,
    max_buckets: usize,
    with_region: bool,
) -> Canned {
    let end = count.min(start.saturating_add(max_buckets));
    let mut inner =
        format!("<Owner><ID>{OWNER_ID}</ID><DisplayName>bench</DisplayName></Owner><Buckets>");
    for index in start..end {
        let bucket = Bucket::new(seed, index);
        let _ = write!(
            inner,
            "<Bucket><Name>{}</Name><CreationDate>2024-03-01T12:00:00.000Z</CreationDate>",
            bucket.name()
        );
        if with_region {
            let _ = write!(inner, "<BucketRegion>{}</BucketRegion>", bucket.region);
        }
        inner.push_str("</Bucket>");
    }
    inner.push_str("</Buckets>");
    if end < count {
        let _ = write!(inner, "<ContinuationToken>{end}</ContinuationToken>");
    }
    s3_document("ListAllMyBucketsResult", &inner)
}

fn tls_statement(name: &str) -> String {
    format!(
        r#"{{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{name}","arn:aws:s3:::{name}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    )
}

/// Returns the response to one of the eleven bucket reads, by the S3
/// subresource that names it (`policy`, `versioning`, ...), or `None` for a
/// subresource that the audit does not read.
pub fn bucket_read(bucket: &Bucket, subresource: &str) -> Option<Canned> {
    let name = bucket.name();
    let canned = match subresource {
        "tagging" if bucket.tagged => s3_document(
            "Tagging",
            &format!(
                "<TagSet><Tag><Key>team</Key><Value>data-{}</Value></Tag>\
                 <Tag><Key>environment</Key><Value>production</Value></Tag></TagSet>",
                bucket.index % 7
            ),
        ),
        "tagging" => Canned::s3_error(404, "NoSuchTagSet", "The TagSet does not exist", &name),
        "policy" => match bucket.policy {
            PolicyKind::None => Canned::s3_error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
                &name,
            ),
            PolicyKind::TlsOnly => Canned::ok(
                "application/json",
                format!(
                    r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                    tls_statement(&name)
                ),
            ),
            PolicyKind::Public => Canned::ok(
                "application/json",
                format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}},{}]}}"#,
                    tls_statement(&name)
                ),
            ),
        },
        "policyStatus" => match bucket.policy {
            PolicyKind::None => Canned::s3_error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
                &name,
            ),
            kind => s3_document(
                "PolicyStatus",
                &format!("<IsPublic>{}</IsPublic>", kind == PolicyKind::Public),
            ),
        },
        "publicAccessBlock" if bucket.public_access_block => s3_document(
            "PublicAccessBlockConfiguration",
            "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>\
             <BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>",
        ),
        "publicAccessBlock" => Canned::s3_error(
            404,
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            &name,
        ),
        "acl" => s3_document(
            "AccessControlPolicy",
            &format!(
                "<Owner><ID>{OWNER_ID}</ID></Owner><AccessControlList><Grant>\
                 <Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">\
                 <ID>{OWNER_ID}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>\
                 </AccessControlList>"
            ),
        ),
        "ownershipControls" => {
            let ownership = if bucket.owner_enforced {
                "BucketOwnerEnforced"
            } else {
                "ObjectWriter"
            };
            s3_document(
                "OwnershipControls",
                &format!("<Rule><ObjectOwnership>{ownership}</ObjectOwnership></Rule>"),
            )
        }
        "encryption" => match bucket.encryption {
            EncryptionKind::None => Canned::s3_error(
                404,
                "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found",
                &name,
            ),
            EncryptionKind::SseS3 => s3_document(
                "ServerSideEncryptionConfiguration",
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>\
                 </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>",
            ),
            EncryptionKind::Kms => s3_document(
                "ServerSideEncryptionConfiguration",
                &format!(
                    "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>\
                     <KMSMasterKeyID>{}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>\
                     <BucketKeyEnabled>true</BucketKeyEnabled></Rule>",
                    bucket.kms_key_arn()
                ),
            ),
        },
        "versioning" => {
            let status = match bucket.versioning {
                VersioningKind::Never => "",
                VersioningKind::Enabled => "<Status>Enabled</Status>",
                VersioningKind::Suspended => "<Status>Suspended</Status>",
            };
            s3_document("VersioningConfiguration", status)
        }
        "logging" if bucket.logging => s3_document(
            "BucketLoggingStatus",
            &format!(
                "<LoggingEnabled><TargetBucket>logs-{ACCOUNT_ID}-{}</TargetBucket>\
                 <TargetPrefix>{name}/</TargetPrefix></LoggingEnabled>",
                bucket.region
            ),
        ),
        "logging" => s3_document("BucketLoggingStatus", ""),
        "object-lock" => Canned::s3_error(
            404,
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
            &name,
        ),
        "replication" => Canned::s3_error(
            404,
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
            &name,
        ),
        _ => return None,
    };
    Some(canned)
}

/// STS GetCallerIdentity (awsQuery, XML).
pub fn caller_identity() -> Canned {
    Canned::xml(format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT_ID}:user/bench</Arn>\
         <UserId>AIDABENCHBENCHBENCH00</UserId><Account>{ACCOUNT_ID}</Account>\
         </GetCallerIdentityResult><ResponseMetadata><RequestId>bench</RequestId>\
         </ResponseMetadata></GetCallerIdentityResponse>"
    ))
}

/// S3 Control GetPublicAccessBlock: the account has the configuration, all off.
pub fn account_public_access_block() -> Canned {
    Canned::xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration \
         xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\">\
         <BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>\
         <BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets>\
         </PublicAccessBlockConfiguration>"
            .to_owned(),
    )
}

/// KMS DescribeKey for a key of this endpoint: an enabled, symmetric, customer managed key.
pub fn describe_key(key: &str) -> Canned {
    let region = key.split(':').nth(3).unwrap_or(REGIONS[0]);
    let key_id = key.rsplit('/').next().unwrap_or(key);
    Canned::ok(
        "application/x-amz-json-1.1",
        format!(
            r#"{{"KeyMetadata":{{"AWSAccountId":"{ACCOUNT_ID}","KeyId":"{key_id}","Arn":"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}","CreationDate":1709294400.0,"Enabled":true,"Description":"bucket data key","KeyUsage":"ENCRYPT_DECRYPT","KeyState":"Enabled","Origin":"AWS_KMS","KeyManager":"CUSTOMER","CustomerMasterKeySpec":"SYMMETRIC_DEFAULT","KeySpec":"SYMMETRIC_DEFAULT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"],"MultiRegion":false}}}}"#
        ),
    )
}

/// CloudTrail DescribeTrails: no trails.
pub fn describe_trails() -> Canned {
    Canned::ok(
        "application/x-amz-json-1.1",
        r#"{"trailList":[]}"#.to_owned(),
    )
}

/// GuardDuty ListDetectors: no detector in the region.
pub fn list_detectors() -> Canned {
    Canned::ok("application/json", r#"{"detectorIds":[]}"#.to_owned())
}

/// Access Analyzer ListAnalyzers: no analyzer in the region.
pub fn list_analyzers() -> Canned {
    Canned::ok("application/json", r#"{"analyzers":[]}"#.to_owned())
}

/// SNS Publish (awsQuery, XML) with the message id.
pub fn sns_publish(message_id: &str) -> Canned {
    Canned::ok(
        "text/xml",
        format!(
            "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
             <PublishResult><MessageId>{message_id}</MessageId></PublishResult>\
             <ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>"
        ),
    )
}

/// SQS SendMessage (AWS JSON 1.0) with the message id.
pub fn sqs_send_message(message_id: &str) -> Canned {
    Canned::ok(
        "application/x-amz-json-1.0",
        serde_json::json!({ "MessageId": message_id }).to_string(),
    )
}

/// Escapes the five XML special characters of `text`.
pub fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}
