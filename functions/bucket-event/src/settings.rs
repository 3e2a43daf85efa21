//! Settings from the environment variables the SAM template sets.

use bucketwarden_core::Config;
use bucketwarden_core::config::split_list;
use bucketwarden_core::controls::control_ids;

use crate::err::SettingsError;

/// SNS topic that receives the reports.
pub const ENV_TOPIC_ARN: &str = "BUCKETWARDEN_TOPIC_ARN";
/// Accounts besides the deployment's whose events are audited (comma separated).
pub const ENV_ALLOWED_ACCOUNTS: &str = "BUCKETWARDEN_ALLOWED_ACCOUNTS";
/// The function's own role name; events caused by it are skipped.
pub const ENV_OWN_ROLE_NAME: &str = "BUCKETWARDEN_OWN_ROLE_NAME";

#[derive(Clone, Debug)]
pub struct Settings {
    pub topic_arn: String,
    pub allowed_accounts: Vec<String>,
    pub own_role_name: Option<String>,
    pub config: Config,
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
        Ok(Settings {
            topic_arn,
            allowed_accounts,
            own_role_name,
            config,
        })
    }
}
