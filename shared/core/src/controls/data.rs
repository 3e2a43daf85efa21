//! Controls on keeping data: versioning, object lock, replication and the bucket name.

use crate::config::{REQUIRE_TAG, split_list};
use crate::evaluate::{Facts, Verdict};
use crate::report::Outcome;
use crate::snapshot::{Read, ReadState, state_of};

pub fn versioning_enabled(facts: &Facts<'_>) -> Verdict {
    match state_of(&facts.snapshot.get_bucket_versioning, "GetBucketVersioning") {
        ReadState::Unreadable(why) => Verdict::unreadable("GetBucketVersioning", why),
        ReadState::Absent(error) => {
            Verdict::error(format!("GetBucketVersioning: unexpected answer {error}"))
        }
        ReadState::Value(versioning) => match versioning.status.as_deref() {
            Some("Enabled") => Verdict::pass("versioning is enabled").with("Status", "Enabled"),
            Some(status) => Verdict::fail(format!("versioning is {status}")).with("Status", status),
            None => {
                Verdict::fail("versioning has never been enabled").with("Status", "never enabled")
            }
        },
    }
}

/// Why the bucket must have a feature, if it must: its tag, or a configured pattern.
fn requirement(facts: &Facts<'_>, feature: &str, configured: bool) -> Option<String> {
    let tagged = facts
        .snapshot
        .tags
        .as_ref()
        .and_then(Read::value)
        .and_then(|tags| tags.get(REQUIRE_TAG))
        .is_some_and(|value| split_list(value).any(|item| item == feature));
    if tagged {
        Some(format!("tag `{REQUIRE_TAG}` lists {feature}"))
    } else if configured {
        Some(format!(
            "the configuration requires {feature} for this bucket"
        ))
    } else {
        None
    }
}

fn missing_feature(facts: &Facts<'_>, feature: &str, configured: bool, reason: &str) -> Verdict {
    match requirement(facts, feature, configured) {
        Some(required_by) => {
            Verdict::fail(format!("{reason}, and {required_by}")).with("required_by", required_by)
        }
        None => Verdict::new(Outcome::NotConfigured, reason).with(
            "required_by",
            "nothing: neither the tag nor the configuration requires it",
        ),
    }
}

pub fn object_lock(facts: &Facts<'_>) -> Verdict {
    let required = facts.config.requires_object_lock(&facts.snapshot.bucket);
    match state_of(
        &facts.snapshot.get_object_lock_configuration,
        "GetObjectLockConfiguration",
    ) {
        ReadState::Unreadable(why) => Verdict::unreadable("GetObjectLockConfiguration", why),
        ReadState::Absent(_) => {
            missing_feature(facts, "object-lock", required, "Object Lock is not enabled")
        }
        ReadState::Value(value) => {
            let enabled = value
                .object_lock_configuration
                .as_ref()
                .and_then(|settings| settings.object_lock_enabled.as_deref());
            if enabled == Some("Enabled") {
                let verdict =
                    Verdict::pass("Object Lock is enabled").with("ObjectLockEnabled", "Enabled");
                match value
                    .object_lock_configuration
                    .as_ref()
                    .and_then(|s| s.rule.clone())
                {
                    Some(rule) => verdict.with("Rule", rule),
                    None => verdict,
                }
            } else {
                missing_feature(facts, "object-lock", required, "Object Lock is not enabled")
            }
        }
    }
}

pub fn replication(facts: &Facts<'_>) -> Verdict {
    let required = facts.config.requires_replication(&facts.snapshot.bucket);
    match state_of(
        &facts.snapshot.get_bucket_replication,
        "GetBucketReplication",
    ) {
        ReadState::Unreadable(why) => Verdict::unreadable("GetBucketReplication", why),
        ReadState::Absent(_) => missing_feature(
            facts,
            "replication",
            required,
            "replication is not configured",
        ),
        ReadState::Value(value) => {
            let rules = value
                .replication_configuration
                .as_ref()
                .map(|configuration| configuration.rules.len())
                .unwrap_or(0);
            if rules > 0 {
                Verdict::pass(format!("replication is configured with {rules} rule(s)"))
                    .with("rules", rules)
            } else {
                missing_feature(
                    facts,
                    "replication",
                    required,
                    "the replication configuration has no rule",
                )
            }
        }
    }
}

pub fn account_regional_namespace(facts: &Facts<'_>) -> Verdict {
    let snapshot = facts.snapshot;
    let suffix = format!("-{}-{}-an", snapshot.account_id, snapshot.region);
    if snapshot.bucket.ends_with(&suffix) {
        Verdict::pass(format!("the name ends with {suffix}")).with("suffix", suffix)
    } else {
        Verdict::fail(format!(
            "the name does not end with {suffix}, so another account could claim it after deletion"
        ))
        .with("expected_suffix", suffix)
    }
}
