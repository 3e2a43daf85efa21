//! Command-line arguments.

use std::path::PathBuf;

use bucketwarden_core::Severity;
use bucketwarden_core::config::{
    ENV_EXEMPTIONS, ENV_REQUIRE_OBJECT_LOCK, ENV_REQUIRE_REPLICATION, ENV_TRUSTED_ACCOUNTS,
    ENV_TRUSTED_ORGANIZATIONS,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Continuous S3 security auditing: audit buckets, evaluate snapshots, list controls.
#[derive(Debug, Parser)]
#[command(name = "bucketwarden", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log detail on stderr: -v for info, -vv for debug. RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit buckets in the account (read-only: makes no write call).
    Audit(AuditArgs),
    /// Write the snapshot of one bucket: every fact the audit reads, as JSON.
    Snapshot(SnapshotArgs),
    /// Evaluate a snapshot file with no AWS access.
    Evaluate(EvaluateArgs),
    /// List the controls with their ids and severities.
    Controls(ControlsArgs),
    /// Fix findings of the named controls on one bucket, after showing the plan.
    Remediate(RemediateArgs),
    /// Create a bucket in the account-regional namespace and harden it.
    SecureBucket(SecureBucketArgs),
    /// Configure default encryption: SSE-S3, or SSE-KMS with a customer managed key.
    Encryption(EncryptionArgs),
    /// Restore a setting from a backup that a write made.
    Rollback(RollbackArgs),
    /// Check credentials and, with --simulate, the permissions each workflow needs.
    Doctor(DoctorArgs),
    /// Turn on GuardDuty S3 Protection and, on request, S3 data events, Config rules,
    /// Access Analyzer and account Block Public Access, after showing the plan.
    Monitoring(MonitoringArgs),
}

/// Options of every command that writes.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Apply the plan without asking for confirmation.
    #[arg(long, short)]
    pub yes: bool,

    /// Show the plan and stop; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Folder for backups of every value a write replaces.
    #[arg(long, value_name = "DIR", default_value = "bucketwarden-backups")]
    pub backup_dir: PathBuf,

    /// S3 bucket that also receives the backups (backups/BUCKET/SETTING/TIME.json).
    #[arg(long, env = "BUCKETWARDEN_BACKUP_BUCKET", value_name = "BUCKET")]
    pub backup_bucket: Option<String>,

    /// Output format of the plan and the result.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The way object access is logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoggingOption {
    /// Server access logging to a log bucket (--log-bucket).
    ServerAccess,
    /// CloudTrail data events on a trail (--trail), written in the trail's home region.
    Cloudtrail,
}

#[derive(Debug, Args)]
pub struct LoggingArgs {
    /// How to log object access.
    #[arg(long, value_enum)]
    pub logging: Option<LoggingOption>,

    /// Log bucket for --logging server-access.
    #[arg(
        long,
        value_name = "BUCKET",
        required_if_eq("logging", "server-access")
    )]
    pub log_bucket: Option<String>,

    /// Key prefix of the logs in the log bucket; the bucket name and a slash by default.
    #[arg(long, value_name = "PREFIX")]
    pub log_prefix: Option<String>,

    /// Trail name or ARN for --logging cloudtrail.
    #[arg(long, value_name = "TRAIL", required_if_eq("logging", "cloudtrail"))]
    pub trail: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    /// Control ids to fix (see `bucketwarden controls`).
    #[arg(required = true, value_name = "CONTROL")]
    pub controls: Vec<String>,

    /// Bucket to fix.
    #[arg(long, value_name = "NAME")]
    pub bucket: String,

    /// Customer managed key (full key ARN) for customer-managed-key.
    #[arg(long, value_name = "ARN")]
    pub kms_key_arn: Option<String>,

    #[command(flatten)]
    pub logging: LoggingArgs,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub evaluation: EvaluationArgs,
}

#[derive(Debug, Args)]
pub struct SecureBucketArgs {
    /// Name of the new bucket; it must end with -ACCOUNT_ID-REGION-an.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Account id, to check and suggest the name before any AWS call.
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub account_id: Option<String>,

    #[command(flatten)]
    pub logging: LoggingArgs,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub evaluation: EvaluationArgs,
}

#[derive(Debug, Args)]
pub struct EncryptionArgs {
    /// Bucket to configure.
    #[arg(long, value_name = "NAME")]
    pub bucket: String,

    /// Use SSE-KMS with this customer managed key (full key ARN; aliases are rejected).
    #[arg(long, value_name = "ARN", conflicts_with = "create_key")]
    pub kms_key_arn: Option<String>,

