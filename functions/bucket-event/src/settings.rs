//! Settings from the environment variables the SAM template sets.

use std::collections::BTreeMap;
use std::time::Duration;

use bucketwarden_core::Config;
use bucketwarden_core::config::split_list;
use bucketwarden_core::controls::control_ids;
use bucketwarden_core::remediate::REMEDIABLE;

use crate::err::SettingsError;

/// SNS topic that receives the reports.
pub const ENV_TOPIC_ARN: &str = "BUCKETWARDEN_TOPIC_ARN";
/// Accounts besides the deployment's whose events are audited (comma separated).
pub const ENV_ALLOWED_ACCOUNTS: &str = "BUCKETWARDEN_ALLOWED_ACCOUNTS";
/// The function's own role name; events caused by it are skipped.
pub const ENV_OWN_ROLE_NAME: &str = "BUCKETWARDEN_OWN_ROLE_NAME";
/// Per-control modes, `CONTROL=MODE` separated by commas; MODE is report, dry-run or remediate.
pub const ENV_MODES: &str = "BUCKETWARDEN_MODES";
/// S3 bucket for backups of every value a remediation replaces.
pub const ENV_BACKUP_BUCKET: &str = "BUCKETWARDEN_BACKUP_BUCKET";
/// Bucket that keeps reports SNS did not accept (`unpublished/BUCKET/TIME.json`).
pub const ENV_REPORT_BUCKET: &str = "BUCKETWARDEN_REPORT_BUCKET";
/// `server-access:LOG_BUCKET[/PREFIX]` or `cloudtrail:TRAIL`, for access-logging fixes.
pub const ENV_LOGGING: &str = "BUCKETWARDEN_LOGGING";
/// The minimum time between two remediations of one bucket, in seconds.
pub const ENV_MIN_SECONDS_BETWEEN_REMEDIATIONS: &str =
    "BUCKETWARDEN_MIN_SECONDS_BETWEEN_REMEDIATIONS";

const DEFAULT_MIN_SECONDS_BETWEEN_REMEDIATIONS: u64 = 60;

/// The action the function takes on a control's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Report the finding only (the default).
    Report,
    /// Put the plan in the report, write nothing.
    DryRun,
    /// Apply the plan, verify it, and report it.
    Remediate,
}

/// The destination of the logs that access-logging fixes turn on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoggingSetting {
    ServerAccess {
        log_bucket: String,
        prefix: Option<String>,
    },
    CloudTrail {
        trail: String,
    },
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub topic_arn: String,
    pub allowed_accounts: Vec<String>,
    pub own_role_name: Option<String>,
    pub config: Config,
    /// Modes by control id (and `abac`); a control not listed is in report mode.
    pub modes: BTreeMap<String, Mode>,
    pub backup_bucket: Option<String>,
    pub report_bucket: Option<String>,
    pub logging: Option<LoggingSetting>,
    pub min_time_between_remediations: Duration,
}

impl Settings {
    pub fn mode(&self, control: &str) -> Mode {
        self.modes.get(control).copied().unwrap_or(Mode::Report)
    }
}

fn parse_modes(text: &str) -> Result<BTreeMap<String, Mode>, SettingsError> {
    let mut modes = BTreeMap::new();
    for entry in split_list(text) {
        let (control, mode) = entry
            .split_once('=')
            .ok_or_else(|| SettingsError::Invalid {
                name: ENV_MODES,
                reason: format!("`{entry}` is not CONTROL=MODE"),
            })?;
        let mode = match mode {
            "report" => Mode::Report,
            "dry-run" => Mode::DryRun,
            "remediate" => Mode::Remediate,
            other => {
                return Err(SettingsError::Invalid {
                    name: ENV_MODES,
                    reason: format!(
                        "mode `{other}` of `{control}` is not report, dry-run or remediate"
                    ),
                });
            }
        };
        if mode != Mode::Report && !REMEDIABLE.contains(&control) {
            return Err(SettingsError::Invalid {
                name: ENV_MODES,
                reason: format!(
                    "`{control}` has no automatic remediation; controls that do: {}",
                    REMEDIABLE.join(", ")
                ),
            });
        }
        modes.insert(control.to_string(), mode);
    }
    Ok(modes)
}

