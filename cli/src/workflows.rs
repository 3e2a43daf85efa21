//! The workflows that write: remediate, secure-bucket, encryption, rollback, and the
//! doctor check. Each shows its plan and requests confirmation before it writes.

use std::io::{BufRead, IsTerminal, Write};

use bucketwarden_aws::{AccountFacts, ApplyOptions, AwsContext, BackupTarget};
use bucketwarden_core::remediate::{
    self, HARDENING, LoggingChoice, PlanOptions, check_key_arn, check_namespace_name,
};
use bucketwarden_core::{AppliedStep, Config, Plan, Setting, permissions, render};
use serde_json::json;

use crate::args::{
    DoctorArgs, EncryptionArgs, Format, LoggingArgs, LoggingOption, RemediateArgs, RollbackArgs,
    SecureBucketArgs, WriteArgs,
};
use crate::commands::{connect, evaluation_config};
use crate::err::CliError;
use crate::output::write_text;

pub async fn remediate(args: RemediateArgs) -> Result<bool, CliError> {
    let config = evaluation_config(&args.evaluation)?;
    if let Some(key) = &args.kms_key_arn {
        check_key_arn(key)
            .map_err(|reason| CliError::Input(format!("invalid --kms-key-arn: {reason}")))?;
    }
    let aws = connect(&args.aws).await?;
    let snapshot = aws
        .collect_bucket(&args.bucket, &AccountFacts::Collect)
        .await?;
    let options = PlanOptions {
        logging: logging_choice(&aws, &args.logging, &args.bucket).await?,
        kms_key_arn: args.kms_key_arn.clone(),
    };
    let targets: Vec<&str> = args.controls.iter().map(String::as_str).collect();
    let plan = remediate::plan(&snapshot, &targets, &options)?;
    run_plan(&aws, &plan, &args.write, config).await
}

pub async fn secure_bucket(args: SecureBucketArgs) -> Result<bool, CliError> {
    let region = args.aws.region.clone().ok_or_else(|| {
        CliError::Input("missing --region: secure-bucket creates the bucket in that region".into())
    })?;

    // The name is checked before any AWS call.
    if let Err(corrected) = check_namespace_name(&args.name, &region, args.account_id.as_deref()) {
        return Err(CliError::Input(format!(
            "invalid bucket name `{}`: names in the account-regional namespace end with -ACCOUNT_ID-{region}-an; use `{corrected}`",
            args.name
        )));
    }
    if args.logging.logging.is_none() {
        return Err(CliError::Input(
            "missing --logging: choose server-access (with --log-bucket) or cloudtrail (with --trail)".into(),
        ));
    }
    let config = evaluation_config(&args.evaluation)?;
    let aws = connect(&args.aws).await?;
    let identity = aws
        .caller_identity()
        .await
        .map_err(aws_call("GetCallerIdentity"))?;
    if let Err(corrected) = check_namespace_name(&args.name, &region, Some(&identity.account)) {
        return Err(CliError::Input(format!(
            "invalid bucket name `{}`: it names another account; use `{corrected}`",
            args.name
        )));
    }

    // Everything the hardening needs is checked before the bucket is created, so a
    // failure leaves no bucket behind.
    if aws.bucket_exists(&args.name).await {
        return Err(CliError::Input(format!(
            "bucket `{}` already exists; use `bucketwarden remediate` to harden an existing bucket",
            args.name
        )));
    }
    let options = PlanOptions {
        logging: logging_choice(&aws, &args.logging, &args.name).await?,
        kms_key_arn: None,
    };

    if args.write.dry_run {
        eprintln!(
            "dry run: would create {} in {region}, then apply the plan below to it",
            args.name
        );
    } else {
        confirm(
            &format!("Create bucket {} in {region}?", args.name),
            args.write.yes,
        )?;
        aws.create_bucket(&args.name, &region)
            .await
            .map_err(aws_call("CreateBucket"))?;
        eprintln!("created {} in {region}", args.name);
    }

    let snapshot = if args.write.dry_run {
        new_bucket_snapshot(&args.name, &identity.account, &region)
    } else {
        aws.collect_bucket(&args.name, &AccountFacts::Collect)
            .await?
    };
    let plan = remediate::plan(&snapshot, HARDENING, &options)?;
    run_plan(&aws, &plan, &args.write, config).await
}

