//! `bucketwarden monitoring`: turns on the services that watch S3 in one account and
//! region. GuardDuty S3 Protection always; CloudTrail data events, AWS Config managed
//! rules, an IAM Access Analyzer and account Block Public Access when asked.
//!
//! Like the other writing workflows it reads everything first, shows one plan with
//! each call's value before and after, asks for confirmation, applies, and reads each
//! result back. What is already in place adds no step, so a second run writes nothing.

use std::fmt::Write as _;

use bucketwarden_aws::{
    AccountFacts, ApplyOptions, AwsContext, ConfigRecorder, S3_PROTECTION_FEATURE,
};
use bucketwarden_core::render::clean;
use bucketwarden_core::snapshot::{
    AdvancedEventSelector, CallError, Detector, EventSelector, EventSelectors,
    PublicAccessBlockConfiguration,
};
use bucketwarden_core::{AppliedStep, Change, Config, Outcome, Plan, Setting, Step, evaluate};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tracing::warn;

use crate::args::{ConfigRuleSet, Format, MonitoringArgs};
use crate::commands::connect;
use crate::err::CliError;
use crate::output::write_text;
use crate::workflows::{backup_target, confirm};

/// The AWS managed Config rules of `--config-rules core`: rule name and source identifier.
const CORE_RULES: &[(&str, &str)] = &[
    (
        "s3-bucket-public-read-prohibited",
        "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    ),
    ("s3-bucket-ssl-requests-only", "S3_BUCKET_SSL_REQUESTS_ONLY"),
    (
        "s3-bucket-versioning-enabled",
        "S3_BUCKET_VERSIONING_ENABLED",
    ),
    ("s3-bucket-logging-enabled", "S3_BUCKET_LOGGING_ENABLED"),
];

/// The rules that `--config-rules core+optional` adds to the core rules.
const OPTIONAL_RULES: &[(&str, &str)] = &[
    (
        "s3-bucket-public-write-prohibited",
        "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    ),
    (
        "s3-account-level-public-access-blocks",
        "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS",
    ),
    (
        "s3-bucket-replication-enabled",
        "S3_BUCKET_REPLICATION_ENABLED",
    ),
    (
        "cloudtrail-s3-dataevents-enabled",
        "CLOUDTRAIL_S3_DATAEVENTS_ENABLED",
    ),
];

/// The name of the analyzer that `--access-analyzer` creates.
const ANALYZER_NAME: &str = "bucketwarden";

/// Analyzer types whose findings report external access to buckets.
const EXTERNAL_ACCESS_TYPES: &[&str] = &["ACCOUNT", "ORGANIZATION"];

/// Controls whose FAIL means a bucket is public today through its policy or ACL.
const PUBLIC_ACCESS_CONTROLS: &[&str] = &["policy-not-public", "acl-not-public"];

/// How many buckets the Block Public Access check reads at once (as `audit` does by default).
const AUDIT_CONCURRENCY: usize = 32;

/// One write call of the plan.
#[derive(Clone, Debug, Serialize)]
struct MonitoringStep {
    call: &'static str,
    /// The region the call is sent to.
    region: String,
    /// The resource the call writes: a detector, trail ARN, rule name, analyzer name or account.
    target: String,
    /// The value before the call; `None` when the resource does not exist.
    before: Option<Value>,
    after: Value,
    reason: String,
    #[serde(skip)]
    action: Action,
}

/// The write a step makes, with the values it needs.
#[derive(Clone, Debug)]
enum Action {
    CreateDetector,
    EnableS3Protection {
        detector_id: String,
    },
    /// A core plan step that adds one bucket's data events to the trail's selectors.
    DataEvents(Box<Step>),
    PutConfigRule {
        source_identifier: String,
    },
    CreateAnalyzer,
    BlockAccountPublicAccess,
}

/// The result of one step.
#[derive(Debug, Serialize)]
struct StepResult {
    #[serde(flatten)]
    step: MonitoringStep,
    /// Paths and URIs of the backups of the value before the write (data-event steps only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    backups: Vec<String>,
    written: bool,
    /// Whether reading the setting back after the write showed the planned value.
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Everything read before the plan is shown.
#[derive(Debug, Default, Serialize)]
struct MonitoringPlan {
    account: String,
    region: String,
    steps: Vec<MonitoringStep>,
    /// Lines that name what is already in place and needs no write.
    unchanged: Vec<String>,
    /// Lines that the reader must know before confirming.
    warnings: Vec<String>,
    /// With --account-block-public-access: buckets whose policy or ACL makes them
    /// public today, which account Block Public Access would block.
    #[serde(skip_serializing_if = "Option::is_none")]
    public_buckets: Option<Vec<String>>,
}

/// Runs `bucketwarden monitoring`. Returns true when a step was not verified (exit code 1).
pub async fn monitoring(args: MonitoringArgs) -> Result<bool, CliError> {
    let aws = connect(&args.aws).await?;
    let region = aws.clients().default_region().to_owned();
    let account = aws.account_id().await?;
    let mut plan = MonitoringPlan {
        account,
        region: region.clone(),
        ..MonitoringPlan::default()
    };

    // A missing recorder stops the command here, before the longer reads and any write.
    if args.config_rules.is_some() {
        let recorders = aws
            .config_recorders(&region)
            .await
            .map_err(aws_call("DescribeConfigurationRecorders"))?;
        check_recorders(&recorders, &region)?;
    }

    plan_guardduty(&aws, &mut plan).await?;
    if args.cloudtrail_data_events {
        plan_data_events(&aws, &args, &mut plan).await?;
    }
    if let Some(set) = args.config_rules {
        plan_config_rules(&aws, set, &mut plan).await?;
    }
    if args.access_analyzer {
        plan_analyzer(&aws, &mut plan).await?;
    }
    if args.account_block_public_access {
        plan_account_block_public_access(&aws, &mut plan).await?;
    }

    show_plan(&plan, args.write.format);
    if plan.steps.is_empty() || args.write.dry_run {
        if args.write.dry_run && !plan.steps.is_empty() {
            eprintln!("Dry run: nothing was written.");
        }
        if args.write.format == Format::Json {
            write_json(&plan, &[])?;
        }
        return Ok(false);
    }
    confirm(
        &format!("Apply these {} write calls?", plan.steps.len()),
        args.write.yes,
    )?;

    // Only data-event steps go through the core apply. When a trail's selectors changed
    // since the plan was shown, the step is computed again from the current selectors.
    // So with several buckets on one trail each step starts from the previous write,
    // and a concurrent edit of the selectors is kept.
    let options = ApplyOptions {
        backup: backup_target(&args.write),
        config: Config::default(),
        dry_run: false,
        stop_when_changed: false,
        lease_bucket: None,
    };
    let mut results = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        results.push(apply_step(&aws, step, &options).await);
    }
    print_results(&plan, &results, args.write.format)?;
    Ok(results.iter().any(|result| !result.verified))
}

// ---------------------------------------------------------------------------
// Planning

async fn plan_guardduty(aws: &AwsContext, plan: &mut MonitoringPlan) -> Result<(), CliError> {
    let region = plan.region.clone();
    let detector = aws
        .guardduty_detector(&region)
        .await
        .map_err(aws_call("ListDetectors"))?;
    let after = json!({
        "Status": "ENABLED",
        "Features": [{"Name": S3_PROTECTION_FEATURE, "Status": "ENABLED"}]
    });
    let Some((detector_id, detector)) = detector else {
        plan.steps.push(MonitoringStep {
            call: "CreateDetector",
            region: region.clone(),
            target: "(new detector)".to_string(),
            before: None,
            after,
            reason: format!("{region} has no GuardDuty detector: create one with S3 Protection on"),
            action: Action::CreateDetector,
        });
        return Ok(());
    };

    let status = detector.status.clone();
    let s3_protection = s3_protection_status(&detector);
    if s3_protection_on(&detector) {
        plan.unchanged.push(format!(
            "GuardDuty: detector {detector_id} in {region} has S3 Protection on"
        ));
        return Ok(());
    }
    let reason = if status.as_deref() == Some("ENABLED") {
        format!(
            "detector {detector_id} has S3 Protection ({S3_PROTECTION_FEATURE}) {}: enable it; the detector's other features stay as they are",
            s3_protection.as_deref().unwrap_or("not reported")
        )
    } else {
        format!(
            "detector {detector_id} is {}: enable it with S3 Protection ({S3_PROTECTION_FEATURE}); its other features stay as they are",
            status.as_deref().unwrap_or("in an unknown state")
        )
    };
    plan.steps.push(MonitoringStep {
        call: "UpdateDetector",
        region,
        target: detector_id.clone(),
        before: Some(json!({
            "Status": status,
            "Features": [{"Name": S3_PROTECTION_FEATURE, "Status": s3_protection}]
        })),
        after,
        reason,
        action: Action::EnableS3Protection { detector_id },
    });
    Ok(())
}

/// Returns the detector's S3 Protection status: the `S3_DATA_EVENTS` feature, or the older
/// `DataSources.S3Logs` setting when the detector reports no features.
fn s3_protection_status(detector: &Detector) -> Option<String> {
    let feature = detector
        .features
        .iter()
        .flatten()
        .find(|feature| feature.name == S3_PROTECTION_FEATURE)
        .and_then(|feature| feature.status.clone());
    feature.or_else(|| {
        detector
            .data_sources
            .as_ref()
            .and_then(|sources| sources.pointer("/S3Logs/Status"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

fn s3_protection_on(detector: &Detector) -> bool {
    detector.status.as_deref() == Some("ENABLED")
        && s3_protection_status(detector).as_deref() == Some("ENABLED")
}

/// Plans one PutEventSelectors per bucket that the trail does not record yet. Each
/// step starts from the previous step's result, so the plan shows the selectors as
/// they will be after each write.
async fn plan_data_events(
    aws: &AwsContext,
    args: &MonitoringArgs,
    plan: &mut MonitoringPlan,
) -> Result<(), CliError> {
    let name = args
        .trail
        .as_deref()
        .ok_or_else(|| CliError::Input("--cloudtrail-data-events needs --trail".into()))?;
    let Some(first_bucket) = args.buckets.first() else {
        return Err(CliError::Input(
            "--cloudtrail-data-events needs at least one --bucket".into(),
        ));
    };
    // The region lookup fails with a clear error for a bucket that does not exist.
    for bucket in &args.buckets {
        aws.bucket_region(bucket).await?;
    }
    let trail = aws
        .find_trail(name)
        .await
        .map_err(aws_call("DescribeTrails"))?;
    let setting = Setting::TrailEventSelectors {
        trail_arn: trail.arn.clone(),
        home_region: trail.home_region.clone(),
    };
    let mut current = aws
        .read_setting(first_bucket, &setting)
        .await
        .map_err(aws_call("GetEventSelectors"))?
        .unwrap_or_else(|| json!({}));

    match aws.trail_is_logging(&trail.arn, &trail.home_region).await {
        Ok(true) => {}
        Ok(false) => plan.warnings.push(format!(
            "trail {} is not logging, so it records no events until it is started: aws cloudtrail start-logging --name {} --region {}",
            trail.arn, trail.arn, trail.home_region
        )),
        Err(error) => {
            warn!(trail = %trail.arn, error = %error, "GetTrailStatus failed");
            plan.warnings.push(format!(
                "cannot tell whether trail {} is logging: GetTrailStatus failed: {error}",
                trail.arn
            ));
        }
    }

    let mut seen = Vec::new();
    for bucket in &args.buckets {
        if seen.contains(bucket) {
            continue;
        }
        seen.push(bucket.clone());
        let change = Change::AddBucketDataEvents {
            bucket: bucket.clone(),
        };
        let after = change
            .apply(Some(&current), &Value::Null, bucket, &plan.account)
            .map_err(|error| {
                CliError::Input(format!(
                    "cannot merge data events of {bucket} into the selectors of {}: {error}",
                    trail.arn
                ))
            })?;
        let Some(after) = after else {
            plan.unchanged.push(format!(
                "CloudTrail: trail {} records the object data events of {bucket}",
                trail.arn
            ));
            continue;
        };
        let reason = format!(
            "record the object data events of {bucket} on the trail, keeping its other selectors"
        );
        let step = Step {
            bucket: bucket.clone(),
            setting: setting.clone(),
            change,
            before: Some(current.clone()),
            after: after.clone(),
            controls: Vec::new(),
            reason: reason.clone(),
        };
        plan.steps.push(MonitoringStep {
            call: setting.call(),
            region: trail.home_region.clone(),
            target: trail.arn.clone(),
            before: Some(current),
            after: after.clone(),
            reason,
            action: Action::DataEvents(Box::new(step)),
        });
        current = after;
    }
    Ok(())
}

/// Rejects the Config rules when no recorder in the region records S3 buckets: AWS
/// Config rules evaluate only the resources that a running recorder records.
fn check_recorders(recorders: &[ConfigRecorder], region: &str) -> Result<(), CliError> {
    if recorders
        .iter()
        .any(|recorder| recorder.recording && recorder.records_s3_buckets)
    {
        return Ok(());
    }
    let start = |name: &str| {
        format!(
            "  aws configservice start-configuration-recorder --configuration-recorder-name {name} --region {region}"
        )
    };
    let message = if recorders.is_empty() {
        format!(
            "AWS Config has no configuration recorder in {region}, so Config rules there would evaluate nothing. \
             Nothing was written. Create a recorder and a delivery channel, start the recorder, then run this command again:\n\
             \x20 aws configservice put-configuration-recorder --region {region} --configuration-recorder name=default,roleARN=ROLE_ARN --recording-group allSupported=true\n\
             \x20 aws configservice put-delivery-channel --region {region} --delivery-channel name=default,s3BucketName=CONFIG_BUCKET\n\
             {}",
            start("default")
        )
    } else if let Some(stopped) = recorders
        .iter()
        .find(|recorder| !recorder.recording && recorder.records_s3_buckets)
    {
        format!(
            "the AWS Config recorder {} in {region} is not recording (last status: {}), so Config rules there would evaluate nothing. \
             Nothing was written. Start it (it needs a delivery channel: aws configservice describe-delivery-channels --region {region}), then run this command again:\n{}",
            stopped.name,
            stopped.last_status.as_deref().unwrap_or("none"),
            start(&stopped.name)
        )
    } else {
        let names: Vec<&str> = recorders
            .iter()
            .map(|recorder| recorder.name.as_str())
            .collect();
        format!(
            "no AWS Config recorder in {region} records AWS::S3::Bucket (recorders: {}), so the S3 rules would evaluate nothing. \
             Nothing was written. Add AWS::S3::Bucket to a recorder's recording group with \
             aws configservice put-configuration-recorder, start it, then run this command again.",
            names.join(", ")
        )
    };
    Err(CliError::Input(message))
}

async fn plan_config_rules(
    aws: &AwsContext,
    set: ConfigRuleSet,
    plan: &mut MonitoringPlan,
) -> Result<(), CliError> {
    let region = plan.region.clone();
    let existing = aws
        .config_rules(&region)
        .await
        .map_err(aws_call("DescribeConfigRules"))?;
    let wanted = match set {
        ConfigRuleSet::Core => CORE_RULES.to_vec(),
        ConfigRuleSet::CoreOptional => [CORE_RULES, OPTIONAL_RULES].concat(),
    };
    for (name, source_identifier) in wanted {
        let present = existing.iter().find(|rule| {
            rule.owner == "AWS" && rule.source_identifier.as_deref() == Some(source_identifier)
        });
        if let Some(rule) = present {
            plan.unchanged.push(format!(
                "AWS Config: {source_identifier} is present in {region} as rule {}",
                rule.name
            ));
            continue;
        }
        // PutConfigRule with a taken name would replace that rule.
        if let Some(rule) = existing.iter().find(|rule| rule.name == name) {
            return Err(CliError::Input(format!(
                "the AWS Config rule name {name} in {region} is taken by a rule with source {} {}; \
                 nothing was written. Rename or delete that rule, then run this command again",
                rule.owner,
                rule.source_identifier.as_deref().unwrap_or("(none)")
            )));
        }
        plan.steps.push(MonitoringStep {
            call: "PutConfigRule",
            region: region.clone(),
            target: name.to_string(),
            before: None,
            after: json!({
                "ConfigRuleName": name,
                "Source": {"Owner": "AWS", "SourceIdentifier": source_identifier}
            }),
            reason: format!("add the AWS managed rule {source_identifier}"),
            action: Action::PutConfigRule {
                source_identifier: source_identifier.to_string(),
            },
        });
    }
    Ok(())
}

async fn plan_analyzer(aws: &AwsContext, plan: &mut MonitoringPlan) -> Result<(), CliError> {
    let region = plan.region.clone();
    let analyzers = aws
        .analyzers(&region)
        .await
        .map_err(aws_call("ListAnalyzers"))?;
    let external = analyzers.iter().find(|analyzer| {
        analyzer
            .analyzer_type
            .as_deref()
            .is_some_and(|kind| EXTERNAL_ACCESS_TYPES.contains(&kind))
    });
    if let Some(analyzer) = external {
        plan.unchanged.push(format!(
            "IAM Access Analyzer: analyzer {} ({}, {}) watches {region}",
            analyzer.name.as_deref().unwrap_or("unnamed"),
            analyzer.analyzer_type.as_deref().unwrap_or_default(),
            analyzer.status.as_deref().unwrap_or("status unknown")
        ));
        return Ok(());
    }
    if let Some(taken) = analyzers
        .iter()
        .find(|analyzer| analyzer.name.as_deref() == Some(ANALYZER_NAME))
    {
        return Err(CliError::Input(format!(
            "{region} has no external-access analyzer, and the name {ANALYZER_NAME} is taken by an analyzer of type {}; \
             nothing was written. Create an ACCOUNT analyzer under another name: aws accessanalyzer create-analyzer --type ACCOUNT --analyzer-name NAME --region {region}",
            taken.analyzer_type.as_deref().unwrap_or("unknown")
        )));
    }
    plan.steps.push(MonitoringStep {
        call: "CreateAnalyzer",
        region: region.clone(),
        target: ANALYZER_NAME.to_string(),
        before: None,
        after: json!({"analyzerName": ANALYZER_NAME, "type": "ACCOUNT"}),
        reason: format!(
            "{region} has no IAM Access Analyzer for external access: create one for the account"
        ),
        action: Action::CreateAnalyzer,
    });
    Ok(())
}

async fn plan_account_block_public_access(
    aws: &AwsContext,
    plan: &mut MonitoringPlan,
) -> Result<(), CliError> {
    let current = aws
        .account_block_public_access()
        .await
        .map_err(aws_call("GetPublicAccessBlock for the account"))?;
    if current.as_ref().is_some_and(all_blocked) {
        plan.unchanged.push(format!(
            "Account Block Public Access: all four settings are on for account {}",
            plan.account
        ));
        return Ok(());
    }
    let before = current.map(serde_json::to_value).transpose()?;
    plan.steps.push(MonitoringStep {
        call: "PutPublicAccessBlock",
        region: plan.region.clone(),
        target: format!("account {}", plan.account),
        before,
        after: json!({
            "BlockPublicAcls": true,
            "IgnorePublicAcls": true,
            "BlockPublicPolicy": true,
            "RestrictPublicBuckets": true
        }),
        reason: "turn on all four Block Public Access settings for every bucket of the account"
            .to_string(),
        action: Action::BlockAccountPublicAccess,
    });

    let (public, unread) = public_buckets(aws).await?;
    if !public.is_empty() {
        plan.warnings.push(format!(
            "account Block Public Access will block public access to {} bucket(s) that are public today through their policy or ACL: {}",
            public.len(),
            public.join(", ")
        ));
    }
    if !unread.is_empty() {
        plan.warnings.push(format!(
            "cannot tell whether these buckets are public, because reading them failed: {}",
            unread.join("; ")
        ));
    }
    plan.public_buckets = Some(public);
    Ok(())
}

fn all_blocked(flags: &PublicAccessBlockConfiguration) -> bool {
    [
        flags.block_public_acls,
        flags.ignore_public_acls,
        flags.block_public_policy,
        flags.restrict_public_buckets,
    ]
    .iter()
    .all(|flag| *flag == Some(true))
}

/// Audits every bucket of the account and returns the buckets whose policy or ACL
/// makes them public (policy-not-public or acl-not-public FAIL), sorted, and the
/// buckets that could not be read, each with its error.
///
/// Exempt findings count too, because an exempt public bucket still depends on public access.
async fn public_buckets(aws: &AwsContext) -> Result<(Vec<String>, Vec<String>), CliError> {
    let buckets = aws.list_buckets().await?;
    let config = Config::default();
    let mut public = Vec::new();
    let mut unread = Vec::new();
    let mut snapshots = aws.collect_buckets(buckets, AUDIT_CONCURRENCY, AccountFacts::Collect);
    while let Some((bucket, result)) = snapshots.next().await {
        match result {
            Ok(snapshot) => {
                let report = evaluate(&snapshot, &config);
                let is_public = report.results.iter().any(|result| {
                    PUBLIC_ACCESS_CONTROLS.contains(&result.id.as_str())
                        && result.outcome == Outcome::Fail
                });
                if is_public {
                    public.push(bucket);
                }
            }
            Err(error) => unread.push(format!("{bucket}: {error}")),
        }
    }
    public.sort();
    unread.sort();
    Ok((public, unread))
}

// ---------------------------------------------------------------------------
// Applying

async fn apply_step(aws: &AwsContext, step: &MonitoringStep, options: &ApplyOptions) -> StepResult {
    if let Action::DataEvents(core_step) = &step.action {
        return apply_data_events(aws, step, core_step, options).await;
    }
    let result = |written: bool, verified: bool, note: Option<String>| StepResult {
        step: step.clone(),
        backups: Vec::new(),
        written,
        verified,
        note,
    };

    // Re-read right before the write: what appeared since planning is not written again.
    match in_place(aws, step).await {
        Ok(true) => {
            return result(false, true, Some("already in place".to_string()));
        }
        Ok(false) => {}
        Err(error) => {
            return result(
                false,
                false,
                Some(format!("reading the current state failed: {error}")),
            );
        }
    }
    if matches!(step.action, Action::CreateDetector) {
        match aws.guardduty_detector(&step.region).await {
            Ok(None) => {}
            Ok(Some((id, _))) => {
                return result(
                    false,
                    false,
                    Some(format!(
                        "not written: detector {id} was created since the plan was shown; run the command again to review the new plan"
                    )),
                );
            }
            Err(error) => {
                return result(false, false, Some(format!("ListDetectors failed: {error}")));
            }
        }
    }

    let written = match &step.action {
        Action::CreateDetector => aws
            .create_detector_with_s3_protection(&step.region)
            .await
            .map(|id| Some(format!("detector {id}"))),
        Action::EnableS3Protection { detector_id } => aws
            .enable_s3_protection(&step.region, detector_id)
            .await
            .map(|()| None),
        Action::PutConfigRule { source_identifier } => aws
            .put_managed_config_rule(&step.region, &step.target, source_identifier)
            .await
            .map(|()| None),
        Action::CreateAnalyzer => aws
            .create_account_analyzer(&step.region, ANALYZER_NAME)
            .await
            .map(|arn| Some(format!("analyzer {arn}"))),
        Action::BlockAccountPublicAccess => aws.block_account_public_access().await.map(|()| None),
        Action::DataEvents(_) => Ok(None),
    };
    let created = match written {
        Ok(created) => created,
        Err(error) => {
            warn!(call = step.call, region = %step.region, error = %error, "write failed");
            return result(false, false, Some(format!("the write failed: {error}")));
        }
    };

    match in_place(aws, step).await {
        Ok(true) => result(true, true, created),
        Ok(false) => result(
            true,
            false,
            Some("written, but reading it back does not show the planned value".to_string()),
        ),
        Err(error) => result(
            true,
            false,
            Some(format!("written, but reading it back failed: {error}")),
        ),
    }
}

/// Returns whether what the step is meant to set up is in place now.
async fn in_place(aws: &AwsContext, step: &MonitoringStep) -> Result<bool, CallError> {
    match &step.action {
        Action::CreateDetector | Action::EnableS3Protection { .. } => Ok(aws
            .guardduty_detector(&step.region)
            .await?
            .is_some_and(|(_, detector)| s3_protection_on(&detector))),
        Action::PutConfigRule { source_identifier } => {
            Ok(aws.config_rules(&step.region).await?.iter().any(|rule| {
                rule.owner == "AWS"
                    && rule.source_identifier.as_deref() == Some(source_identifier.as_str())
            }))
        }
        Action::CreateAnalyzer => Ok(aws.analyzers(&step.region).await?.iter().any(|analyzer| {
            analyzer
                .analyzer_type
                .as_deref()
                .is_some_and(|kind| EXTERNAL_ACCESS_TYPES.contains(&kind))
        })),
        Action::BlockAccountPublicAccess => Ok(aws
            .account_block_public_access()
            .await?
            .as_ref()
            .is_some_and(all_blocked)),
        // The core apply re-reads and verifies data-event steps itself.
        Action::DataEvents(_) => Ok(false),
    }
}

/// Applies a data-event step with the core plan machinery: re-read, backup of the
/// current selectors, PutEventSelectors in the trail's home region, and read-back.
async fn apply_data_events(
    aws: &AwsContext,
    step: &MonitoringStep,
    core_step: &Step,
    options: &ApplyOptions,
) -> StepResult {
    let not_written = |note: String| StepResult {
        step: step.clone(),
        backups: Vec::new(),
        written: false,
        verified: false,
        note: Some(note),
    };
    let plan = Plan {
        bucket: core_step.bucket.clone(),
        steps: vec![core_step.clone()],
    };
    let applied: AppliedStep = match aws.apply_plan(&plan, options).await {
        Ok(applied) => match applied.into_iter().next() {
            Some(applied) => applied,
            None => return not_written("not written: the step returned no result".to_string()),
        },
        Err(error) => return not_written(format!("not written: {error}")),
    };

    // NOTE: GetEventSelectors returns the TrailARN and empty lists that the written
    // value lacks, and `Setting::same_value` compares selector values exactly, so
    // the core read-back reports a difference. The selectors are compared here by
    // meaning instead.
    let (verified, note) = if applied.written {
        match aws.read_setting(&core_step.bucket, &core_step.setting).await {
            Ok(read_back) if data_events_in_place(read_back.as_ref(), &applied.step) => (true, None),
            Ok(_) => (
                false,
                Some("written, but the selectors read back do not record the bucket or lost a selector".to_string()),
            ),
            Err(error) => (false, Some(format!("written, but reading it back failed: {error}"))),
        }
    } else {
        (applied.verified, applied.note)
    };
    StepResult {
        step: MonitoringStep {
            before: applied.step.before.clone(),
            after: applied.step.after.clone(),
            ..step.clone()
        },
        backups: applied.backups,
        written: applied.written,
        verified,
        note,
    }
}

/// Returns whether the selectors read back record the step's bucket and still hold
/// every selector that the trail had before the write.
fn data_events_in_place(read_back: Option<&Value>, step: &Step) -> bool {
    let recorded = matches!(
        step.change.apply(read_back, &Value::Null, &step.bucket, ""),
        Ok(None)
    );
    let (now_basic, now_advanced) = selector_lists(read_back);
    let (before_basic, before_advanced) = selector_lists(step.before.as_ref());
    recorded
        && before_basic
            .iter()
            .all(|selector| now_basic.contains(selector))
        && before_advanced
            .iter()
            .all(|selector| now_advanced.contains(selector))
}

/// Returns the basic and the advanced selectors of a GetEventSelectors response.
fn selector_lists(value: Option<&Value>) -> (Vec<EventSelector>, Vec<AdvancedEventSelector>) {
    let selectors: EventSelectors = value
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default();
    (
        selectors.event_selectors.unwrap_or_default(),
        selectors.advanced_event_selectors.unwrap_or_default(),
    )
}

// ---------------------------------------------------------------------------
// Output

/// Prints the plan, what is already in place and the warnings on stderr, for a
/// person to read before confirming. JSON output goes to stdout at the end.
fn show_plan(plan: &MonitoringPlan, format: Format) {
    let mut out = String::new();
    if format != Format::Json {
        out.push_str(&plan_text(plan));
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "WARNING: {}", clean(warning));
    }
    eprint!("{out}");
}

fn plan_text(plan: &MonitoringPlan) -> String {
    let mut out = String::new();
    let scope = format!(
        "account {} in {}",
        clean(&plan.account),
        clean(&plan.region)
    );
    if plan.steps.is_empty() {
        let _ = writeln!(out, "Monitoring for {scope}: nothing to change");
    } else {
        let _ = writeln!(
            out,
            "Monitoring plan for {scope} ({} write calls):",
            plan.steps.len()
        );
        for (number, step) in plan.steps.iter().enumerate() {
            let before = step
                .before
                .as_ref()
                .map_or_else(|| "(none)".to_string(), compact);
            let _ = writeln!(
                out,
                "\n{}. {} in {} on {}\n   {}\n   before: {}\n   after:  {}",
                number + 1,
                step.call,
                clean(&step.region),
                clean(&step.target),
                clean(&step.reason),
                clean(&before),
                clean(&compact(&step.after))
            );
        }
    }
    if !plan.unchanged.is_empty() {
        let _ = writeln!(out, "\nAlready in place:");
        for line in &plan.unchanged {
            let _ = writeln!(out, "  {}", clean(line));
        }
    }
    out
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn print_results(
    plan: &MonitoringPlan,
    results: &[StepResult],
    format: Format,
) -> Result<(), CliError> {
    if format == Format::Json {
        return write_json(plan, results);
    }
    let mut out = String::new();
    for result in results {
        let status = match (result.written, result.verified) {
            (true, true) => "written, verified",
            (true, false) => "written, NOT verified",
            (false, true) => "no write needed, verified",
            (false, false) => "not written",
        };
        let _ = write!(
            out,
            "{} in {} on {}: {status}",
            result.step.call,
            clean(&result.step.region),
            clean(&result.step.target)
        );
        if let Some(note) = &result.note {
            let _ = write!(out, " ({})", clean(note));
        }
        out.push('\n');
        for backup in &result.backups {
            let _ = writeln!(out, "  backup: {}", clean(backup));
        }
    }
    write_text(&out)
}

fn write_json(plan: &MonitoringPlan, results: &[StepResult]) -> Result<(), CliError> {
    let document = json!({"plan": plan, "applied": results});
    write_text(&(serde_json::to_string_pretty(&document)? + "\n"))
}

/// Converts a failed read or write of `context` into the command's error (exit code 2).
fn aws_call(context: &'static str) -> impl Fn(CallError) -> CliError {
    move |error| CliError::Call { context, error }
}
