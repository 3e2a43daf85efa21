//! Settings from the environment variables the SAM template sets.

use std::fmt;

use bucketwarden_core::Severity;

use crate::err::SettingsError;

/// Name of the SSM parameter (a SecureString) that stores the webhook URL.
pub const ENV_WEBHOOK_PARAMETER: &str = "BUCKETWARDEN_SLACK_WEBHOOK_PARAMETER";
/// Id (name or ARN) of the Secrets Manager secret that stores the webhook URL.
pub const ENV_WEBHOOK_SECRET: &str = "BUCKETWARDEN_SLACK_WEBHOOK_SECRET";
/// The lowest severity posted for bucket reports: critical, high, medium, low or info.
pub const ENV_MIN_SEVERITY: &str = "BUCKETWARDEN_SLACK_MIN_SEVERITY";

pub const DEFAULT_MIN_SEVERITY: Severity = Severity::High;

/// The storage location of the webhook URL. The URL itself is never an
/// environment variable, because those show in the Lambda console and in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookSource {
    /// An SSM parameter name, read with decryption.
    Parameter(String),
    /// A Secrets Manager secret id.
    Secret(String),
}

impl fmt::Display for WebhookSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookSource::Parameter(name) => write!(f, "SSM parameter `{name}`"),
            WebhookSource::Secret(id) => write!(f, "Secrets Manager secret `{id}`"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub webhook_source: WebhookSource,
    /// Bucket reports whose worst finding is below this are not posted.
    pub min_severity: Severity,
}

impl Settings {
    /// Reads the settings through `lookup` (the environment in production).
    /// An empty or blank value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let read = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };

        let webhook_source = match (read(ENV_WEBHOOK_PARAMETER), read(ENV_WEBHOOK_SECRET)) {
            (Some(name), None) => WebhookSource::Parameter(name),
            (None, Some(id)) => WebhookSource::Secret(id),
            (None, None) => {
                return Err(SettingsError::WebhookSource {
                    problem: "neither variable is set",
                });
            }
            (Some(_), Some(_)) => {
                return Err(SettingsError::WebhookSource {
                    problem: "both variables are set",
                });
            }
        };

        let min_severity = match read(ENV_MIN_SEVERITY) {
            None => DEFAULT_MIN_SEVERITY,
            Some(text) => text.parse().map_err(|reason| SettingsError::Invalid {
                name: ENV_MIN_SEVERITY,
                reason,
            })?,
        };

        Ok(Settings {
            webhook_source,
            min_severity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_string())
        })
    }

    #[test]
    fn parameter_source_with_default_severity() {
        let settings = settings(&[(ENV_WEBHOOK_PARAMETER, "/bucketwarden/slack")]).unwrap();
        assert_eq!(
            settings.webhook_source,
            WebhookSource::Parameter("/bucketwarden/slack".to_string())
        );
        assert_eq!(settings.min_severity, Severity::High);
    }

    #[test]
    fn secret_source_with_severity() {
        let settings = settings(&[
            (ENV_WEBHOOK_SECRET, "bucketwarden/slack"),
            (ENV_MIN_SEVERITY, "Medium"),
        ])
        .unwrap();
        assert_eq!(
            settings.webhook_source,
            WebhookSource::Secret("bucketwarden/slack".to_string())
        );
        assert_eq!(settings.min_severity, Severity::Medium);
    }

    #[test]
    fn missing_source_names_both_variables() {
        for pairs in [
            &[][..],
            &[(ENV_WEBHOOK_PARAMETER, " "), (ENV_WEBHOOK_SECRET, "")][..],
        ] {
            let message = settings(pairs).unwrap_err().to_string();
            assert!(message.contains("neither"), "{message}");
            assert!(message.contains(ENV_WEBHOOK_PARAMETER), "{message}");
            assert!(message.contains(ENV_WEBHOOK_SECRET), "{message}");
        }
    }

    #[test]
    fn both_sources_rejected() {
        let message = settings(&[(ENV_WEBHOOK_PARAMETER, "a"), (ENV_WEBHOOK_SECRET, "b")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("both"), "{message}");
        assert!(message.contains(ENV_WEBHOOK_PARAMETER), "{message}");
        assert!(message.contains(ENV_WEBHOOK_SECRET), "{message}");
    }

    #[test]
    fn invalid_severity_rejected() {
        let message = settings(&[(ENV_WEBHOOK_PARAMETER, "a"), (ENV_MIN_SEVERITY, "urgent")])
            .unwrap_err()
            .to_string();
        assert!(message.contains(ENV_MIN_SEVERITY), "{message}");
        assert!(message.contains("urgent"), "{message}");
    }
}