pub async fn encryption(args: EncryptionArgs) -> Result<bool, CliError> {
    if let Some(key) = &args.kms_key_arn {
        check_key_arn(key)
            .map_err(|reason| CliError::Input(format!("invalid --kms-key-arn: {reason}")))?;
    }
    let config = evaluation_config(&args.evaluation)?;
    let aws = connect(&args.aws).await?;
    let snapshot = aws
        .collect_bucket(&args.bucket, &AccountFacts::Collect)
        .await?;

    let key = match (&args.kms_key_arn, args.create_key, &args.admin_role) {
        (Some(key), _, _) => {
            check_key(&aws, key, &snapshot.region).await?;
            Some(key.clone())
        }
        (None, true, Some(admin_role)) => {
            check_admin_role(admin_role, &snapshot.account_id)?;
            if args.write.dry_run {
                Some(format!(
                    "arn:aws:kms:{}:{}:key/TO-BE-CREATED",
                    snapshot.region, snapshot.account_id
                ))
            } else {
                confirm(
                    &format!(
                        "Create a customer managed key in {} administered by {admin_role}?",
                        snapshot.region
                    ),
                    args.write.yes,
                )?;
                let arn = aws
                    .create_s3_key(&snapshot.region, &snapshot.account_id, admin_role)
                    .await
                    .map_err(aws_call("CreateKey"))?;
                eprintln!("created key {arn}");
                Some(arn)
            }
        }
        _ => None,
    };
    let mut targets = vec!["default-encryption", "sse-c-blocked", "bucket-key-enabled"];
    if key.is_some() {
        targets.push("customer-managed-key");
    }
    let options = PlanOptions {
        logging: None,
        kms_key_arn: key,
    };
    let plan = remediate::plan(&snapshot, &targets, &options)?;
    run_plan(&aws, &plan, &args.write, config).await
}

pub async fn rollback(args: RollbackArgs) -> Result<bool, CliError> {
    let aws = connect(&args.aws).await?;
    let target = backup_target(&args.write);
    let backup = aws
        .load_backup(&args.backup, &target)
        .await
        .map_err(aws_call("reading the backup"))?;
    if backup.bucket != args.bucket {
        return Err(CliError::Input(format!(
            "the backup `{}` is of bucket `{}`, not `{}`; pass the matching --bucket",
            args.backup, backup.bucket, args.bucket
        )));
    }
    // The restored value is checked as a remediation's would be: a policy must be
    // valid for this bucket and must not lock the owner out.
    if let (Setting::BucketPolicy, Some(document)) = (&backup.setting, &backup.value) {
        let owner = aws.account_id().await?;
        bucketwarden_core::merge::validate_policy(document, &backup.bucket, &owner).map_err(
            |error| {
                CliError::Input(format!(
                    "the backup `{}` cannot be restored: {error}",
                    args.backup
                ))
            },
        )?;
    }
    if backup.value.is_none() && !bucketwarden_aws::deletable(&backup.setting) {
        return Err(CliError::Input(format!(
            "the backup records {} as absent, and S3 cannot remove that setting",
            backup.setting.call()
        )));
    }
    let current = aws
        .read_setting(&backup.bucket, &backup.setting)
        .await
        .map_err(aws_call("reading the current value"))?;
    let show = |value: &Option<serde_json::Value>| match value {
        Some(value) => serde_json::to_string(value).unwrap_or_default(),
        None => "(absent)".to_string(),
    };
    let target_name = match &backup.setting {
        Setting::TrailEventSelectors {
            trail_arn,
            home_region,
        } => format!("trail {trail_arn} in {home_region}"),
        _ => format!("bucket {}", backup.bucket),
    };
    eprintln!(
        "Restore {} of {target_name} to the value backed up at {}:\n  now:      {}\n  restored: {}",
        backup.setting.call(),
        backup.taken_at,
        render::clean(&show(&current)),
        render::clean(&show(&backup.value)),
    );
    if args.write.dry_run {
        return Ok(false);
    }
    confirm("Apply?", args.write.yes)?;
    let result = aws
        .rollback(&backup, &target)
        .await
        .map_err(aws_call("rollback"))?;
    print_results(
        &Plan::new(&backup.bucket),
        std::slice::from_ref(&result),
        args.write.format,
    )?;
    Ok(!result.verified)
}

