//! Calls of the `monitoring` workflow: the region's GuardDuty detector, AWS Config
//! recorders and rules, IAM Access Analyzer analyzers, the account's Block Public
//! Access, and the logging state of a trail.

use aws_sdk_config::types::{
    ConfigRule as SdkConfigRule, Owner, RecordingGroup, RecordingStrategyType, ResourceType, Source,
};
use aws_sdk_guardduty::types::{DetectorFeature, DetectorFeatureConfiguration, FeatureStatus};
use aws_types::region::Region;
use bucketwarden_core::snapshot::{Analyzer, CallError, Detector, PublicAccessBlockConfiguration};
use tracing::info;

use crate::context::AwsContext;
use crate::convert::account as convert;
use crate::err::call_error;

/// The GuardDuty feature name of S3 Protection.
pub const S3_PROTECTION_FEATURE: &str = "S3_DATA_EVENTS";

/// An AWS Config configuration recorder with its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRecorder {
    pub name: String,
    /// Whether the recorder is running (DescribeConfigurationRecorderStatus `recording`).
    pub recording: bool,
    /// The status of the last recording event (`Pending`, `Success`, `Failure`).
    pub last_status: Option<String>,
    /// Whether the recording group includes `AWS::S3::Bucket`, which the S3 rules evaluate.
    pub records_s3_buckets: bool,
}

/// An AWS Config rule, as DescribeConfigRules returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRule {
    pub name: String,
    /// `AWS` for managed rules, `CUSTOM_LAMBDA` or `CUSTOM_POLICY` for others.
    pub owner: String,
    /// The managed rule identifier (such as `S3_BUCKET_VERSIONING_ENABLED`) or the
    /// Lambda function ARN of a custom rule.
    pub source_identifier: Option<String>,
}

