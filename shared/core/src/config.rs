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
