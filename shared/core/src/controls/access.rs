//! Controls on who can reach the bucket: Block Public Access, the policy, the ACL,
//! TLS and cross-account changes.

use serde_json::{Value, json};

use crate::evaluate::{BlockFlag, Facts, LayerFlag, PolicyFacts, Verdict};
use crate::policy::analysis::{PublicGrant, Reach, SETTING_CHANGE_ACTIONS};
use crate::snapshot::{ReadState, Unreadable, state_of};

const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

pub fn bucket_public_access_block(facts: &Facts<'_>) -> Verdict {
    let flags = facts.block_flags();
    let layers: serde_json::Map<String, Value> = flags
        .iter()
        .map(|flag| (flag.name.to_string(), Value::String(flag.layer())))
        .collect();
    let off: Vec<&str> = flags
        .iter()
        .filter(|flag| flag.effective() == Some(false))
        .map(|flag| flag.name)
        .collect();
    let unknown: Vec<&BlockFlag> = flags
        .iter()
        .copied()
        .filter(|flag| flag.effective().is_none())
        .collect();

    let verdict = if !off.is_empty() {
        Verdict::fail(format!(
            "{} off at both the bucket and the account layer",
            join_flags(&off)
        ))
    } else if let Some(flag) = unknown.first() {
        Verdict::error(format!("{} cannot be decided: {}", flag.name, flag.layer()))
    } else {
        Verdict::pass("all four Block Public Access flags are on")
    };
    verdict.with("flags", layers)
}

pub fn account_public_access_block(facts: &Facts<'_>) -> Verdict {
    let account = facts
        .snapshot
        .account
        .as_ref()
        .and_then(|account| account.get_account_public_access_block.as_ref());
    let off: Vec<&str> = facts
        .block_flags()
        .iter()
        .filter(|flag| flag.account == LayerFlag::Off)
        .map(|flag| flag.name)
        .collect();
    match account {
        None => Verdict::unreadable(
            "GetAccountPublicAccessBlock",
            Unreadable::NotCollected("GetAccountPublicAccessBlock"),
        ),
        Some(_) => {
            if let Some(LayerFlag::Unknown(why)) =
                facts.block_flags().first().map(|flag| &flag.account)
            {
                return Verdict::error(why.clone());
            }
            if off.is_empty() {
                Verdict::pass("all four Block Public Access flags are on for the account").with(
                    "on",
                    json!([
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets"
                    ]),
                )
            } else {
                Verdict::fail(format!("{} off for the account", join_flags(&off)))
                    .with("off", json!(off))
            }
        }
    }
}

fn join_flags(flags: &[&str]) -> String {
    match flags {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(", ")),
    }
}

pub fn policy_not_public(facts: &Facts<'_>) -> Verdict {
    let (analysis, _) =
        match policy_or_verdict(facts, "the bucket has no policy, so it grants nothing") {
            Ok(parsed) => parsed,
            Err(verdict) => return verdict,
        };
    let arns = &facts.arns;
    let s3_public = analysis.s3_classifies_public();
    let mut evidence = serde_json::Map::new();
    evidence.insert(
        "s3_classification".into(),
        Value::String(if s3_public { "public" } else { "not public" }.into()),
    );
    evidence.insert("policy_status_is_public".into(), policy_status(facts));
    if let Some(disagreement) = status_disagreement(facts, s3_public) {
        evidence.insert("cross_check".into(), Value::String(disagreement));
    }
    evidence.insert(
        "grants".into(),
        Value::Array(
            analysis
                .public_grants
                .iter()
                .map(|grant| grant_evidence(grant, facts))
                .collect(),
        ),
    );
    if !analysis.other_accounts.is_empty() {
        evidence.insert(
            "other_accounts".into(),
            Value::Array(
                analysis
                    .other_accounts
                    .iter()
                    .map(|access| json!({"statement": access.statement, "account": access.account, "actions": access.actions}))
                    .collect(),
            ),
        );
    }

    let reachable: Vec<&PublicGrant> = analysis.reachable().collect();
    let verdict = if let Some(first) = reachable.first() {
        let restricted = &facts.restrict_public_buckets;
        match restricted.effective() {
            Some(true) => Verdict::pass(format!(
                "RestrictPublicBuckets ({}) neutralises the public grant: {}",
                restricted.layer(),
                first.sentence(arns)
            )),
            None => Verdict::error(format!(
                "{}; whether RestrictPublicBuckets neutralises it is unknown: {}",
                first.sentence(arns),
                restricted.layer()
            )),
            Some(false) => Verdict::fail(first.sentence(arns)),
        }
    } else if let Some(undecided) = analysis.undecided.first() {
        Verdict::error(format!(
            "{} uses the condition operator `{}`, which this analysis does not know, so public access cannot be ruled out",
            undecided.label, undecided.operator
        ))
    } else if let Some(limited) = analysis.public_grants.first() {
        Verdict::pass(format!(
            "not reachable from the internet: {}",
            limited.sentence(arns)
        ))
    } else {
        Verdict::pass("no statement grants access to anyone on the internet")
    };
    Verdict {
        evidence,
        ..verdict
    }
}

