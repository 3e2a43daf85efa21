//! Load test of the bucket-event handler: 1,000 events for 50 buckets, delivered
//! concurrently, give no duplicate write and no lost report.
//!
//! The 50 buckets start with a mix of failing controls that the handler remediates.
//! They lack Block Public Access or have only part of it, lack default encryption,
//! have ACLs enabled (no ownership controls, ObjectWriter or BucketOwnerPreferred),
//! and have no statement that denies plain HTTP. Some start with a bucket policy
//! whose statements must survive the TLS remediation. Each bucket receives 20 events
//! (CreateBucket, PutBucketPolicy, PutBucketAcl, DeletePublicAccessBlock and others,
//! two of them failed calls that the handler skips), interleaved across the buckets.
//!
//! Two groups of buckets model two ways of delivery:
//! - the first 10 buckets go to one `Handler` that 4 tasks call at the same time,
//!   so concurrent events for the same bucket check the same rate limiter;
//! - the other 40 go to 12 `Handler`s, each built on its own and so with its own
//!   clients, caches and rate limiter, as separate Lambda execution environments.
//!   Each of them takes one event at a time from a shared queue, as Lambda does.
//!
//! "No lost report": every event gets a response, `Response::Published` for an
//! audited event and `Response::Skipped` for a failed call, and the topic's queue
//! receives exactly one message per Published response, with the response's
//! message id.
//!
//! "No duplicate write": a duplicate is a write of a bucket setting (the policy,
//! Block Public Access, ownership controls, default encryption) that sets the same
//! value on the same bucket as an earlier write did. The write protocol prevents it
//! within a plan, because each step reads the setting again right before writing and
//! skips it when it is already as required. The rate limiter prevents it within an
//! execution environment, because it lets one remediation per bucket run in
//! `min_time_between_remediations`. Across execution environments the lease on the
//! setting prevents it. Unlike PutObject, PutBucketPolicy and the other setting
//! writes take no If-Match header. So each write first creates
//! `leases/BUCKET/SETTING.json` in the backup bucket with `If-None-Match: *`, and
//! only the environment that created it re-reads and writes.
//! The test asserts zero duplicates in both groups, and that every lease taken was
//! deleted again.
//!
//! The writes are counted from the emulator's request log, which records every
//! request that reached it, and are matched one to one with the written steps in
//! the published reports, which carry the written value.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use bucket_event::settings::{ENV_BACKUP_BUCKET, ENV_MODES, ENV_TOPIC_ARN};
use bucket_event::{Handler, Response, Settings};
use bucketwarden_aws::{AwsContext, ClientOptions};
use bucketwarden_core::BucketReport;
use bucketwarden_tests::topic::{Notification, ReportTopic, sample_event};
use bucketwarden_tests::{ACCOUNT_ID, Emulator, RecordedRequest};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const REGION: &str = "us-east-1";
const BACKUPS: &str = "bucketwarden-backups-111122223333-us-east-1-an";
const MODES: &str = "bucket-public-access-block=remediate,acls-disabled=remediate,\
default-encryption=remediate,tls-required=remediate";

const BUCKETS: usize = 50;
const EVENTS_PER_BUCKET: usize = 20;
/// Buckets `0..SHARED_BUCKETS` go to the single shared `Handler`.
const SHARED_BUCKETS: usize = 10;
/// Tasks that call the shared `Handler` at the same time.
const SHARED_TASKS: usize = 4;
/// Execution environments for the other buckets, one task each.
const ENVIRONMENTS: usize = 12;
/// The name of the shared `Handler` in the results.
const SHARED: &str = "shared";

/// Backup names (`Setting::backup_name`) of the settings that the handler writes here.
const PUBLIC_ACCESS_BLOCK: &str = "public-access-block";
const OWNERSHIP_CONTROLS: &str = "ownership-controls";
const ENCRYPTION: &str = "encryption";
const POLICY: &str = "policy";

