//! Table-driven cases for the bucket-policy controls: one or more per rule of the
//! public-access analysis, per condition operator family, per TLS rule and per
//! cross-account rule. Each case gives the statements, the expected outcome, and
//! for FAIL and ERROR the index of the statement that decided it, which the reason
//! must name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use bucketwarden_core::{Config, Snapshot, evaluate};
use serde_json::{Value, json};

/// One case: a name, the `Statement` list (JSON text), the expected outcome, and the
/// statement that decides a FAIL or ERROR.
type Case = (&'static str, &'static str, &'static str, Option<usize>);

fn snapshot(policy_text: &str, block: Option<Value>) -> Snapshot {
    let block =
        block.unwrap_or_else(|| json!({"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}));
    let document = json!({
        "Bucket": "b",
        "AccountId": "111122223333",
        "Region": "us-east-1",
        "GetBucketPolicy": {"Policy": policy_text},
        "GetBucketPolicyStatus": {"PolicyStatus": {}},
        "GetPublicAccessBlock": block,
        "Account": {"GetAccountPublicAccessBlock": {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}}
    });
    Snapshot::from_json(&document.to_string()).unwrap()
}

fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{statements}}}"#)
}

fn run(control: &str, cases: &[Case], config: &Config) {
    let mut failures = Vec::new();
    for (name, statements, expected, deciding) in cases {
        let is_statement_list = statements.starts_with('[');
        let is_statement_object = statements.starts_with('{') && statements.contains("\"Effect\"");
        let text = if is_statement_list || is_statement_object {
            policy(statements)
        } else {
            statements.to_string()
        };
        let report = evaluate(&snapshot(&text, None), config);
        let result = report.result(control).unwrap();
        if result.outcome.as_str() != *expected {
            failures.push(format!(
                "{name}: expected {expected}, got {} ({})",
                result.outcome, result.reason
            ));
            continue;
        }
        if let Some(index) = deciding {
            let label = format!("Statement[{index}]");
            if !result.reason.contains(&label) {
                failures.push(format!(
                    "{name}: the reason does not name {label}: {}",
                    result.reason
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const PUBLIC_CASES: &[Case] = &[
    // Principals.
    (
        "star_principal",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "aws_star",
        r#"[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "aws_star_in_list",
        r#"[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "wildcard_account_arn",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_principal_allow",
        r#"[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "fixed_account",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "fixed_account_id",
        r#"[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "service_principal",
        r#"[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "canonical_user",
        r#"[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "deleted_identity_unique_id",
        r#"[{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEDELETED0001"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    // Bad actions.
    (
        "list_bucket",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "put_object",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "delete_object",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "abort_multipart",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:AbortMultipartUpload","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "restore_object",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:RestoreObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "wildcard_in_middle",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:*Object","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "question_mark_action",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:?etObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "action_case_insensitive",
        r#"[{"Effect":"Allow","Principal":"*","Action":"S3:GETOBJECT","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "action_star",
        r#"[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "harmless_action",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "not_action_excludes_every_bad_action",
        r#"[{"Effect":"Allow","Principal":"*","NotAction":["s3:Get*","s3:List*","s3:Put*","s3:Delete*","s3:AbortMultipartUpload","s3:RestoreObject"],"Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "not_action_excludes_some",
        r#"[{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    // Resources.
    (
        "other_bucket_only",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]"#,
        "PASS",
        None,
    ),
    (
        "resource_star",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "object_prefix",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_resource_other_bucket",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::other/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_resource_this_bucket",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]"#,
        "PASS",
        None,
    ),
    // String and ARN operators on pinning keys.
    (
        "source_vpc",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_vpc_key_case",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:SOURCEVPC":"vpc-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_vpc_if_exists",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_vpc_wildcard",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:SourceVpc":"vpc-*"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_vpc_like_fixed",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_vpce",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_arn",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_arn_like_wildcard",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:*:trail/*"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_account",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_owner",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceOwner":"111122223333"}}}]"#,
        "PASS",
        None,
    ),
    (
        "principal_org_id",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "PASS",
        None,
    ),
    (
        "principal_org_paths",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgPaths":"o-abcdefghij/r-ab12/ou-ab12-11111111/"}}}]"#,
        "PASS",
        None,
    ),
    (
        "principal_account",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]"#,
        "PASS",
        None,
    ),
    (
        "principal_arn_fixed",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/reader"}}}]"#,
        "PASS",
        None,
    ),
    (
        "principal_arn_wildcard",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/reader"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "access_point_arn",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/ap"}}}]"#,
        "PASS",
        None,
    ),
    (
        "access_point_account",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}}]"#,
        "PASS",
        None,
    ),
    (
        "kms_key_id",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}]"#,
        "PASS",
        None,
    ),
    (
        "user_id_fixed",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:userid":"AIDAEXAMPLEUSER00001"}}}]"#,
        "PASS",
        None,
    ),
    (
        "user_id_role_sessions",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:userid":"AROAEXAMPLEROLE00001:*"}}}]"#,
        "PASS",
        None,
    ),
    (
        "user_id_wildcard",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:userid":"*"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "string_equals_ignore_case",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIgnoreCase":{"aws:SourceVpc":"VPC-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "string_not_equals_in_allow",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "arn_not_like_in_allow",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "referer_is_not_a_pin",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":"https://example.com/*"}}}]"#,
        "FAIL",
        Some(0),
    ),
    // IpAddress.
    (
        "source_ip_narrow",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.7"]}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_ip_everything",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_ip_wider_than_8",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"64.0.0.0/7"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_ip_exactly_8",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"64.0.0.0/8"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_ip_one_wide_entry",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","0.0.0.0/1"]}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_ip_ipv6_narrow",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}}]"#,
        "PASS",
        None,
    ),
    (
        "source_ip_ipv6_wide",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"2000::/3"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "source_ip_invalid",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"not-an-address"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_ip_address_in_allow",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]"#,
        "FAIL",
        Some(0),
    ),
    // Bool, Null, Numeric, Date, Binary.
    (
        "secure_transport_true",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "null_false_requires_vpce",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:SourceVpce":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "null_true",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:SourceVpce":"true"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "numeric",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "date",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "binary",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"BinaryEquals":{"aws:SourceIdentity":"QmluYXJ5"}}}]"#,
        "FAIL",
        Some(0),
    ),
    // Set qualifiers.
    (
        "for_any_value_on_absent_key",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-abcdefghij/*"}}}]"#,
        "PASS",
        None,
    ),
    (
        "for_any_value_principal_tag",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringEquals":{"aws:PrincipalTag/team":"data"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "for_all_values_on_absent_key",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "for_any_value_org_paths_wildcard",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"*"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "for_any_value_negated",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringNotEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "for_any_value_if_exists",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "null_false_principal_arn",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:PrincipalArn":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    // Conditions are ANDed.
    (
        "two_operators_one_pins",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":"*"},"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "PASS",
        None,
    ),
    (
        "two_keys_one_operator_one_pins",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceVpc":"vpc-1"}}}]"#,
        "PASS",
        None,
    ),
    // Unknown operators.
    (
        "unknown_operator",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsSometimes":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "ERROR",
        Some(0),
    ),
    (
        "unknown_operator_fixed_principal",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsSometimes":{"aws:SourceVpc":"vpc-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "public_beats_undecided",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Weird":{"k":"v"}}},{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(1),
    ),
    // Deny statements.
    (
        "deny_unconditional",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "deny_outside_vpce",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "deny_outside_org",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]"#,
        "PASS",
        None,
    ),
    (
        "deny_outside_ip_range",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]"#,
        "PASS",
        None,
    ),
    (
        "deny_without_vpc_key",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:SourceVpc":"true"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_if_exists_on_absent_key",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-bad"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_not_principal",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "deny_only_plain_http",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_fewer_actions",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_one_role",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_not_action_spares_get",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_not_action_other_service",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","NotAction":"ec2:*","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "deny_narrower_prefix",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_two_conditions_one_partial",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deny_unknown_operator",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEqualsMaybe":{"aws:SourceVpce":"vpce-1"}}}]"#,
        "ERROR",
        Some(1),
    ),
    // Document shapes.
    (
        "statement_as_object",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        "FAIL",
        Some(0),
    ),
    (
        "second_statement_public",
        r#"[{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Sid":"Web","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(1),
    ),
    (
        "repeated_sids",
        r#"[{"Sid":"S","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Sid":"S","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "FAIL",
        Some(1),
    ),
    ("empty_statement_list", r#"[]"#, "PASS", None),
    (
        "invalid_json",
        r#"{"Version":"2012-10-17","Statement":["#,
        "ERROR",
        None,
    ),
    ("not_a_policy", r#"["Allow everything"]"#, "ERROR", None),
    (
        "lowercase_effect",
        r#"[{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "ERROR",
        None,
    ),
    (
        "number_as_action",
        r#"[{"Effect":"Allow","Principal":"*","Action":42,"Resource":"arn:aws:s3:::b/*"}]"#,
        "ERROR",
        None,
    ),
];

#[test]
fn public_access_cases() {
    assert!(
        PUBLIC_CASES.len() >= 80,
        "only {} cases",
        PUBLIC_CASES.len()
    );
    run("policy-not-public", PUBLIC_CASES, &Config::default());
}

#[test]
fn restrict_public_buckets_neutralises_public_policy() {
    let text = policy(
        r#"[{"Sid":"Web","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
    );
    let block = json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true}});
    let report = evaluate(&snapshot(&text, Some(block)), &Config::default());
    let result = report.result("policy-not-public").unwrap();
    assert_eq!(result.outcome.as_str(), "PASS");
    assert!(
        result.reason.contains("RestrictPublicBuckets (bucket)"),
        "{}",
        result.reason
    );
    assert!(
        result.reason.contains("Statement[0] (`Web`)"),
        "{}",
        result.reason
    );
}

#[test]
fn unreadable_block_public_access_leaves_public_policy_undecided() {
    let text = policy(
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
    );
    let block = json!({"Error": {"Code": "AccessDenied"}});
    let report = evaluate(&snapshot(&text, Some(block)), &Config::default());
    assert_eq!(
        report.result("policy-not-public").unwrap().outcome.as_str(),
        "ERROR"
    );
}

#[test]
fn public_sentence_names_statement_caller_actions_and_resources() {
    let text = policy(
        r#"[{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
    );
    let report = evaluate(&snapshot(&text, None), &Config::default());
    assert_eq!(
        report.result("policy-not-public").unwrap().reason,
        "Statement[1] (`PublicRead`) lets anyone on the internet call s3:GetObject (read) on every object"
    );
}

#[test]
fn limited_sentence_names_the_deny() {
    let text = policy(
        r#"[{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"DenyOutsideVpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]"#,
    );
    let report = evaluate(&snapshot(&text, None), &Config::default());
    assert_eq!(
        report.result("policy-not-public").unwrap().reason,
        "not reachable from the internet: Statement[0] (`AllowAll`) lets anyone on the internet call s3:GetObject (read) on every object; Statement[1] (`DenyOutsideVpce`) refuses it unless aws:SourceVpce is vpce-1"
    );
}

const TLS_DENY: &str = r#"{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;

const TLS_CASES: &[Case] = &[
    (
        "complete",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "aws_star_principal",
        r#"[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "action_star",
        r#"[{"Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "action_upper_case",
        r#"[{"Effect":"Deny","Principal":"*","Action":"S3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "resource_star",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]"#,
        "PASS",
        None,
    ),
    (
        "resource_bucket_prefix_wildcard",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "split_across_statements",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "bool_if_exists",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "value_capitalised",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"AWS:SecureTransport":"False"}}}]"#,
        "PASS",
        None,
    ),
    (
        "not_action_other_service",
        r#"[{"Effect":"Deny","Principal":"*","NotAction":"ec2:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "not_resource_other_bucket",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::other/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "with_other_statements",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "PASS",
        None,
    ),
    (
        "objects_only",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "bucket_only",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "extra_condition",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "for_any_value_bool",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"ForAnyValue:Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        None,
    ),
    (
        "tls_version_only",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]"#,
        "FAIL",
        None,
    ),
    (
        "one_role",
        r#"[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_principal",
        r#"[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "some_actions",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:Get*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "not_action_s3",
        r#"[{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "value_true",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]"#,
        "FAIL",
        None,
    ),
    (
        "allow_with_secure_transport",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]"#,
        "FAIL",
        None,
    ),
    (
        "other_bucket",
        r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::other","arn:aws:s3:::other/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
        "FAIL",
        Some(0),
    ),
];

#[test]
fn tls_cases() {
    run("tls-required", TLS_CASES, &Config::default());
}

#[test]
fn tls_statement_constant_passes() {
    run(
        "tls-required",
        &[("constant", TLS_DENY, "PASS", None)],
        &Config::default(),
    );
}

const CROSS_ACCOUNT_CASES: &[Case] = &[
    (
        "other_account_can_put_policy",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "other_account_star",
        r#"[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "other_account_not_action",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/x"},"NotAction":"s3:Get*","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "other_account_put_acl_wildcard",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutBucket*","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "anyone_can_put_encryption",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutEncryptionConfiguration","Resource":"arn:aws:s3:::b"}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "other_account_read_only",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
        "PASS",
        None,
    ),
    (
        "owner_account",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"s3:*","Resource":"arn:aws:s3:::b"}]"#,
        "PASS",
        None,
    ),
    (
        "trusted_account",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:role/admin"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::b"}]"#,
        "PASS",
        None,
    ),
    (
        "trusted_organization",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-trustedorg1"}}}]"#,
        "PASS",
        None,
    ),
    (
        "untrusted_organization",
        r#"[{"Effect":"Allow","Principal":"*","Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-otherorg12"}}}]"#,
        "FAIL",
        Some(0),
    ),
    (
        "deleted_identity",
        r#"[{"Effect":"Allow","Principal":{"AWS":"AIDAEXAMPLEDELETED001"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::b"}]"#,
        "PASS",
        None,
    ),
    (
        "service_principal",
        r#"[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::b"}]"#,
        "PASS",
        None,
    ),
    (
        "no_policy_statement_for_bucket",
        r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::other"}]"#,
        "PASS",
        None,
    ),
];

#[test]
fn cross_account_cases() {
    let config = Config {
        trusted_accounts: vec!["777788889999".to_string()],
        trusted_organizations: vec!["o-trustedorg1".to_string()],
        ..Config::default()
    };
    run(
        "no-cross-account-policy-changes",
        CROSS_ACCOUNT_CASES,
        &config,
    );
}

#[test]
fn other_partitions_are_analysed() {
    for (region, partition) in [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")] {
        let text = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:{partition}:s3:::b/*"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:{partition}:s3:::b","arn:{partition}:s3:::b/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
        );
        let mut document: Value = serde_json::to_value(snapshot(&text, None)).unwrap();
        document["Region"] = json!(region);
        let snapshot = Snapshot::from_json(&document.to_string()).unwrap();
        let report = evaluate(&snapshot, &Config::default());
        assert_eq!(
            report.result("policy-not-public").unwrap().outcome.as_str(),
            "FAIL",
            "{region}"
        );
        assert_eq!(
            report.result("tls-required").unwrap().outcome.as_str(),
            "PASS",
            "{region}"
        );
    }
}

#[test]
fn duplicate_keys_make_policy_undecided() {
    let text = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}],"Statement":[]}"#;
    let report = evaluate(&snapshot(text, None), &Config::default());
    let result = report.result("policy-not-public").unwrap();
    assert_eq!(result.outcome.as_str(), "ERROR");
    assert!(
        result.reason.contains("the key `Statement` appears twice"),
        "{}",
        result.reason
    );
}

#[test]
fn snapshot_entry_with_value_and_error_is_rejected() {
    let text = r#"{"Bucket":"b","AccountId":"111122223333","Region":"us-east-1","GetBucketVersioning":{"Status":"Enabled","Error":{"Code":"AccessDenied"}}}"#;
    let error = Snapshot::from_json(text).unwrap_err();
    assert!(
        error.to_string().contains("both a response and an `Error`"),
        "{error}"
    );
}

#[test]
fn markdown_escapes_sid_injection() {
    let text = policy(
        r#"[{"Sid":"x` | ![img](http://127.0.0.1/x.png) <img src=x>","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]"#,
    );
    let report = evaluate(&snapshot(&text, None), &Config::default());
    let markdown = bucketwarden_core::render::bucket_markdown(&report);
    assert!(!markdown.contains("<img"), "{markdown}");
    assert!(!markdown.contains("![img]"), "{markdown}");
    assert!(markdown.contains("&lt;img"), "{markdown}");
}
