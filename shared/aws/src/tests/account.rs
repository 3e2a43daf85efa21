use aws_sdk_accessanalyzer::operation::list_analyzers::ListAnalyzersOutput;
use aws_sdk_accessanalyzer::operation::list_findings::ListFindingsOutput;
use aws_sdk_accessanalyzer::types as analyzer;
use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types as cloudtrail;
use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
use aws_sdk_guardduty::operation::list_detectors::ListDetectorsOutput;
use aws_sdk_guardduty::types as guardduty;
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::DateTime;
use bucketwarden_core::snapshot::Read;

use super::support::{mock_context, response};

const TRAIL_ARN: &str = "arn:aws:cloudtrail:us-west-2:111122223333:trail/main";
const ANALYZER_ARN: &str = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/account";

const NO_ACCOUNT_BLOCK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error><RequestId>TESTREQUEST</RequestId></ErrorResponse>";
const NO_ACCOUNT_BLOCK_UNWRAPPED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error>";

struct AccountRules {
    public_access_block: Rule,
    describe_trails: Rule,
    trail_status: Rule,
    event_selectors: Rule,
    list_detectors: Rule,
    get_detector: Rule,
    list_analyzers: Rule,
    list_findings: Rule,
}

impl AccountRules {
    fn new(public_access_block_body: &'static str) -> Self {
        Self {
            public_access_block: mock!(aws_sdk_s3control::Client::get_public_access_block)
                .match_requests(|request| request.account_id() == Some("111122223333"))
                .then_http_response(move || response(404, public_access_block_body, &[])),
            describe_trails: mock!(aws_sdk_cloudtrail::Client::describe_trails)
                .match_requests(|request| request.include_shadow_trails() == Some(true))
                .then_output(|| {
                    DescribeTrailsOutput::builder()
                        .trail_list(
                            cloudtrail::Trail::builder()
                                .name("main")
                                .home_region("us-west-2")
                                .trail_arn(TRAIL_ARN)
                                .is_multi_region_trail(true)
                                .s3_bucket_name("trail-logs")
                                .log_file_validation_enabled(true)
                                .build(),
                        )
                        .build()
                }),
            trail_status: mock!(aws_sdk_cloudtrail::Client::get_trail_status)
                .match_requests(|request| request.name() == Some(TRAIL_ARN))
                .then_output(|| GetTrailStatusOutput::builder().is_logging(true).build()),
            event_selectors: mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
                .match_requests(|request| request.trail_name() == Some(TRAIL_ARN))
                .then_output(|| {
                    GetEventSelectorsOutput::builder()
                        .trail_arn(TRAIL_ARN)
                        .event_selectors(
                            cloudtrail::EventSelector::builder()
                                .read_write_type(cloudtrail::ReadWriteType::All)
                                .include_management_events(true)
                                .data_resources(
                                    cloudtrail::DataResource::builder()
                                        .r#type("AWS::S3::Object")
                                        .values("arn:aws:s3")
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                }),
            list_detectors: mock!(aws_sdk_guardduty::Client::list_detectors).then_output(|| {
                ListDetectorsOutput::builder()
                    .detector_ids("detector-1")
                    .build()
            }),
            get_detector: mock!(aws_sdk_guardduty::Client::get_detector)
                .match_requests(|request| request.detector_id() == Some("detector-1"))
                .then_output(|| {
                    GetDetectorOutput::builder()
                        .status(guardduty::DetectorStatus::Enabled)
                        .features(
                            guardduty::DetectorFeatureConfigurationResult::builder()
                                .name(guardduty::DetectorFeatureResult::S3DataEvents)
                                .status(guardduty::FeatureStatus::Enabled)
                                .build(),
                        )
                        .build()
                }),
            list_analyzers: mock!(aws_sdk_accessanalyzer::Client::list_analyzers).then_output(
                || {
                    let unused = analyzer::AnalyzerSummary::builder()
                        .arn("arn:aws:access-analyzer:us-east-1:111122223333:analyzer/unused")
                        .name("unused")
                        .r#type(analyzer::Type::AccountUnusedAccess)
                        .created_at(DateTime::from_secs(0))
                        .status(analyzer::AnalyzerStatus::Active)
                        .build()
                        .unwrap();
                    let account = analyzer::AnalyzerSummary::builder()
                        .arn(ANALYZER_ARN)
                        .name("account")
                        .r#type(analyzer::Type::Account)
                        .created_at(DateTime::from_secs(0))
                        .status(analyzer::AnalyzerStatus::Active)
                        .build()
                        .unwrap();
                    ListAnalyzersOutput::builder()
                        .analyzers(unused)
                        .analyzers(account)
                        .build()
                        .unwrap()
                },
            ),
            list_findings: mock!(aws_sdk_accessanalyzer::Client::list_findings)
                .match_requests(|request| {
                    let filter = request
                        .filter()
                        .and_then(|filter| filter.get("resourceType"));
                    request.analyzer_arn() == Some(ANALYZER_ARN)
                        && filter.map(|criterion| criterion.eq())
                            == Some(&["AWS::S3::Bucket".to_owned()][..])
                })
                .then_output(|| {
                    let finding = analyzer::FindingSummary::builder()
                        .id("finding-1")
                        .resource("arn:aws:s3:::shared-bucket")
                        .resource_type(analyzer::ResourceType::AwsS3Bucket)
                        .is_public(true)
                        .action("s3:GetObject")
                        .principal("AWS", "*")
                        .condition("aws:SourceIp", "0.0.0.0/0")
                        .created_at(DateTime::from_secs(0))
                        .analyzed_at(DateTime::from_secs(0))
                        .updated_at(DateTime::from_secs(0))
                        .status(analyzer::FindingStatus::Active)
                        .resource_owner_account("111122223333")
                        .build()
                        .unwrap();
                    ListFindingsOutput::builder()
                        .findings(finding)
                        .build()
                        .unwrap()
                }),
        }
    }

    fn all(&self) -> Vec<&Rule> {
        vec![
            &self.public_access_block,
            &self.describe_trails,
            &self.trail_status,
            &self.event_selectors,
            &self.list_detectors,
            &self.get_detector,
            &self.list_analyzers,
            &self.list_findings,
        ]
    }
}

#[tokio::test]
async fn account_facts_are_converted() {
    let rules = AccountRules::new(NO_ACCOUNT_BLOCK);
    let aws = mock_context(&rules.all());

    let facts = aws.collect_account("us-east-1").await.unwrap();
    let json = serde_json::to_value(facts.as_ref()).unwrap();

    assert_eq!(
        json["GetAccountPublicAccessBlock"]["Error"]["Code"],
        "NoSuchPublicAccessBlockConfiguration"
    );
    let trail = &json["Trails"][0];
    assert_eq!(trail["Trail"]["TrailARN"], TRAIL_ARN);
    assert_eq!(trail["Trail"]["LogFileValidationEnabled"], true);
    assert_eq!(trail["GetTrailStatus"]["IsLogging"], true);
    assert_eq!(
        trail["GetEventSelectors"]["EventSelectors"][0]["DataResources"][0]["Type"],
        "AWS::S3::Object"
    );
    assert_eq!(
        json["GuardDuty"]["ListDetectors"]["DetectorIds"][0],
        "detector-1"
    );
    assert_eq!(
        json["GuardDuty"]["GetDetector"]["Features"][0]["Name"],
        "S3_DATA_EVENTS"
    );
    assert_eq!(
        json["AccessAnalyzer"]["ListAnalyzers"]["analyzers"][1]["type"],
        "ACCOUNT"
    );
    let finding = &json["AccessAnalyzer"]["ListFindings"]["findings"][0];
    assert_eq!(finding["resource"], "arn:aws:s3:::shared-bucket");
    assert_eq!(finding["principal"]["AWS"], "*");
}

#[tokio::test]
async fn account_facts_are_read_once_per_region() {
    let rules = AccountRules::new(NO_ACCOUNT_BLOCK);
    let aws = mock_context(&rules.all());

    let (first, second) = tokio::join!(
        aws.collect_account("us-east-1"),
        aws.collect_account("us-east-1")
    );
    let other_region = aws.collect_account("eu-west-1").await.unwrap();

    assert_eq!(first.unwrap(), second.unwrap());
    assert!(other_region.guard_duty.is_some());
    assert_eq!(rules.list_detectors.num_calls(), 2);
    assert_eq!(rules.list_analyzers.num_calls(), 2);
    assert_eq!(rules.public_access_block.num_calls(), 1);
    assert_eq!(rules.describe_trails.num_calls(), 1);
    assert_eq!(rules.trail_status.num_calls(), 1);
}

#[tokio::test]
async fn unwrapped_account_block_error_keeps_code() {
    let rules = AccountRules::new(NO_ACCOUNT_BLOCK_UNWRAPPED);
    let aws = mock_context(&rules.all());

    let facts = aws.collect_account("us-east-1").await.unwrap();

    let Some(Read::Error(error)) = &facts.get_account_public_access_block else {
        panic!(
            "expected an error entry, got {:?}",
            facts.get_account_public_access_block
        );
    };
    assert_eq!(error.code, "NoSuchPublicAccessBlockConfiguration");
    assert!(error.is_absence());
}

#[tokio::test]
async fn no_detector_means_no_get_detector() {
    let mut rules = AccountRules::new(NO_ACCOUNT_BLOCK);
    rules.list_detectors = mock!(aws_sdk_guardduty::Client::list_detectors)
        .then_output(|| ListDetectorsOutput::builder().build());
    let aws = mock_context(&rules.all());

    let facts = aws.collect_account("us-east-1").await.unwrap();

    let guard_duty = facts.guard_duty.as_ref().unwrap();
    assert_eq!(
        guard_duty.list_detectors,
        Some(Read::Value(Default::default()))
    );
    assert_eq!(guard_duty.get_detector, None);
    assert_eq!(rules.get_detector.num_calls(), 0);
}