/// The S3 subresource of each setting's write request (`PUT /BUCKET?SUBRESOURCE`),
/// the setting's backup name, and the name of its PUT operation.
const SUBRESOURCES: &[(&str, &str, &str)] = &[
    (
        "publicAccessBlock",
        PUBLIC_ACCESS_BLOCK,
        "PutPublicAccessBlock",
    ),
    (
        "ownershipControls",
        OWNERSHIP_CONTROLS,
        "PutBucketOwnershipControls",
    ),
    ("encryption", ENCRYPTION, "PutBucketEncryption"),
    ("policy", POLICY, "PutBucketPolicy"),
    ("acl", "acl", "PutBucketAcl"),
    ("versioning", "versioning", "PutBucketVersioning"),
    ("logging", "logging", "PutBucketLogging"),
    ("abac", "abac", "PutBucketAbac"),
];

/// The CloudTrail events that each bucket receives, twice, in this order (shifted by
/// the bucket's index, so that the buckets start with different events). Events
/// whose name differs from the sample's keep the sample's request parameters,
/// because the handler reads only the event name and the bucket.
const EVENT_KINDS: &[(&str, &str)] = &[
    ("create-bucket.json", "CreateBucket"),
    ("put-bucket-policy.json", "PutBucketPolicy"),
    ("put-bucket-acl.json", "PutBucketAcl"),
    ("put-bucket-encryption.json", "PutBucketEncryption"),
    (
        "put-bucket-public-access-block.json",
        "DeletePublicAccessBlock",
    ),
    ("delete-bucket-policy.json", "DeleteBucketPolicy"),
    (
        "put-bucket-public-access-block.json",
        "PutPublicAccessBlock",
    ),
    ("failed-call.json", "PutBucketPolicy"),
    ("put-bucket-encryption.json", "DeleteBucketEncryption"),
    ("put-bucket-acl.json", "PutBucketOwnershipControls"),
];

/// The events that carry an `errorCode`, which the handler skips.
const SKIPPED_SAMPLE: &str = "failed-call.json";

/// How a bucket is set up before the events arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    /// Nothing set: no Block Public Access, encryption, ownership controls or policy.
    Bare,
    /// ObjectWriter ownership and a policy with one Allow statement for a role.
    RolePolicy,
    /// All of Block Public Access and SSE-S3, but BucketOwnerPreferred and no policy.
    PartlyHardened,
    /// One Block Public Access flag, SSE-S3, ObjectWriter, and a two-statement policy.
    TwoStatementPolicy,
}

impl Profile {
    fn of(bucket: usize) -> Profile {
        match bucket % 4 {
            0 => Profile::Bare,
            1 => Profile::RolePolicy,
            2 => Profile::PartlyHardened,
            _ => Profile::TwoStatementPolicy,
        }
    }

    /// The settings that the handler has to write to make the four controls pass.
    fn settings_to_write(self) -> &'static [&'static str] {
        match self {
            Profile::Bare | Profile::RolePolicy => {
                &[PUBLIC_ACCESS_BLOCK, OWNERSHIP_CONTROLS, ENCRYPTION, POLICY]
            }
            Profile::PartlyHardened => &[OWNERSHIP_CONTROLS, POLICY],
            Profile::TwoStatementPolicy => &[PUBLIC_ACCESS_BLOCK, OWNERSHIP_CONTROLS, POLICY],
        }
    }
}

fn bucket_name(index: usize) -> String {
    format!("load-{index:02}-{ACCOUNT_ID}-us-east-1-an")
}

/// The statements a bucket starts with, which the remediation must keep.
fn initial_statements(index: usize) -> Vec<Value> {
    let bucket = bucket_name(index);
    let role_read = json!({
        "Sid": "AppRead", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:role/app")},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]
    });
    let deny_delete = json!({
        "Sid": "DenyBucketDelete", "Effect": "Deny", "Principal": "*",
        "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{bucket}"),
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}
    });
    match Profile::of(index) {
        Profile::Bare | Profile::PartlyHardened => Vec::new(),
        Profile::RolePolicy => vec![role_read],
        Profile::TwoStatementPolicy => vec![role_read, deny_delete],
    }
}