fn grant_evidence(grant: &PublicGrant, facts: &Facts<'_>) -> Value {
    let reach = match &grant.reach {
        Reach::Internet => json!({"effective": "internet"}),
        Reach::Limited { to, by } => json!({"effective": "limited", "to": to, "by": by}),
        Reach::Blocked { by } => json!({"effective": "blocked", "by": by}),
    };
    json!({
        "statement": grant.statement,
        "sid": grant.sid,
        "principal": grant.audience.describe(),
        "actions": grant.actions,
        "access": grant.access,
        "resources": grant.resources,
        "reach": reach,
        "explanation": grant.sentence(&facts.arns),
    })
}

fn policy_status(facts: &Facts<'_>) -> Value {
    match state_of(
        &facts.snapshot.get_bucket_policy_status,
        "GetBucketPolicyStatus",
    ) {
        ReadState::Value(status) => match status.policy_status.as_ref().and_then(|s| s.is_public) {
            Some(flag) => Value::Bool(flag),
            None => Value::String("unknown (IsPublic missing from the answer)".into()),
        },
        ReadState::Absent(error) => Value::String(format!("no policy ({})", error.code)),
        ReadState::Unreadable(why) => Value::String(format!("unknown ({why})")),
    }
}

fn status_disagreement(facts: &Facts<'_>, s3_public: bool) -> Option<String> {
    let reported = match state_of(
        &facts.snapshot.get_bucket_policy_status,
        "GetBucketPolicyStatus",
    ) {
        ReadState::Value(status) => status.policy_status.as_ref().and_then(|s| s.is_public)?,
        _ => return None,
    };
    (reported != s3_public).then(|| {
        format!(
            "GetBucketPolicyStatus says IsPublic {reported}, but S3's documented rule applied to this policy says {}",
            if s3_public { "public" } else { "not public" }
        )
    })
}

/// Returns the analyses of the parsed policy, or the verdict when there is none to analyse.
fn policy_or_verdict<'f>(
    facts: &'f Facts<'_>,
    absent_reason: &str,
) -> Result<
    (
        &'f crate::policy::PolicyAnalysis,
        &'f crate::policy::TlsAnalysis,
    ),
    Verdict,
> {
    match &facts.policy {
        PolicyFacts::Parsed { analysis, tls, .. } => Ok((analysis, tls)),
        PolicyFacts::Absent => Err(Verdict::pass(absent_reason).with("policy", "none (NoSuchBucketPolicy)")),
        PolicyFacts::Unreadable { reason, code } => Err(Verdict::error(reason.clone()).with(
            "read",
            json!({"call": "GetBucketPolicy", "state": if code.is_some() { "failed" } else { "not collected" }, "error_code": code}),
        )),
        PolicyFacts::Invalid { reason } => Err(Verdict::error(reason.clone())),
    }
}

pub fn tls_required(facts: &Facts<'_>) -> Verdict {
    let tls = match &facts.policy {
        PolicyFacts::Absent => {
            return Verdict::fail(
                "the bucket has no policy, so nothing refuses requests over plain HTTP",
            )
            .with("policy", "none (NoSuchBucketPolicy)");
        }
        PolicyFacts::Parsed { tls, .. } => tls,
        _ => {
            return match policy_or_verdict(facts, "") {
                Err(verdict) => verdict,
                Ok(_) => Verdict::error("policy state changed during evaluation"),
            };
        }
    };
    let evidence = json!({
        "enforcing_statements": tls.enforcing,
        "bucket_covered": tls.bucket_covered,
        "objects_covered": tls.objects_covered,
        "shortfalls": tls.shortfalls,
    });
    let verdict = if tls.enforced() {
        Verdict::pass(format!(
            "{} {} every S3 action to every principal over plain HTTP on the bucket and its objects",
            tls.enforcing.join(" and "),
            if tls.enforcing.len() == 1 {
                "denies"
            } else {
                "deny"
            }
        ))
    } else if let Some(shortfall) = tls.shortfalls.first() {
        Verdict::fail(format!("plain HTTP is not refused everywhere: {shortfall}"))
    } else {
        Verdict::fail(
            "no Deny statement tests aws:SecureTransport, so S3 accepts requests over plain HTTP",
        )
    };
    match evidence {
        Value::Object(map) => Verdict {
            evidence: map,
            ..verdict
        },
        _ => verdict,
    }
}

pub fn acls_disabled(facts: &Facts<'_>) -> Verdict {
    match state_of(
        &facts.snapshot.get_bucket_ownership_controls,
        "GetBucketOwnershipControls",
    ) {
        ReadState::Unreadable(why) => Verdict::unreadable("GetBucketOwnershipControls", why),
        ReadState::Absent(_) => {
            Verdict::fail("the bucket has no ownership controls, so ACLs are enabled")
                .with("ObjectOwnership", "none (OwnershipControlsNotFoundError)")
        }
        ReadState::Value(controls) => {
            let ownership = object_ownership(controls);
            match ownership.as_deref() {
                Some("BucketOwnerEnforced") => {
                    Verdict::pass("ObjectOwnership is BucketOwnerEnforced, so ACLs are disabled")
                        .with("ObjectOwnership", "BucketOwnerEnforced")
                }
                Some(other) => {
                    Verdict::fail(format!("ObjectOwnership is {other}, so ACLs are enabled"))
                        .with("ObjectOwnership", other)
                }
                None => Verdict::fail("the ownership controls have no rule, so ACLs are enabled"),
            }
        }
    }
}

