//! `bucketwarden monitoring` against the local emulator. The tests cover a second run
//! that writes nothing, trail selectors that are kept and written in the trail's home
//! region, and an existing GuardDuty detector that is updated rather than created
//! again. They also cover the stop without a Config recorder and the public-bucket
//! warning of account Block Public Access.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
use aws_sdk_guardduty::types::{DetectorFeature, DetectorFeatureConfiguration, FeatureStatus};
use bucketwarden_tests::matrix::REGION;
use bucketwarden_tests::{ACCOUNT_ID, Emulator, RecordedRequest};
use serde_json::Value;

/// The home region of the trail in the cross-region test; the CLI's region is REGION.
const OTHER_REGION: &str = "eu-west-1";

const CORE_RULE_SOURCES: [&str; 4] = [
    "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3_BUCKET_VERSIONING_ENABLED",
    "S3_BUCKET_LOGGING_ENABLED",
];

async fn run_cli(emulator: &Emulator, args: &[&str]) -> (i32, String, String) {
    let output =
        bucketwarden_tests::cli::run(env!("CARGO_BIN_EXE_bucketwarden"), emulator, args).await;
    (output.code, output.stdout, output.stderr)
}

fn backup_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "bucketwarden-monitoring-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir.display().to_string()
}

fn json_output(code: i32, stdout: &str, stderr: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|error| panic!("no JSON output ({error}); exit {code}; stderr:\n{stderr}"))
}

fn writes(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|request| request.is_write())
        .map(ToString::to_string)
        .collect()
}

fn config_client(emulator: &Emulator, region: &str) -> aws_sdk_config::Client {
    aws_sdk_config::Client::new(&emulator.sdk_config(region))
}

fn guardduty_client(emulator: &Emulator) -> aws_sdk_guardduty::Client {
    aws_sdk_guardduty::Client::new(&emulator.sdk_config(REGION))
}

fn cloudtrail_client(emulator: &Emulator, region: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&emulator.sdk_config(region))
}

/// Creates a configuration recorder for every resource type and a delivery channel,
/// and starts the recorder when `start` is set.
async fn create_recorder(emulator: &Emulator, start: bool) {
    let config = config_client(emulator, REGION);
    let recorder = ConfigurationRecorder::builder()
        .name("default")
        .role_arn(format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        ))
        .recording_group(RecordingGroup::builder().all_supported(true).build())
        .build();
    config
        .put_configuration_recorder()
        .configuration_recorder(recorder)
        .send()
        .await
        .expect("put configuration recorder");
    config
        .put_delivery_channel()
        .delivery_channel(
            DeliveryChannel::builder()
                .name("default")
                .s3_bucket_name("config-history")
                .build(),
        )
        .send()
        .await
        .expect("put delivery channel");
    if start {
        config
            .start_configuration_recorder()
            .configuration_recorder_name("default")
            .send()
            .await
            .expect("start configuration recorder");
    }
}

/// Creates a logging trail named `name` in `region`, delivering to a new log bucket.
async fn create_trail(emulator: &Emulator, name: &str, region: &str, multi_region: bool) {
    let log_bucket = format!("{name}-logs");
    emulator.create_bucket(&log_bucket, region).await;
    let cloudtrail = cloudtrail_client(emulator, region);
    cloudtrail
        .create_trail()
        .name(name)
        .s3_bucket_name(&log_bucket)
        .is_multi_region_trail(multi_region)
        .send()
        .await
        .expect("create trail");
    cloudtrail
        .start_logging()
        .name(name)
        .send()
        .await
        .expect("start logging");
}

fn field(name: &str, equals: &str) -> AdvancedFieldSelector {
    AdvancedFieldSelector::builder()
        .field(name)
        .equals(equals)
        .build()
        .expect("field selector")
}

/// The trail's selectors as GetEventSelectors returns them, in its home region.
async fn selectors_of(
    emulator: &Emulator,
    trail: &str,
    region: &str,
) -> Vec<AdvancedEventSelector> {
    cloudtrail_client(emulator, region)
        .get_event_selectors()
        .trail_name(trail)
        .send()
        .await
        .expect("get event selectors")
        .advanced_event_selectors
        .unwrap_or_default()
}

/// Returns whether one of the selectors records the object data events under `arn_prefix`.
fn records_objects(selectors: &[AdvancedEventSelector], arn_prefix: &str) -> bool {
    selectors.iter().any(|selector| {
        selector.field_selectors().iter().any(|field| {
            field.field() == "resources.ARN" && field.starts_with() == [arn_prefix.to_string()]
        })
    })
}

