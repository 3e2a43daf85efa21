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