async fn set_up_bucket(emulator: &Emulator, index: usize) {
    let bucket = bucket_name(index);
    let s3 = emulator.s3_client(REGION);
    emulator.create_bucket(&bucket, REGION).await;

    let profile = Profile::of(index);
    let ownership = match profile {
        Profile::Bare => None,
        Profile::RolePolicy | Profile::TwoStatementPolicy => Some(ObjectOwnership::ObjectWriter),
        Profile::PartlyHardened => Some(ObjectOwnership::BucketOwnerPreferred),
    };
    if let Some(ownership) = ownership {
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ownership)
            .build()
            .expect("ownership rule");
        s3.put_bucket_ownership_controls()
            .bucket(&bucket)
            .ownership_controls(
                OwnershipControls::builder()
                    .rules(rule)
                    .build()
                    .expect("ownership controls"),
            )
            .send()
            .await
            .expect("put ownership controls");
    }

    let block_all = profile == Profile::PartlyHardened;
    if matches!(
        profile,
        Profile::PartlyHardened | Profile::TwoStatementPolicy
    ) {
        s3.put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(block_all)
                    .block_public_policy(block_all)
                    .restrict_public_buckets(block_all)
                    .build(),
            )
            .send()
            .await
            .expect("put public access block");
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()
                    .expect("SSE-S3 default"),
            )
            .build();
        s3.put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .expect("encryption configuration"),
            )
            .send()
            .await
            .expect("put bucket encryption");
    }

    let statements = initial_statements(index);
    if !statements.is_empty() {
        let policy = json!({"Version": "2012-10-17", "Statement": statements});
        emulator.put_policy(&bucket, &policy.to_string()).await;
    }
}