impl AwsContext {
    /// Returns the region's GuardDuty detector id and settings, or `None` when the
    /// region has no detector. A region has at most one detector, so only the first
    /// id that ListDetectors returns is read with GetDetector.
    pub async fn guardduty_detector(
        &self,
        region: &str,
    ) -> Result<Option<(String, Detector)>, CallError> {
        let client = self.clients().guardduty(region);
        let ids: Vec<String> = client
            .list_detectors()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| call_error(&error))?;
        let Some(id) = ids.into_iter().next() else {
            return Ok(None);
        };
        let output = client
            .get_detector()
            .detector_id(&id)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        Ok(Some((id, convert::detector(output))))
    }

    /// Creates an enabled GuardDuty detector in `region` with S3 Protection on, and
    /// returns its id. GuardDuty rejects this call when the region already has a
    /// detector, so callers check with [`AwsContext::guardduty_detector`] first.
    pub async fn create_detector_with_s3_protection(
        &self,
        region: &str,
    ) -> Result<String, CallError> {
        let output = self
            .clients()
            .guardduty(region)
            .create_detector()
            .enable(true)
            .features(s3_protection_feature())
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let id = output.detector_id.ok_or_else(|| {
            CallError::new(
                "ResponseError",
                "CreateDetector answered without a detector id",
            )
        })?;
        info!(region, call = "CreateDetector", detector = %id, "GuardDuty detector created");
        Ok(id)
    }

    /// Enables the detector and its S3 Protection feature. UpdateDetector changes
    /// only the features it names, so the detector's other features stay as they are.
    pub async fn enable_s3_protection(
        &self,
        region: &str,
        detector_id: &str,
    ) -> Result<(), CallError> {
        self.clients()
            .guardduty(region)
            .update_detector()
            .detector_id(detector_id)
            .enable(true)
            .features(s3_protection_feature())
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        info!(
            region,
            call = "UpdateDetector",
            detector = detector_id,
            "S3 Protection enabled"
        );
        Ok(())
    }

    /// Returns the region's configuration recorders with their status
    /// (DescribeConfigurationRecorders and DescribeConfigurationRecorderStatus).
    pub async fn config_recorders(&self, region: &str) -> Result<Vec<ConfigRecorder>, CallError> {
        let client = self.config_client(region);
        let recorders = client
            .describe_configuration_recorders()
            .send()
            .await
            .map_err(|error| call_error(&error))?
            .configuration_recorders
            .unwrap_or_default();
        let statuses = client
            .describe_configuration_recorder_status()
            .send()
            .await
            .map_err(|error| call_error(&error))?
            .configuration_recorders_status
            .unwrap_or_default();
        Ok(recorders
            .into_iter()
            .map(|recorder| {
                let name = recorder.name.clone().unwrap_or_default();
                let status = statuses
                    .iter()
                    .find(|status| status.name.as_deref() == Some(name.as_str()));
                ConfigRecorder {
                    recording: status.is_some_and(|status| status.recording),
                    last_status: status
                        .and_then(|status| status.last_status.as_ref())
                        .map(|status| status.as_str().to_owned()),
                    records_s3_buckets: records_s3_buckets(recorder.recording_group.as_ref()),
                    name,
                }
            })
            .collect())
    }

    /// Returns every AWS Config rule of the region (DescribeConfigRules, all pages).
    pub async fn config_rules(&self, region: &str) -> Result<Vec<ConfigRule>, CallError> {
        let rules: Vec<SdkConfigRule> = self
            .config_client(region)
            .describe_config_rules()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| call_error(&error))?;
        Ok(rules
            .into_iter()
            .map(|rule| {
                let (owner, source_identifier) = match rule.source {
                    Some(source) => (source.owner.as_str().to_owned(), source.source_identifier),
                    None => (String::new(), None),
                };
                ConfigRule {
                    name: rule.config_rule_name.unwrap_or_default(),
                    owner,
                    source_identifier,
                }
            })
            .collect())
    }

    /// Adds the AWS managed rule `source_identifier` under `name` (PutConfigRule).
    /// A rule that already has this name is replaced, so callers check the names
    /// with [`AwsContext::config_rules`] first.
    pub async fn put_managed_config_rule(
        &self,
        region: &str,
        name: &str,
        source_identifier: &str,
    ) -> Result<(), CallError> {
        let source = Source::builder()
            .owner(Owner::Aws)
            .source_identifier(source_identifier)
            .build()
            .map_err(|error| CallError::new("InvalidPlanValue", error.to_string()))?;
        let rule = SdkConfigRule::builder()
            .config_rule_name(name)
            .source(source)
            .build();
        self.config_client(region)
            .put_config_rule()
            .config_rule(rule)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        info!(
            region,
            call = "PutConfigRule",
            rule = name,
            "Config rule added"
        );
        Ok(())
    }

    /// Returns the region's IAM Access Analyzer analyzers of every type (ListAnalyzers).
    pub async fn analyzers(&self, region: &str) -> Result<Vec<Analyzer>, CallError> {
        let summaries: Vec<_> = self
            .clients()
            .access_analyzer(region)
            .list_analyzers()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| call_error(&error))?;
        Ok(summaries.into_iter().map(convert::analyzer).collect())
    }

    /// Creates an analyzer of type ACCOUNT (external access) and returns its ARN.
    pub async fn create_account_analyzer(
        &self,
        region: &str,
        name: &str,
    ) -> Result<String, CallError> {
        let output = self
            .clients()
            .access_analyzer(region)
            .create_analyzer()
            .analyzer_name(name)
            .r#type(aws_sdk_accessanalyzer::types::Type::Account)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let arn = output.arn.unwrap_or_default();
        info!(region, call = "CreateAnalyzer", analyzer = %arn, "analyzer created");
        Ok(arn)
    }

    /// Reads the account's Block Public Access (S3 Control GetPublicAccessBlock);
    /// `None` when the account has none (`NoSuchPublicAccessBlockConfiguration`).
    pub async fn account_block_public_access(
        &self,
    ) -> Result<Option<PublicAccessBlockConfiguration>, CallError> {
        let account_id = self.account_id_for_call().await?;
        let result = self
            .clients()
            .s3control()
            .get_public_access_block()
            .account_id(account_id)
            .send()
            .await;
        match result {
            Ok(output) => {
                Ok(convert::account_public_access_block(output).public_access_block_configuration)
            }
            Err(error) => {
                let error = call_error(&error);
                if error.is_absence() {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Turns on all four account-level Block Public Access settings
    /// (S3 Control PutPublicAccessBlock).
    pub async fn block_account_public_access(&self) -> Result<(), CallError> {
        let account_id = self.account_id_for_call().await?;
        let configuration = aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.clients()
            .s3control()
            .put_public_access_block()
            .account_id(&account_id)
            .public_access_block_configuration(configuration)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        info!(account = %account_id, call = "PutPublicAccessBlock", "account Block Public Access turned on");
        Ok(())
    }

    /// Returns whether the trail is logging (GetTrailStatus `IsLogging`), read in
    /// the trail's home region.
    pub async fn trail_is_logging(
        &self,
        trail_arn: &str,
        home_region: &str,
    ) -> Result<bool, CallError> {
        let output = self
            .clients()
            .cloudtrail(home_region)
            .get_trail_status()
            .name(trail_arn)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        Ok(output.is_logging == Some(true))
    }

    /// Builds an AWS Config client for `region` from the shared configuration (retry,
    /// timeouts, endpoint). Config is called a few times per run, so the client is
    /// not cached.
    fn config_client(&self, region: &str) -> aws_sdk_config::Client {
        let config = aws_sdk_config::config::Builder::from(self.clients().sdk_config())
            .region(Region::new(region.to_owned()))
            .build();
        aws_sdk_config::Client::from_conf(config)
    }

    async fn account_id_for_call(&self) -> Result<String, CallError> {
        self.account_id()
            .await
            .map_err(|error| match error.call_error() {
                Some(call_error) => call_error.clone(),
                None => CallError::new("AccountUnknown", error.to_string()),
            })
    }
}

fn s3_protection_feature() -> DetectorFeatureConfiguration {
    DetectorFeatureConfiguration::builder()
        .name(DetectorFeature::S3DataEvents)
        .status(FeatureStatus::Enabled)
        .build()
}

/// Returns whether a recording group records S3 buckets. A recorder without a
/// recording group records every supported resource type, which is AWS Config's default.
fn records_s3_buckets(group: Option<&RecordingGroup>) -> bool {
    let Some(group) = group else {
        return true;
    };
    if group.all_supported {
        return true;
    }
    let bucket = ResourceType::Bucket;
    let strategy = group
        .recording_strategy
        .as_ref()
        .and_then(|strategy| strategy.use_only.clone());
    match strategy {
        Some(RecordingStrategyType::AllSupportedResourceTypes) => true,
        Some(RecordingStrategyType::ExclusionByResourceTypes) => !group
            .exclusion_by_resource_types
            .as_ref()
            .is_some_and(|excluded| excluded.resource_types().contains(&bucket)),
        _ => group.resource_types().contains(&bucket),
    }
}