pub async fn doctor(args: DoctorArgs) -> Result<bool, CliError> {
    let aws = connect(&args.aws).await?;
    let identity = aws
        .caller_identity()
        .await
        .map_err(aws_call("GetCallerIdentity"))?;
    let mut out = format!(
        "credentials: ok, account {} as {}\n",
        identity.account, identity.arn
    );
    let mut problems = false;
    if args.simulate {
        for workflow in permissions::WORKFLOWS {
            let actions = permissions::for_workflow(workflow).unwrap_or_default();
            match crate::simulate::denied_actions(&aws, &identity.arn, &actions).await {
                Ok(denied) if denied.is_empty() => {
                    out.push_str(&format!(
                        "{workflow}: all {} actions allowed\n",
                        actions.len()
                    ));
                }
                Ok(denied) => {
                    problems = true;
                    out.push_str(&format!("{workflow}: denied {}\n", denied.join(", ")));
                }
                Err(error) => {
                    // The other workflows would fail the same way; each failure can
                    // take a while because the SDK retries it.
                    problems = true;
                    out.push_str(&format!(
                        "{workflow}: simulation failed: {error}\nthe other workflows were not simulated\n"
                    ));
                    break;
                }
            }
        }
    }
    write_text(&out)?;
    Ok(problems)
}

/// Shows the plan, requests confirmation, applies it, and prints what happened.
/// Returns true when a step was not verified (exit code 1).
async fn run_plan(
    aws: &AwsContext,
    plan: &Plan,
    write: &WriteArgs,
    config: Config,
) -> Result<bool, CliError> {
    match write.format {
        Format::Json => {}
        Format::Text | Format::Markdown => eprint!("{}", plan.text()),
    }
    if plan.is_empty() {
        if write.format == Format::Json {
            write_text(
                &(serde_json::to_string_pretty(&json!({"plan": plan, "applied": []}))? + "\n"),
            )?;
        }
        return Ok(false);
    }
    if write.dry_run {
        if write.format == Format::Json {
            write_text(
                &(serde_json::to_string_pretty(&json!({"plan": plan, "applied": []}))? + "\n"),
            )?;
        }
        return Ok(false);
    }
    confirm(
        &format!("Apply these {} write calls?", plan.steps.len()),
        write.yes,
    )?;
    let options = ApplyOptions {
        backup: backup_target(write),
        config,
        dry_run: false,
        stop_when_changed: true,
        lease_bucket: None,
    };
    let applied = aws.apply_plan(plan, &options).await?;
    print_results(plan, &applied, write.format)?;
    Ok(applied.iter().any(|step| !step.verified))
}

fn print_results(plan: &Plan, applied: &[AppliedStep], format: Format) -> Result<(), CliError> {
    if format == Format::Json {
        return write_text(
            &(serde_json::to_string_pretty(&json!({"plan": plan, "applied": applied}))? + "\n"),
        );
    }
    let mut out = String::new();
    for step in applied {
        let status = match (step.written, step.verified) {
            (true, true) => "written, verified",
            (true, false) => "written, NOT verified",
            (false, true) => "no write needed, verified",
            (false, false) => "not written",
        };
        out.push_str(&format!(
            "{} on {}: {status}",
            step.step.call(),
            step.step.bucket
        ));
        if let Some(note) = &step.note {
            out.push_str(&format!(" ({note})"));
        }
        out.push('\n');
        for backup in &step.backups {
            out.push_str(&format!("  backup: {backup}\n"));
        }
    }
    write_text(&out)
}