/// Builds one execution environment: its own clients, caches and rate limiter.
fn environment(emulator: &Emulator, topic_arn: &str) -> Handler {
    let aws = AwsContext::new(
        &emulator.sdk_config(REGION),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context");
    let settings = Settings::from_lookup(|name| match name {
        ENV_TOPIC_ARN => Some(topic_arn.to_string()),
        ENV_MODES => Some(MODES.to_string()),
        ENV_BACKUP_BUCKET => Some(BACKUPS.to_string()),
        _ => None,
    })
    .expect("settings");
    Handler::new(aws, settings)
}

/// One event for the queue, with the index of its bucket.
#[derive(Debug)]
struct Delivery {
    bucket: usize,
    event_name: &'static str,
    skipped_by_design: bool,
    event: Value,
}

/// Builds the `sequence`-th event of bucket `index`, with a unique event id.
fn delivery(index: usize, sequence: usize) -> Delivery {
    let (sample, event_name) = EVENT_KINDS[(index + sequence) % EVENT_KINDS.len()];
    let bucket = bucket_name(index);
    let mut event = sample_event(sample, Some(&bucket));
    event["detail"]["eventName"] = json!(event_name);
    event["detail"]["eventID"] = json!(format!("load-{index:02}-{sequence:02}"));
    event["id"] = json!(format!("load-{index:02}-{sequence:02}"));
    Delivery {
        bucket: index,
        event_name,
        skipped_by_design: sample == SKIPPED_SAMPLE,
        event,
    }
}

/// Queues the events of `buckets` round by round, so that every bucket's first
/// event comes before any bucket's second event.
fn interleaved(buckets: std::ops::Range<usize>) -> VecDeque<Delivery> {
    let mut queue = VecDeque::new();
    for sequence in 0..EVENTS_PER_BUCKET {
        for index in buckets.clone() {
            queue.push_back(delivery(index, sequence));
        }
    }
    queue
}

/// What the handler returned for one event.
#[derive(Debug)]
enum Outcome {
    Published { message_id: Option<String> },
    Skipped { reason: String },
    Failed { error: String },
}

#[derive(Debug)]
struct Handled {
    bucket: usize,
    event_name: &'static str,
    skipped_by_design: bool,
    /// `shared` or `environment-N`.
    environment: String,
    outcome: Outcome,
}

type Queue = Arc<Mutex<VecDeque<Delivery>>>;

fn next(queue: &Queue) -> Option<Delivery> {
    queue
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
}

/// Handles events from `queue` one at a time until it is empty.
async fn drive(handler: Handler, environment: String, queue: Queue) -> Vec<Handled> {
    let mut handled = Vec::new();
    while let Some(delivery) = next(&queue) {
        let outcome = match handler.handle(delivery.event).await {
            Ok(Response::Published { message_id, .. }) => Outcome::Published { message_id },
            Ok(Response::Skipped { reason }) => Outcome::Skipped { reason },
            Err(error) => Outcome::Failed {
                error: error.to_string(),
            },
        };
        handled.push(Handled {
            bucket: delivery.bucket,
            event_name: delivery.event_name,
            skipped_by_design: delivery.skipped_by_design,
            environment: environment.clone(),
            outcome,
        });
    }
    handled
}

/// Drains the topic's queue until `delivering` is false and the queue is empty.
/// Draining during the delivery keeps the queue short, because in moto 5.2.5 each
/// message that ReceiveMessage returns costs time in proportion to the queued messages.
async fn drain_while(topic: ReportTopic, delivering: Arc<AtomicBool>) -> Vec<Notification> {
    let mut notifications = Vec::new();
    loop {
        // The flag is read before the drain, so an empty drain after the delivery
        // ended means that no message is left.
        let finished = !delivering.load(Ordering::SeqCst);
        let drained = topic.drain().await;
        if drained.is_empty() {
            if finished {
                return notifications;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        notifications.extend(drained);
    }
}

/// A bucket and a setting's backup name.
type SettingKey = (String, String);

/// The writes that reached the emulator, from its request log.
#[derive(Debug, Default)]
struct EmulatorWrites {
    /// Setting writes to the load buckets, by bucket and setting.
    settings: BTreeMap<SettingKey, usize>,
    /// Backup objects put in the backup bucket, by the bucket and setting in their key.
    backups: BTreeMap<SettingKey, usize>,
    /// Both of the above, by operation name.
    operations: BTreeMap<String, usize>,
    /// Conditional PutObject calls on lease objects, won or lost, by bucket and setting.
    lease_puts: BTreeMap<SettingKey, usize>,
    /// Lease objects deleted, by bucket and setting.
    leases_released: BTreeMap<SettingKey, usize>,
    /// Other writes to the load buckets or the backup bucket.
    unexpected: Vec<String>,
}

fn count_writes(requests: &[RecordedRequest], buckets: &BTreeSet<String>) -> EmulatorWrites {
    let mut writes = EmulatorWrites::default();
    for request in requests.iter().filter(|request| request.is_write()) {
        let Some(bucket) = request.bucket.as_deref() else {
            continue;
        };
        if bucket == BACKUPS {
            // PUT /BACKUPS/backups/BUCKET/SETTING/STAMP.json
            let parts: Vec<&str> = request.path.split('/').collect();
            if let ("PUT", [_, _, "backups", source, setting, _]) =
                (request.method.as_str(), parts.as_slice())
            {
                *writes
                    .backups
                    .entry((source.to_string(), setting.to_string()))
                    .or_insert(0) += 1;
                *writes
                    .operations
                    .entry("PutObject".to_string())
                    .or_insert(0) += 1;
            } else if let (method, [_, _, "leases", source, file]) =
                (request.method.as_str(), parts.as_slice())
            {
                // PUT or DELETE /BACKUPS/leases/BUCKET/SETTING.json
                let key = (
                    source.to_string(),
                    file.trim_end_matches(".json").to_string(),
                );
                match method {
                    "PUT" => *writes.lease_puts.entry(key).or_insert(0) += 1,
                    "DELETE" => *writes.leases_released.entry(key).or_insert(0) += 1,
                    _ => writes.unexpected.push(request.to_string()),
                }
            } else {
                writes.unexpected.push(request.to_string());
            }
            continue;
        }
        if !buckets.contains(bucket) {
            continue;
        }
        let subresource = request.query.split('&').find_map(|parameter| {
            let name = parameter.split('=').next().unwrap_or_default();
            SUBRESOURCES.iter().find(|entry| entry.0 == name)
        });
        let operation = match (request.method.as_str(), subresource) {
            ("PUT", Some((_, setting, put))) => Some((setting, put.to_string())),
            ("DELETE", Some((_, setting, put))) => {
                Some((setting, put.replacen("Put", "Delete", 1)))
            }
            _ => None,
        };
        let Some((setting, operation)) = operation else {
            writes.unexpected.push(request.to_string());
            continue;
        };
        *writes
            .settings
            .entry((bucket.to_string(), setting.to_string()))
            .or_insert(0) += 1;
        *writes.operations.entry(operation).or_insert(0) += 1;
    }
    writes
}

/// One written step from a published report.
#[derive(Debug)]
struct ReportedWrite {
    /// The execution environment that returned the report's message id.
    environment: String,
    key: SettingKey,
    after: Value,
    verified: bool,
    note: Option<String>,
}

fn report_of(notification: &Notification) -> BucketReport {
    let report = notification
        .report()
        .unwrap_or_else(|| panic!("no JSON report in: {}", notification.message));
    serde_json::from_value(report).expect("bucket report")
}

/// Counts, per setting, the writes that set the same value as an earlier write
/// of that setting, and the writes that set a different value.
fn duplicates_and_conflicts(
    writes: &[&ReportedWrite],
) -> (BTreeMap<SettingKey, usize>, BTreeMap<SettingKey, usize>) {
    let mut values: BTreeMap<&SettingKey, Vec<&Value>> = BTreeMap::new();
    let mut duplicates = BTreeMap::new();
    let mut conflicts = BTreeMap::new();
    for write in writes {
        let earlier = values.entry(&write.key).or_default();
        if earlier.contains(&&write.after) {
            *duplicates.entry(write.key.clone()).or_insert(0) += 1;
        } else if !earlier.is_empty() {
            *conflicts.entry(write.key.clone()).or_insert(0) += 1;
        }
        earlier.push(&write.after);
    }
    (duplicates, conflicts)
}

async fn assert_compliant(emulator: &Emulator, index: usize) {
    let bucket = bucket_name(index);
    let s3 = emulator.s3_client(REGION);

    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .expect("get public access block")
        .public_access_block_configuration
        .expect("public access block configuration");
    assert_eq!(block.block_public_acls, Some(true), "{bucket}");
    assert_eq!(block.ignore_public_acls, Some(true), "{bucket}");
    assert_eq!(block.block_public_policy, Some(true), "{bucket}");
    assert_eq!(block.restrict_public_buckets, Some(true), "{bucket}");

    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(&bucket)
        .send()
        .await
        .expect("get ownership controls")
        .ownership_controls
        .expect("ownership controls");
    let rules: Vec<_> = ownership
        .rules()
        .iter()
        .map(|rule| rule.object_ownership().clone())
        .collect();
    assert_eq!(
        rules,
        vec![ObjectOwnership::BucketOwnerEnforced],
        "{bucket}"
    );

    let encryption = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .expect("get bucket encryption")
        .server_side_encryption_configuration
        .expect("encryption configuration");
    let algorithms: Vec<_> = encryption
        .rules()
        .iter()
        .filter_map(|rule| rule.apply_server_side_encryption_by_default())
        .map(|default| default.sse_algorithm().clone())
        .collect();
    assert_eq!(algorithms, vec![ServerSideEncryption::Aes256], "{bucket}");

    let text = s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("get bucket policy")
        .policy
        .expect("policy text");
    let policy: Value = serde_json::from_str(&text).expect("policy JSON");
    let statements = policy["Statement"].as_array().expect("statement list");
    for original in initial_statements(index) {
        assert!(
            statements.contains(&original),
            "{bucket} lost statement {original}; policy now: {policy}"
        );
    }
    let tls_statements = statements
        .iter()
        .filter(|statement| statement["Sid"] == "DenyInsecureTransport")
        .count();
    assert_eq!(tls_statements, 1, "{bucket}: {policy}");
    assert_eq!(
        statements.len(),
        initial_statements(index).len() + 1,
        "{bucket}: {policy}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_events_fifty_buckets() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "load-reports").await;
    emulator.create_bucket(BACKUPS, REGION).await;
    for index in 0..BUCKETS {
        set_up_bucket(&emulator, index).await;
    }
    let names: BTreeSet<String> = (0..BUCKETS).map(bucket_name).collect();

    let shared_queue: Queue = Arc::new(Mutex::new(interleaved(0..SHARED_BUCKETS)));
    let environments_queue: Queue = Arc::new(Mutex::new(interleaved(SHARED_BUCKETS..BUCKETS)));
    let shared = environment(&emulator, &topic.topic_arn);
    let environments: Vec<Handler> = (0..ENVIRONMENTS)
        .map(|_| environment(&emulator, &topic.topic_arn))
        .collect();
    emulator.reset_requests().await;

    // Deliver: 4 tasks share one Handler, and 12 Handlers take one event at a time.
    // The topic's queue is drained meanwhile.
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..SHARED_TASKS {
        tasks.spawn(drive(
            shared.clone(),
            SHARED.to_string(),
            shared_queue.clone(),
        ));
    }
    for (number, handler) in environments.into_iter().enumerate() {
        tasks.spawn(drive(
            handler,
            format!("environment-{number}"),
            environments_queue.clone(),
        ));
    }
    let delivering = Arc::new(AtomicBool::new(true));
    let drainer = tokio::spawn(drain_while(topic.clone(), delivering.clone()));
    let mut handled = Vec::new();
    while let Some(result) = tasks.join_next().await {
        handled.extend(result.expect("delivery task"));
    }
    delivering.store(false, Ordering::SeqCst);
    let notifications = drainer.await.expect("drain task");
    let elapsed = started.elapsed();
    let requests = emulator.requests().await;

    let published: Vec<&Handled> = handled
        .iter()
        .filter(|handled| matches!(handled.outcome, Outcome::Published { .. }))
        .collect();
    let skipped: Vec<&Handled> = handled
        .iter()
        .filter(|handled| matches!(handled.outcome, Outcome::Skipped { .. }))
        .collect();
    let failures: Vec<String> = handled
        .iter()
        .filter_map(|handled| match &handled.outcome {
            Outcome::Failed { error } => Some(format!(
                "{} {} in {}: {error}",
                handled.event_name,
                bucket_name(handled.bucket),
                handled.environment
            )),
            _ => None,
        })
        .collect();
    let mut environment_of: BTreeMap<&str, &str> = BTreeMap::new();
    for handled in &published {
        if let Outcome::Published {
            message_id: Some(id),
        } = &handled.outcome
        {
            environment_of.insert(id.as_str(), handled.environment.as_str());
        }
    }

    let reports: Vec<BucketReport> = notifications.iter().map(report_of).collect();
    let mut reported = Vec::new();
    for (notification, report) in notifications.iter().zip(&reports) {
        let environment = notification
            .message_id
            .as_deref()
            .and_then(|id| environment_of.get(id))
            .copied()
            .unwrap_or("unknown");
        for applied in report.applied.iter().filter(|applied| applied.written) {
            reported.push(ReportedWrite {
                environment: environment.to_string(),
                key: (
                    applied.step.bucket.clone(),
                    applied.step.setting.backup_name().to_string(),
                ),
                after: applied.step.after.clone(),
                verified: applied.verified,
                note: applied.note.clone(),
            });
        }
    }
    let (shared_writes, environment_writes): (Vec<&ReportedWrite>, Vec<&ReportedWrite>) = reported
        .iter()
        .partition(|write| write.environment == SHARED);
    let (shared_duplicates, shared_conflicts) = duplicates_and_conflicts(&shared_writes);
    let (environment_duplicates, environment_conflicts) =
        duplicates_and_conflicts(&environment_writes);
    let writes = count_writes(&requests, &names);
    let rate_limited = reports
        .iter()
        .flat_map(|report| &report.applied)
        .filter(|applied| {
            applied
                .note
                .as_deref()
                .is_some_and(|note| note.starts_with("rate limited"))
        })
        .count();
    let lease_busy = reports
        .iter()
        .flat_map(|report| &report.applied)
        .filter(|applied| {
            applied
                .note
                .as_deref()
                .is_some_and(|note| note.contains("another execution environment"))
        })
        .count();

    // The figures come first, so that a failing run shows them too.
    eprintln!("events processed: {}", handled.len());
    eprintln!(
        "responses: {} Published, {} Skipped, {} errors",
        published.len(),
        skipped.len(),
        failures.len()
    );
    eprintln!(
        "writes at the emulator by operation: {:?}",
        writes.operations
    );
    eprintln!(
        "written steps in reports: {} from the shared Handler, {} from {ENVIRONMENTS} environments",
        shared_writes.len(),
        environment_writes.len()
    );
    eprintln!(
        "duplicate writes: {} from the shared Handler {shared_duplicates:?}, {} from {ENVIRONMENTS} environments {environment_duplicates:?}",
        shared_duplicates.values().sum::<usize>(),
        environment_duplicates.values().sum::<usize>()
    );
    eprintln!("steps reported as rate limited: {rate_limited}");
    eprintln!("steps not written because another environment held the lease: {lease_busy}");
    let lease_puts: usize = writes.lease_puts.values().sum();
    let leases_released: usize = writes.leases_released.values().sum();
    eprintln!("lease PutObject calls: {lease_puts}, leases released: {leases_released}");
    eprintln!("messages published: {}", notifications.len());
    eprintln!("requests to the emulator: {}", requests.len());
    eprintln!("elapsed: {:.1} s", elapsed.as_secs_f64());

    // Every event got a response, Published for an audited event and Skipped for a failed call.
    assert_eq!(handled.len(), BUCKETS * EVENTS_PER_BUCKET);
    assert!(
        failures.is_empty(),
        "{} events failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let skipped_kinds = EVENT_KINDS
        .iter()
        .filter(|(sample, _)| *sample == SKIPPED_SAMPLE)
        .count();
    let skipped_per_bucket = EVENTS_PER_BUCKET / EVENT_KINDS.len() * skipped_kinds;
    assert_eq!(skipped.len(), BUCKETS * skipped_per_bucket);
    assert_eq!(
        published.len(),
        BUCKETS * (EVENTS_PER_BUCKET - skipped_per_bucket)
    );
    for handled in &skipped {
        let Outcome::Skipped { reason } = &handled.outcome else {
            continue;
        };
        assert!(
            handled.skipped_by_design && reason.contains("AccessDenied"),
            "{} {} was skipped: {reason}",
            handled.event_name,
            bucket_name(handled.bucket)
        );
    }

    // One message per Published response, with the response's message id, and no other.
    assert_eq!(notifications.len(), published.len());
    assert_eq!(
        environment_of.len(),
        published.len(),
        "Published responses without a message id, or with a repeated one"
    );
    let message_ids: BTreeSet<&str> = notifications
        .iter()
        .map(|notification| notification.message_id.as_deref().expect("MessageId"))
        .collect();
    let response_ids: BTreeSet<&str> = environment_of.keys().copied().collect();
    assert_eq!(message_ids, response_ids);
    let mut messages_per_bucket: BTreeMap<&str, usize> = BTreeMap::new();
    for report in &reports {
        *messages_per_bucket
            .entry(report.bucket.as_str())
            .or_insert(0) += 1;
    }
    let mut published_per_bucket: BTreeMap<String, usize> = BTreeMap::new();
    for handled in &published {
        *published_per_bucket
            .entry(bucket_name(handled.bucket))
            .or_insert(0) += 1;
    }
    for name in &names {
        assert_eq!(
            messages_per_bucket.get(name.as_str()).copied(),
            published_per_bucket.get(name).copied(),
            "messages and Published responses of {name}"
        );
    }

    // Each setting write that reached the emulator is a verified written step in a
    // report, with one backup before it.
    assert!(
        writes.unexpected.is_empty(),
        "writes other than the four settings and their backups:\n{}",
        writes.unexpected.join("\n")
    );
    assert_eq!(
        writes.backups, writes.settings,
        "one backup per setting write"
    );
    let mut reported_counts: BTreeMap<SettingKey, usize> = BTreeMap::new();
    for write in &reported {
        *reported_counts.entry(write.key.clone()).or_insert(0) += 1;
        assert!(write.verified, "{:?}: {:?}", write.key, write.note);
    }
    assert_eq!(
        reported_counts, writes.settings,
        "written steps in reports and writes at the emulator"
    );

    // Each setting that started out failing was written, and no other.
    for index in 0..BUCKETS {
        let bucket = bucket_name(index);
        let expected = Profile::of(index).settings_to_write();
        for (_, setting, _) in SUBRESOURCES {
            let count = writes
                .settings
                .get(&(bucket.clone(), setting.to_string()))
                .copied()
                .unwrap_or(0);
            if expected.contains(setting) {
                assert!(count >= 1, "{bucket} {setting} was never written");
            } else {
                assert_eq!(count, 0, "{bucket} {setting} needed no write");
            }
        }
    }

    // No duplicate, from the shared Handler or across environments, and every
    // lease taken was deleted again.
    assert!(
        environment_duplicates.is_empty(),
        "duplicate writes across environments: {environment_duplicates:?}"
    );
    assert_eq!(
        lease_puts,
        leases_released + lease_busy,
        "each lease PutObject either won the lease, which was released, or lost to a holder"
    );
    let leases_left = emulator
        .s3_client(REGION)
        .list_objects_v2()
        .bucket(BACKUPS)
        .prefix("leases/")
        .send()
        .await
        .expect("list leases");
    assert!(
        leases_left.contents().is_empty(),
        "leases left behind: {:?}",
        leases_left.contents()
    );
    assert!(
        shared_duplicates.is_empty(),
        "duplicate writes from one Handler: {shared_duplicates:?}"
    );
    assert!(
        shared_conflicts.is_empty(),
        "a write replaced an earlier one with another value: {shared_conflicts:?}"
    );
    assert!(
        environment_conflicts.is_empty(),
        "a write replaced an earlier one with another value: {environment_conflicts:?}"
    );
    let mut per_environment: BTreeMap<(&str, &SettingKey), usize> = BTreeMap::new();
    for write in &reported {
        *per_environment
            .entry((write.environment.as_str(), &write.key))
            .or_insert(0) += 1;
    }
    for ((environment, key), count) in per_environment {
        assert_eq!(count, 1, "{environment} wrote {key:?} {count} times");
    }

    // The buckets end compliant, and every statement they started with is kept.
    for index in 0..BUCKETS {
        assert_compliant(&emulator, index).await;
    }
}