async fn detector_features(emulator: &Emulator) -> Vec<(String, String)> {
    let guardduty = guardduty_client(emulator);
    let ids = guardduty
        .list_detectors()
        .send()
        .await
        .expect("list detectors")
        .detector_ids
        .unwrap_or_default();
    assert_eq!(ids.len(), 1, "detectors: {ids:?}");
    let detector = guardduty
        .get_detector()
        .detector_id(&ids[0])
        .send()
        .await
        .expect("get detector");
    detector
        .features()
        .iter()
        .map(|feature| {
            (
                feature
                    .name()
                    .map(|name| name.as_str().to_string())
                    .unwrap_or_default(),
                feature
                    .status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn second_run_plans_and_writes_nothing() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("watched-data", REGION).await;
    create_trail(&emulator, "audit-trail", REGION, false).await;
    create_recorder(&emulator, true).await;
    let backups = backup_dir("twice");
    let args = [
        "monitoring",
        "--bucket",
        "watched-data",
        "--config-rules",
        "core",
        "--cloudtrail-data-events",
        "--trail",
        "audit-trail",
        "--access-analyzer",
        "--yes",
        "--format",
        "json",
        "--backup-dir",
        &backups,
    ];

    let (code, stdout, stderr) = run_cli(&emulator, &args).await;
    assert_eq!(code, 0, "first run: {stderr}\n{stdout}");
    let first = json_output(code, &stdout, &stderr);
    let calls: Vec<&str> = first["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["call"].as_str().unwrap())
        .collect();
    assert_eq!(
        calls,
        [
            "CreateDetector",
            "PutEventSelectors",
            "PutConfigRule",
            "PutConfigRule",
            "PutConfigRule",
            "PutConfigRule",
            "CreateAnalyzer"
        ],
        "{stdout}"
    );
    for step in first["applied"].as_array().unwrap() {
        assert_eq!(step["written"], true, "{step}");
        assert_eq!(step["verified"], true, "{step}");
    }

    assert_eq!(
        detector_features(&emulator).await,
        [("S3_DATA_EVENTS".to_string(), "ENABLED".to_string())]
    );
    let selectors = selectors_of(&emulator, "audit-trail", REGION).await;
    assert!(
        records_objects(&selectors, "arn:aws:s3:::watched-data/"),
        "{selectors:?}"
    );
    let rules = config_client(&emulator, REGION)
        .describe_config_rules()
        .send()
        .await
        .expect("describe config rules")
        .config_rules
        .unwrap_or_default();
    let mut sources: Vec<&str> = rules
        .iter()
        .filter_map(|rule| rule.source().and_then(|source| source.source_identifier()))
        .collect();
    sources.sort_unstable();
    let mut expected = CORE_RULE_SOURCES.to_vec();
    expected.sort_unstable();
    assert_eq!(sources, expected);
    let analyzers = aws_sdk_accessanalyzer::Client::new(&emulator.sdk_config(REGION))
        .list_analyzers()
        .send()
        .await
        .expect("list analyzers")
        .analyzers;
    assert_eq!(analyzers.len(), 1, "{analyzers:?}");
    assert_eq!(analyzers[0].name, "bucketwarden");

    emulator.reset_requests().await;
    let (code, stdout, stderr) = run_cli(&emulator, &args).await;
    assert_eq!(code, 0, "second run: {stderr}\n{stdout}");
    let second = json_output(code, &stdout, &stderr);
    assert_eq!(
        second["plan"]["steps"].as_array().unwrap().len(),
        0,
        "{stdout}"
    );
    let requests = emulator.requests().await;
    assert!(
        requests.len() > 5,
        "the second run made only {} requests",
        requests.len()
    );
    let written = writes(&requests);
    assert!(
        written.is_empty(),
        "the second run wrote:\n{}",
        written.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_advanced_selectors_are_kept() {
    // Two buckets on one trail: the second write starts from the first one's result.
    let emulator = Emulator::start().await;
    emulator.create_bucket("newly-watched", REGION).await;
    emulator.create_bucket("also-watched", REGION).await;
    create_trail(&emulator, "selective-trail", REGION, false).await;
    let write_events = AdvancedEventSelector::builder()
        .name("writes to the ledger")
        .field_selectors(field("eventCategory", "Data"))
        .field_selectors(field("resources.type", "AWS::S3::Object"))
        .field_selectors(field("readOnly", "false"))
        .field_selectors(
            AdvancedFieldSelector::builder()
                .field("resources.ARN")
                .starts_with("arn:aws:s3:::ledger/")
                .build()
                .expect("field selector"),
        )
        .build()
        .expect("selector");
    let management = AdvancedEventSelector::builder()
        .name("management events")
        .field_selectors(field("eventCategory", "Management"))
        .build()
        .expect("selector");
    cloudtrail_client(&emulator, REGION)
        .put_event_selectors()
        .trail_name("selective-trail")
        .advanced_event_selectors(management.clone())
        .advanced_event_selectors(write_events.clone())
        .send()
        .await
        .expect("put event selectors");

    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "monitoring",
            "--bucket",
            "newly-watched",
            "--bucket",
            "also-watched",
            "--cloudtrail-data-events",
            "--trail",
            "selective-trail",
            "--yes",
            "--backup-dir",
            &backup_dir("selectors"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");

    let selectors = selectors_of(&emulator, "selective-trail", REGION).await;
    assert_eq!(selectors.len(), 4, "{selectors:?}");
    assert_eq!(selectors[0], management);
    assert_eq!(selectors[1], write_events);
    for bucket in ["newly-watched", "also-watched"] {
        assert!(
            records_objects(&selectors, &format!("arn:aws:s3:::{bucket}/")),
            "{bucket}: {selectors:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn selectors_are_written_in_trail_home_region() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("watched-from-afar", REGION).await;
    create_trail(&emulator, "irish-trail", OTHER_REGION, true).await;
    emulator.reset_requests().await;

    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "monitoring",
            "--bucket",
            "watched-from-afar",
            "--cloudtrail-data-events",
            "--trail",
            "irish-trail",
            "--yes",
            "--backup-dir",
            &backup_dir("home-region"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");

    let requests = emulator.requests().await;
    let puts: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|request| request.action.as_deref() == Some("PutEventSelectors"))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0].region.as_deref(), Some(OTHER_REGION), "{}", puts[0]);
    let selectors = selectors_of(&emulator, "irish-trail", OTHER_REGION).await;
    assert!(
        records_objects(&selectors, "arn:aws:s3:::watched-from-afar/"),
        "{selectors:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_detector_is_updated_not_created() {
    let emulator = Emulator::start().await;
    let feature = |name: DetectorFeature, status: FeatureStatus| {
        DetectorFeatureConfiguration::builder()
            .name(name)
            .status(status)
            .build()
    };
    guardduty_client(&emulator)
        .create_detector()
        .enable(true)
        .features(feature(
            DetectorFeature::S3DataEvents,
            FeatureStatus::Disabled,
        ))
        .features(feature(
            DetectorFeature::EksAuditLogs,
            FeatureStatus::Enabled,
        ))
        .send()
        .await
        .expect("create detector");
    emulator.reset_requests().await;

    let (code, stdout, stderr) = run_cli(&emulator, &["monitoring", "--yes"]).await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(stderr.contains("UpdateDetector"), "{stderr}");

    let requests = emulator.requests().await;
    let guardduty_posts = |matches: &dyn Fn(&str) -> bool| {
        requests
            .iter()
            .filter(|request| {
                request.service.as_deref() == Some("guardduty")
                    && request.method == "POST"
                    && matches(&request.path)
            })
            .count()
    };
    let creates = guardduty_posts(&|path| path == "/detector");
    let updates = guardduty_posts(&|path| {
        path.strip_prefix("/detector/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    });
    assert_eq!(creates, 0, "CreateDetector calls");
    assert_eq!(updates, 1, "UpdateDetector calls");

    let mut features = detector_features(&emulator).await;
    features.sort();
    assert_eq!(
        features,
        [
            ("EKS_AUDIT_LOGS".to_string(), "ENABLED".to_string()),
            ("S3_DATA_EVENTS".to_string(), "ENABLED".to_string()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_recorder_stops_before_any_write() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("unwatched", REGION).await;

    // First no recorder at all, then a recorder that was never started.
    let cases = [
        (false, "no configuration recorder"),
        (true, "is not recording"),
    ];
    for (has_recorder, expected) in cases {
        if has_recorder {
            create_recorder(&emulator, false).await;
        }
        emulator.reset_requests().await;
        let (code, stdout, stderr) = run_cli(
            &emulator,
            &[
                "monitoring",
                "--config-rules",
                "core",
                "--access-analyzer",
                "--account-block-public-access",
                "--yes",
            ],
        )
        .await;
        assert_eq!(code, 2, "{expected}: {stderr}\n{stdout}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            stderr.contains("aws configservice start-configuration-recorder"),
            "{stderr}"
        );
        assert!(stderr.contains("Nothing was written"), "{stderr}");
        let written = writes(&emulator.requests().await);
        assert!(
            written.is_empty(),
            "{expected}: the command wrote:\n{}",
            written.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn block_public_access_dry_run_lists_public_buckets() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("open-website", REGION).await;
    emulator.create_bucket("private-records", REGION).await;
    let public_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::open-website/*"
        }]
    });
    emulator
        .put_policy("open-website", &public_policy.to_string())
        .await;
    emulator.reset_requests().await;

    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "monitoring",
            "--account-block-public-access",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let output = json_output(code, &stdout, &stderr);
    assert_eq!(
        output["plan"]["public_buckets"],
        serde_json::json!(["open-website"])
    );
    let calls: Vec<&str> = output["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["call"].as_str().unwrap())
        .collect();
    assert!(calls.contains(&"PutPublicAccessBlock"), "{calls:?}");
    assert_eq!(output["applied"].as_array().unwrap().len(), 0, "{stdout}");

    let warning = stderr
        .lines()
        .find(|line| line.contains("Block Public Access will block"))
        .unwrap_or_else(|| panic!("no warning in:\n{stderr}"));
    assert!(warning.contains("open-website"), "{warning}");
    assert!(!warning.contains("private-records"), "{warning}");

    let written = writes(&emulator.requests().await);
    assert!(
        written.is_empty(),
        "a dry run wrote:\n{}",
        written.join("\n")
    );
}