    /// Create a customer managed key for the bucket's region and use it.
    #[arg(long, requires = "admin_role")]
    pub create_key: bool,

    /// IAM role ARN that administers the created key (a role of this account).
    #[arg(long, value_name = "ARN", requires = "create_key")]
    pub admin_role: Option<String>,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub evaluation: EvaluationArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Bucket whose setting is restored; it must match the backup's bucket.
    #[arg(long, value_name = "NAME")]
    pub bucket: String,

    /// Backup file, object key in the backup bucket, or s3://BUCKET/KEY URI.
    #[arg(long, value_name = "KEY")]
    pub backup: String,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The set of AWS managed Config rules that `monitoring --config-rules` adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConfigRuleSet {
    /// Public read, TLS-only requests, versioning and server access logging.
    Core,
    /// The core rules plus public write, account Block Public Access, replication and
    /// CloudTrail S3 data events.
    #[value(name = "core+optional")]
    CoreOptional,
}

#[derive(Debug, Args)]
pub struct MonitoringArgs {
    /// Bucket whose object data events the trail records (with --cloudtrail-data-events);
    /// repeat for several.
    #[arg(
        long = "bucket",
        value_name = "NAME",
        requires = "cloudtrail_data_events"
    )]
    pub buckets: Vec<String>,

    /// Add the AWS managed Config rules for S3 in the region. The region needs a
    /// configuration recorder that is recording.
    #[arg(long, value_enum, value_name = "SET")]
    pub config_rules: Option<ConfigRuleSet>,

    /// Record the object data events of each --bucket on the trail named by --trail.
    #[arg(long, requires_all = ["trail", "buckets"])]
    pub cloudtrail_data_events: bool,

    /// Trail name or ARN for --cloudtrail-data-events; its selectors are written in its home region.
    #[arg(long, value_name = "TRAIL", requires = "cloudtrail_data_events")]
    pub trail: Option<String>,

    /// Create an IAM Access Analyzer for the account (named bucketwarden) when the
    /// region has no external-access analyzer.
    #[arg(long)]
    pub access_analyzer: bool,

    /// Turn on all four account-level Block Public Access settings, after listing the
    /// buckets that are public today.
    #[arg(long)]
    pub account_block_public_access: bool,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also simulate the caller's IAM permissions for each workflow's calls.
    #[arg(long)]
    pub simulate: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Region of the default client; buckets are read in their own region.
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,

    /// Send every AWS request to this endpoint (for a local emulator).
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct EvaluationArgs {
    /// Account trusted besides the owner (12 digits; repeat or separate with commas).
    #[arg(long = "trusted-account", env = ENV_TRUSTED_ACCOUNTS, value_delimiter = ',', value_name = "ACCOUNT_ID")]
    pub trusted_accounts: Vec<String>,

    /// Organization trusted besides the owner (o-...; repeat or separate with commas).
    #[arg(long = "trusted-org", env = ENV_TRUSTED_ORGANIZATIONS, value_delimiter = ',', value_name = "ORG_ID")]
    pub trusted_organizations: Vec<String>,

    /// Exempt buckets from controls: BUCKET_PATTERN=CONTROL[+CONTROL...] or BUCKET_PATTERN=all.
    #[arg(long = "exempt", env = ENV_EXEMPTIONS, value_delimiter = ';', value_name = "PATTERN=IDS")]
    pub exemptions: Vec<String>,

    /// Bucket name pattern that must have Object Lock (otherwise absence is NOT_CONFIGURED).
    #[arg(long = "require-object-lock", env = ENV_REQUIRE_OBJECT_LOCK, value_delimiter = ',', value_name = "PATTERN")]
    pub require_object_lock: Vec<String>,

    /// Bucket name pattern that must have replication (otherwise absence is NOT_CONFIGURED).
    #[arg(long = "require-replication", env = ENV_REQUIRE_REPLICATION, value_delimiter = ',', value_name = "PATTERN")]
    pub require_replication: Vec<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Exit with 1 when a finding (not exempt) has this severity or higher.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub fail_on: Severity,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Bucket to audit; repeat for several.
    #[arg(
        long = "bucket",
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub buckets: Vec<String>,

    /// Audit every bucket of the account.
    #[arg(long)]
    pub all: bool,

    /// How many buckets are read at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub concurrency: u16,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub evaluation: EvaluationArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Bucket to read.
    #[arg(long, value_name = "NAME")]
    pub bucket: String,

    /// Write the snapshot to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Snapshot file, as written by `bucketwarden snapshot` or by hand from `aws s3api` output.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,

    #[command(flatten)]
    pub evaluation: EvaluationArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
}