fn parse_logging(text: &str) -> Result<LoggingSetting, SettingsError> {
    let invalid = || SettingsError::Invalid {
        name: ENV_LOGGING,
        reason: format!("`{text}` is not server-access:LOG_BUCKET[/PREFIX] or cloudtrail:TRAIL"),
    };
    match text.split_once(':') {
        Some(("server-access", target)) if !target.is_empty() => {
            let (log_bucket, prefix) = match target.split_once('/') {
                Some((bucket, prefix)) => (bucket.to_string(), Some(prefix.to_string())),
                None => (target.to_string(), None),
            };
            Ok(LoggingSetting::ServerAccess { log_bucket, prefix })
        }
        Some(("cloudtrail", trail)) if !trail.is_empty() => Ok(LoggingSetting::CloudTrail {
            trail: trail.to_string(),
        }),
        _ => Err(invalid()),
    }
}

impl Settings {
    /// Reads the settings through `lookup` (the environment in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let topic_arn = lookup(ENV_TOPIC_ARN)
            .filter(|value| !value.trim().is_empty())
            .ok_or(SettingsError::Missing {
                name: ENV_TOPIC_ARN,
                fix: "set it to the ARN of the SNS topic that receives reports",
            })?;
        if !topic_arn.starts_with("arn:") || topic_arn.split(':').count() != 6 {
            return Err(SettingsError::Invalid {
                name: ENV_TOPIC_ARN,
                reason: format!(
                    "`{topic_arn}` is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
                ),
            });
        }
        let allowed_accounts: Vec<String> = lookup(ENV_ALLOWED_ACCOUNTS)
            .map(|value| split_list(&value).map(str::to_string).collect())
            .unwrap_or_default();
        if let Some(bad) = allowed_accounts
            .iter()
            .find(|id| id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(SettingsError::Invalid {
                name: ENV_ALLOWED_ACCOUNTS,
                reason: format!("`{bad}` is not a 12-digit account id"),
            });
        }
        let own_role_name = lookup(ENV_OWN_ROLE_NAME).filter(|value| !value.trim().is_empty());
        let config = Config::from_lookup(&lookup, &control_ids())?;
        let modes = lookup(ENV_MODES)
            .map(|text| parse_modes(&text))
            .transpose()?
            .unwrap_or_default();
        let backup_bucket = lookup(ENV_BACKUP_BUCKET).filter(|value| !value.trim().is_empty());
        if backup_bucket.is_none() && modes.values().any(|mode| *mode == Mode::Remediate) {
            return Err(SettingsError::Missing {
                name: ENV_BACKUP_BUCKET,
                fix: "remediate mode writes a backup before every change; set it to the backup bucket's name",
            });
        }
        let logging = lookup(ENV_LOGGING)
            .filter(|value| !value.trim().is_empty() && value != "none")
            .map(|text| parse_logging(&text))
            .transpose()?;
        let min_seconds = match lookup(ENV_MIN_SECONDS_BETWEEN_REMEDIATIONS) {
            None => DEFAULT_MIN_SECONDS_BETWEEN_REMEDIATIONS,
            Some(text) => text.trim().parse().map_err(|_| SettingsError::Invalid {
                name: ENV_MIN_SECONDS_BETWEEN_REMEDIATIONS,
                reason: format!("`{text}` is not a whole number of seconds"),
            })?,
        };
        Ok(Settings {
            topic_arn,
            allowed_accounts,
            own_role_name,
            config,
            modes,
            backup_bucket,
            report_bucket: lookup(ENV_REPORT_BUCKET).filter(|value| !value.trim().is_empty()),
            logging,
            min_time_between_remediations: Duration::from_secs(min_seconds),
        })
    }
}
