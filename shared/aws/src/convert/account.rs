//! Account reads: S3 Control, CloudTrail, GuardDuty and IAM Access Analyzer.

use std::collections::BTreeMap;

use aws_sdk_accessanalyzer::types::{AnalyzerSummary, FindingSummary};
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
use aws_sdk_guardduty::types::DataSourceConfigurationsResult;
use aws_sdk_s3control::operation::get_public_access_block::GetPublicAccessBlockOutput;
use bucketwarden_core::snapshot::{
    AdvancedEventSelector, Analyzer, AnalyzerFinding, DataResource, Detector, DetectorFeature,
    EventSelector, EventSelectors, FieldSelector, PublicAccessBlock,
    PublicAccessBlockConfiguration, Trail, TrailStatus,
};
use serde_json::Value;

use super::JsonObject;

pub(crate) fn account_public_access_block(output: GetPublicAccessBlockOutput) -> PublicAccessBlock {
    PublicAccessBlock {
        public_access_block_configuration: output.public_access_block_configuration.map(|config| {
            PublicAccessBlockConfiguration {
                block_public_acls: config.block_public_acls,
                ignore_public_acls: config.ignore_public_acls,
                block_public_policy: config.block_public_policy,
                restrict_public_buckets: config.restrict_public_buckets,
            }
        }),
    }
}

// `SnsTopicName` is deprecated in favor of `SnsTopicARN`, but DescribeTrails
// still returns it and the AWS CLI prints it.
#[allow(deprecated)]
pub(crate) fn trail(trail: aws_sdk_cloudtrail::types::Trail) -> Trail {
    let extra = JsonObject::default()
        .field("S3KeyPrefix", trail.s3_key_prefix)
        .field("SnsTopicName", trail.sns_topic_name)
        .field("SnsTopicARN", trail.sns_topic_arn)
        .field(
            "IncludeGlobalServiceEvents",
            trail.include_global_service_events,
        )
        .field(
            "LogFileValidationEnabled",
            trail.log_file_validation_enabled,
        )
        .field(
            "CloudWatchLogsLogGroupArn",
            trail.cloud_watch_logs_log_group_arn,
        )
        .field("CloudWatchLogsRoleArn", trail.cloud_watch_logs_role_arn)
        .field("KmsKeyId", trail.kms_key_id)
        .field("HasCustomEventSelectors", trail.has_custom_event_selectors)
        .field("HasInsightSelectors", trail.has_insight_selectors)
        .field("RecursiveLogging", trail.recursive_logging)
        .into_map();
    Trail {
        name: trail.name.unwrap_or_default(),
        home_region: trail.home_region,
        trail_arn: trail.trail_arn,
        is_multi_region_trail: trail.is_multi_region_trail,
        is_organization_trail: trail.is_organization_trail,
        s3_bucket_name: trail.s3_bucket_name,
        extra,
    }
}

pub(crate) fn trail_status(output: GetTrailStatusOutput) -> TrailStatus {
    TrailStatus {
        is_logging: output.is_logging,
    }
}

pub(crate) fn event_selectors(output: GetEventSelectorsOutput) -> EventSelectors {
    EventSelectors {
        trail_arn: output.trail_arn,
        event_selectors: output
            .event_selectors
            .map(|selectors| selectors.into_iter().map(event_selector).collect()),
        advanced_event_selectors: output
            .advanced_event_selectors
            .map(|selectors| selectors.into_iter().map(advanced_event_selector).collect()),
    }
}

fn event_selector(selector: aws_sdk_cloudtrail::types::EventSelector) -> EventSelector {
    let extra = JsonObject::default()
        .field(
            "ExcludeManagementEventSources",
            selector.exclude_management_event_sources,
        )
        .into_map();
    EventSelector {
        read_write_type: selector
            .read_write_type
            .map(|kind| kind.as_str().to_owned()),
        include_management_events: selector.include_management_events,
        data_resources: selector
            .data_resources
            .unwrap_or_default()
            .into_iter()
            .map(|resource| DataResource {
                resource_type: resource.r#type,
                values: resource.values.unwrap_or_default(),
            })
            .collect(),
        extra,
    }
}