pub(crate) fn backup_target(write: &WriteArgs) -> BackupTarget {
    BackupTarget {
        bucket: write.backup_bucket.clone(),
        directory: Some(write.backup_dir.clone()),
    }
}

/// Asks on the terminal; without one, only --yes lets the write go ahead.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Input(
            "confirmation needed, but standard input is not a terminal; pass --yes to apply, or --dry-run to only plan".into(),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::Declined)
    }
}

async fn logging_choice(
    aws: &AwsContext,
    args: &LoggingArgs,
    bucket: &str,
) -> Result<Option<LoggingChoice>, CliError> {
    match args.logging {
        None => Ok(None),
        Some(LoggingOption::ServerAccess) => {
            let log_bucket = args.log_bucket.clone().ok_or_else(|| {
                CliError::Input("--logging server-access needs --log-bucket".into())
            })?;
            if log_bucket == bucket {
                return Err(CliError::Input(
                    "--log-bucket must differ from the bucket: logging a bucket into itself logs its own log writes".into(),
                ));
            }
            let log_bucket_policy = aws
                .read_setting(&log_bucket, &Setting::BucketPolicy)
                .await
                .map_err(|error| {
                    CliError::Input(format!(
                        "cannot use `{log_bucket}` as the log bucket: reading its policy failed ({error}); pass an existing bucket of this account to --log-bucket"
                    ))
                })?;
            Ok(Some(LoggingChoice::ServerAccess {
                prefix: args
                    .log_prefix
                    .clone()
                    .unwrap_or_else(|| format!("{bucket}/")),
                log_bucket,
                log_bucket_policy,
            }))
        }
        Some(LoggingOption::Cloudtrail) => {
            let name = args
                .trail
                .clone()
                .ok_or_else(|| CliError::Input("--logging cloudtrail needs --trail".into()))?;
            let trail = aws
                .find_trail(&name)
                .await
                .map_err(aws_call("DescribeTrails"))?;
            let setting = Setting::TrailEventSelectors {
                trail_arn: trail.arn.clone(),
                home_region: trail.home_region.clone(),
            };
            let selectors = aws
                .read_setting(bucket, &setting)
                .await
                .map_err(aws_call("GetEventSelectors"))?
                .unwrap_or_else(|| json!({}));
            Ok(Some(LoggingChoice::CloudTrail {
                trail_arn: trail.arn,
                home_region: trail.home_region,
                selectors,
            }))
        }
    }
}

/// Builds the snapshot the planner uses for a bucket that does not exist yet: every
/// setting at S3's defaults for new buckets.
fn new_bucket_snapshot(bucket: &str, account: &str, region: &str) -> bucketwarden_core::Snapshot {
    let document = json!({
        "Bucket": bucket,
        "AccountId": account,
        "Region": region,
        "GetBucketPolicy": {"Error": {"Code": "NoSuchBucketPolicy"}},
        "GetBucketEncryption": {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}
        ]}},
        "GetBucketVersioning": {},
        "GetBucketLogging": {},
    });
    serde_json::from_value(document).unwrap_or_default()
}

pub(crate) async fn check_key(aws: &AwsContext, key: &str, region: &str) -> Result<(), CliError> {
    aws.check_customer_key(key, region)
        .await
        .map_err(|problem| CliError::Input(format!("invalid --kms-key-arn `{key}`: {}", problem.0)))
}

/// Accepts only a role of the caller's account as the administrator of a new key.
fn check_admin_role(role: &str, account: &str) -> Result<(), CliError> {
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    let valid = matches!(parts.as_slice(), ["arn", _, "iam", "", role_account, resource]
        if *role_account == account && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty() && !name.contains('*')));
    if valid {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "invalid --admin-role `{role}`: use the ARN of a role in account {account}, such as arn:aws:iam::{account}:role/key-admin"
        )))
    }
}

fn aws_call(context: &'static str) -> impl Fn(bucketwarden_core::snapshot::CallError) -> CliError {
    move |error| CliError::Call { context, error }
}
