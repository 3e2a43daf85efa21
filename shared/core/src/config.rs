//! Evaluation settings: trusted parties, exemptions and requirements.

use crate::err::ConfigError;
use crate::policy::glob;

/// Tag whose value lists the control ids a bucket is exempt from (comma or space
/// separated), or `all`.
pub const EXEMPT_TAG: &str = "bucketwarden:exempt";

/// Tag whose value lists optional features the bucket must have: `object-lock`,
/// `replication`.
pub const REQUIRE_TAG: &str = "bucketwarden:require";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Accounts besides the owner that may reach or manage buckets.
    pub trusted_accounts: Vec<String>,
    /// Organization ids (`o-...`) whose members are trusted.
    pub trusted_organizations: Vec<String>,
    pub exemptions: Vec<Exemption>,
    /// Bucket name patterns (`*` and `?` wildcards) that must have object lock.
    pub require_object_lock: Vec<String>,
    /// Bucket name patterns that must have replication.
    pub require_replication: Vec<String>,
}

/// Controls a set of buckets is exempt from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    /// A bucket name pattern with `*` and `?` wildcards.
    pub bucket: String,
    /// Control ids, or `all`.
    pub controls: Vec<String>,
}

impl Exemption {
    /// Parses `BUCKET_PATTERN=CONTROL[+CONTROL...]`, for example `logs-*=access-logging+versioning-enabled`.
    pub fn parse(text: &str, known_ids: &[&str]) -> Result<Exemption, ConfigError> {
        let (bucket, controls) =
            text.split_once('=')
                .ok_or_else(|| ConfigError::InvalidExemption {
                    value: text.to_string(),
                    reason: "expected BUCKET_PATTERN=CONTROL[+CONTROL...]".to_string(),
                })?;
        let bucket = bucket.trim();
        if bucket.is_empty() {
            return Err(ConfigError::InvalidExemption {
                value: text.to_string(),
                reason: "the bucket pattern is empty".to_string(),
            });
        }
        let controls: Vec<String> = controls
            .split('+')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect();
        if controls.is_empty() {
            return Err(ConfigError::InvalidExemption {
                value: text.to_string(),
                reason: "no control id after `=`".to_string(),
            });
        }
        if let Some(unknown) = controls
            .iter()
            .find(|id| *id != "all" && !known_ids.contains(&id.as_str()))
        {
            return Err(ConfigError::UnknownControl {
                id: unknown.clone(),
                context: format!("exemption `{text}`"),
            });
        }
        Ok(Exemption {
            bucket: bucket.to_string(),
            controls,
        })
    }

    pub fn covers(&self, bucket: &str, control: &str) -> bool {
        glob::matches(&self.bucket, bucket, false)
            && self.controls.iter().any(|id| id == "all" || id == control)
    }
}

impl Config {
    pub fn requires_object_lock(&self, bucket: &str) -> bool {
        self.require_object_lock
            .iter()
            .any(|p| glob::matches(p, bucket, false))
    }

    pub fn requires_replication(&self, bucket: &str) -> bool {
        self.require_replication
            .iter()
            .any(|p| glob::matches(p, bucket, false))
    }
}

/// Splits a tag value or setting into items on commas and white space.
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
}

/// Environment variables that configure evaluation, shared by the functions and the CLI.
pub const ENV_TRUSTED_ACCOUNTS: &str = "BUCKETWARDEN_TRUSTED_ACCOUNTS";
pub const ENV_TRUSTED_ORGANIZATIONS: &str = "BUCKETWARDEN_TRUSTED_ORGANIZATIONS";
pub const ENV_EXEMPTIONS: &str = "BUCKETWARDEN_EXEMPTIONS";
pub const ENV_REQUIRE_OBJECT_LOCK: &str = "BUCKETWARDEN_REQUIRE_OBJECT_LOCK";
pub const ENV_REQUIRE_REPLICATION: &str = "BUCKETWARDEN_REQUIRE_REPLICATION";

impl Config {
    /// Builds the configuration from named settings, such as environment variables.
    ///
    /// Lists are separated by commas or white space; exemptions by semicolons, each
    /// `BUCKET_PATTERN=CONTROL[+CONTROL...]`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        known_ids: &[&str],
    ) -> Result<Config, ConfigError> {
        let list = |name: &str| -> Vec<String> {
            lookup(name)
                .map(|value| split_list(&value).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let config = Config {
            trusted_accounts: list(ENV_TRUSTED_ACCOUNTS),
            trusted_organizations: list(ENV_TRUSTED_ORGANIZATIONS),
            exemptions: lookup(ENV_EXEMPTIONS)
                .map(|value| {
                    value
                        .split(';')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| Exemption::parse(item, known_ids))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
            require_object_lock: list(ENV_REQUIRE_OBJECT_LOCK),
            require_replication: list(ENV_REQUIRE_REPLICATION),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks account ids (12 digits) and organization ids (`o-` and 10 to 32 characters).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(bad) = self
            .trusted_accounts
            .iter()
            .find(|id| id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ConfigError::InvalidAccount { value: bad.clone() });
        }
        if let Some(bad) = self.trusted_organizations.iter().find(|id| {
            let rest = id.strip_prefix("o-").unwrap_or_default();
            !(10..=32).contains(&rest.len())
                || !rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }) {
            return Err(ConfigError::InvalidOrganization { value: bad.clone() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[&str] = &["access-logging", "versioning-enabled"];

    #[test]
    fn exemption_parses_pattern_and_ids() {
        let exemption = Exemption::parse("logs-*=access-logging+versioning-enabled", IDS).unwrap();
        assert!(exemption.covers("logs-2024", "access-logging"));
        assert!(!exemption.covers("data", "access-logging"));
    }

    #[test]
    fn exemption_unknown_id_is_rejected() {
        let error = Exemption::parse("logs-*=acces-logging", IDS).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown control id `acces-logging` in exemption `logs-*=acces-logging`; run `bucketwarden controls` for the list"
        );
    }

    #[test]
    fn lookup_rejects_short_account() {
        let error = Config::from_lookup(
            |name| (name == ENV_TRUSTED_ACCOUNTS).then(|| "1234".to_string()),
            IDS,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid trusted account `1234`: an account id is 12 digits"
        );
    }

    #[test]
    fn lookup_reads_every_setting() {
        let config = Config::from_lookup(
            |name| match name {
                ENV_TRUSTED_ACCOUNTS => Some("111122223333, 444455556666".into()),
                ENV_TRUSTED_ORGANIZATIONS => Some("o-exampleorgid".into()),
                ENV_EXEMPTIONS => Some("a=access-logging; b-*=all".into()),
                ENV_REQUIRE_OBJECT_LOCK => Some("vault-*".into()),
                _ => None,
            },
            IDS,
        )
        .unwrap();
        assert_eq!(config.trusted_accounts.len(), 2);
        assert_eq!(config.exemptions.len(), 2);
        assert!(config.requires_object_lock("vault-1"));
        assert!(!config.requires_replication("vault-1"));
    }
}