fn advanced_event_selector(
    selector: aws_sdk_cloudtrail::types::AdvancedEventSelector,
) -> AdvancedEventSelector {
    AdvancedEventSelector {
        name: selector.name,
        field_selectors: selector
            .field_selectors
            .into_iter()
            .map(|field| FieldSelector {
                field: field.field,
                equals: field.equals,
                starts_with: field.starts_with,
                ends_with: field.ends_with,
                not_equals: field.not_equals,
                not_starts_with: field.not_starts_with,
                not_ends_with: field.not_ends_with,
            })
            .collect(),
    }
}

// `DataSources` is deprecated in favor of `Features`, but detectors set up
// before features existed report S3 protection only there.
#[allow(deprecated)]
pub(crate) fn detector(output: GetDetectorOutput) -> Detector {
    let tags = output.tags.map(|tags| {
        let sorted: BTreeMap<String, String> = tags.into_iter().collect();
        Value::Object(
            sorted
                .into_iter()
                .map(|(key, value)| (key, Value::String(value)))
                .collect(),
        )
    });
    let extra = JsonObject::default()
        .field("CreatedAt", output.created_at)
        .field(
            "FindingPublishingFrequency",
            output
                .finding_publishing_frequency
                .map(|frequency| frequency.as_str().to_owned()),
        )
        .field("ServiceRole", output.service_role)
        .field("UpdatedAt", output.updated_at)
        .field("Tags", tags)
        .into_map();
    Detector {
        status: output.status.map(|status| status.as_str().to_owned()),
        features: output.features.map(|features| {
            features
                .into_iter()
                .map(|feature| DetectorFeature {
                    name: feature
                        .name
                        .map(|name| name.as_str().to_owned())
                        .unwrap_or_default(),
                    status: feature.status.map(|status| status.as_str().to_owned()),
                })
                .collect()
        }),
        data_sources: output.data_sources.map(data_sources),
        extra,
    }
}

fn status_value(status: Option<aws_sdk_guardduty::types::DataSourceStatus>) -> Value {
    JsonObject::default()
        .field("Status", status.map(|status| status.as_str().to_owned()))
        .build()
}

fn data_sources(sources: DataSourceConfigurationsResult) -> Value {
    let kubernetes = sources.kubernetes.map(|kubernetes| {
        JsonObject::default()
            .field(
                "AuditLogs",
                kubernetes.audit_logs.map(|logs| status_value(logs.status)),
            )
            .build()
    });
    let malware = sources.malware_protection.map(|malware| {
        let scan = malware.scan_ec2_instance_with_findings.map(|scan| {
            let volumes = scan.ebs_volumes.map(|volumes| {
                JsonObject::default()
                    .field(
                        "Status",
                        volumes.status.map(|status| status.as_str().to_owned()),
                    )
                    .field("Reason", volumes.reason)
                    .build()
            });
            JsonObject::default().field("EbsVolumes", volumes).build()
        });
        JsonObject::default()
            .field("ScanEc2InstanceWithFindings", scan)
            .field("ServiceRole", malware.service_role)
            .build()
    });
    JsonObject::default()
        .field(
            "CloudTrail",
            sources
                .cloud_trail
                .map(|source| status_value(source.status)),
        )
        .field(
            "DNSLogs",
            sources.dns_logs.map(|source| status_value(source.status)),
        )
        .field(
            "FlowLogs",
            sources.flow_logs.map(|source| status_value(source.status)),
        )
        .field(
            "S3Logs",
            sources.s3_logs.map(|source| status_value(source.status)),
        )
        .field("Kubernetes", kubernetes)
        .field("MalwareProtection", malware)
        .build()
}

pub(crate) fn analyzer(summary: AnalyzerSummary) -> Analyzer {
    Analyzer {
        arn: Some(summary.arn),
        name: Some(summary.name),
        analyzer_type: Some(summary.r#type.as_str().to_owned()),
        status: Some(summary.status.as_str().to_owned()),
    }
}

pub(crate) fn finding(summary: FindingSummary) -> AnalyzerFinding {
    AnalyzerFinding {
        id: Some(summary.id),
        resource: summary.resource,
        status: Some(summary.status.as_str().to_owned()),
        is_public: summary.is_public,
        principal: summary
            .principal
            .map(|principal| principal.into_iter().collect()),
        action: summary.action,
    }
}