fn object_ownership(controls: &crate::snapshot::BucketOwnershipControls) -> Option<String> {
    controls
        .ownership_controls
        .as_ref()
        .and_then(|c| c.rules.first())
        .map(|rule| rule.object_ownership.clone())
}

pub fn acl_not_public(facts: &Facts<'_>) -> Verdict {
    // ACLs disabled: no grant affects access, whatever the ACL shows.
    let ownership = state_of(
        &facts.snapshot.get_bucket_ownership_controls,
        "GetBucketOwnershipControls",
    );
    if let ReadState::Value(controls) = ownership
        && object_ownership(controls).as_deref() == Some("BucketOwnerEnforced")
    {
        return Verdict::pass(
            "ACLs are disabled (BucketOwnerEnforced), so no grant affects access",
        )
        .with("ObjectOwnership", "BucketOwnerEnforced");
    }

    let acl = match state_of(&facts.snapshot.get_bucket_acl, "GetBucketAcl") {
        ReadState::Value(acl) => Some(acl),
        _ => None,
    };
    let public_grants: Vec<Value> = acl
        .map(|acl| {
            acl.grants
                .iter()
                .filter(|grant| {
                    let uri = grant.grantee.uri.as_deref().unwrap_or_default();
                    uri == ALL_USERS_URI || uri == AUTHENTICATED_USERS_URI
                })
                .map(|grant| {
                    json!({
                        "grantee": grant.grantee.uri,
                        "permission": grant.permission,
                    })
                })
                .collect()
        })
        .unwrap_or_default();

    let ignore = &facts.ignore_public_acls;
    if ignore.effective() == Some(true) {
        return Verdict::pass(format!(
            "IgnorePublicAcls ({}) makes S3 ignore public grants",
            ignore.layer()
        ))
        .with("latent_grants", public_grants);
    }
    if let ReadState::Unreadable(why) = state_of(&facts.snapshot.get_bucket_acl, "GetBucketAcl") {
        return Verdict::unreadable("GetBucketAcl", why);
    }
    if public_grants.is_empty() {
        return Verdict::pass("the ACL has no grant to AllUsers or AuthenticatedUsers");
    }
    let described: Vec<String> = public_grants
        .iter()
        .map(|grant| {
            let uri = grant
                .get("grantee")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let group = if uri == ALL_USERS_URI {
                "AllUsers (anyone on the internet)"
            } else {
                "AuthenticatedUsers (any AWS account)"
            };
            let permission = grant
                .get("permission")
                .and_then(Value::as_str)
                .unwrap_or("?");
            format!("{permission} to {group}")
        })
        .collect();
    match ignore.effective() {
        None => Verdict::error(format!(
            "the ACL grants {}, and whether IgnorePublicAcls neutralises it is unknown: {}",
            described.join(", "),
            ignore.layer()
        )),
        _ => Verdict::fail(format!("the ACL grants {}", described.join(", "))),
    }
    .with("grants", public_grants)
}

pub fn no_cross_account_policy_changes(facts: &Facts<'_>) -> Verdict {
    let (analysis, _) = match policy_or_verdict(
        facts,
        "the bucket has no policy, so no other account is granted anything",
    ) {
        Ok(parsed) => parsed,
        Err(verdict) => return verdict,
    };
    let changers: Vec<_> = analysis
        .other_accounts
        .iter()
        .filter(|access| !access.setting_changes.is_empty())
        .collect();
    let evidence: Vec<Value> = changers
        .iter()
        .map(|access| json!({"statement": access.statement, "account": access.account, "actions": access.setting_changes}))
        .collect();
    match changers.first() {
        Some(first) => {
            let who = if first.account == "*" {
                "any account".to_string()
            } else {
                format!("account {}", first.account)
            };
            Verdict::fail(format!(
                "{} lets {who} call {}",
                first.label,
                first.setting_changes.join(", ")
            ))
            .with("grants", evidence)
        }
        None => match analysis.undecided.first() {
            Some(undecided) => Verdict::error(format!(
                "{} uses the condition operator `{}`, which this analysis does not know",
                undecided.label, undecided.operator
            )),
            None => Verdict::pass(
                "no other account may change the bucket's policy, ACL, encryption, ownership or Block Public Access",
            )
            .with("actions_checked", json!(SETTING_CHANGE_ACTIONS))
            .with(
                "other_accounts_with_access",
                Value::Array(
                    analysis
                        .other_accounts
                        .iter()
                        .map(|access| json!({"statement": access.statement, "account": access.account, "actions": access.actions}))
                        .collect(),
                ),
            )
            .with("trusted_accounts", json!(facts.config.trusted_accounts))
            .with("trusted_organizations", json!(facts.config.trusted_organizations)),
        },
    }
}
