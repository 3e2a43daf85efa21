//! EventBridge "AWS API Call via CloudTrail" events for S3: parsing, and the decision
//! to audit the bucket an event names or to skip the event.
//!
//! The bucket-event function calls [`classify`] on every event it receives. It lives
//! here, apart from the AWS SDK, so that a fuzz target can build it.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use crate::err::MalformedEvent;

pub const S3_SOURCE: &str = "aws.s3";
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The handler's decision about an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    Audit(BucketEvent),
    Skip { reason: String },
}

/// The facts of an S3 API call event that the handler uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketEvent {
    pub bucket: String,
    pub event_name: String,
    pub account: String,
    pub region: String,
    pub event_id: Option<String>,
    /// `detail.userIdentity.arn`: who made the call.
    pub caller_arn: Option<String>,
}

/// Whose events the handler accepts and which role is its own.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// The deployment's account.
    pub account_id: String,
    /// Other accounts whose events are accepted.
    pub allowed_accounts: Vec<String>,
    /// The function's own role name; events it caused are skipped (loop guard).
    pub own_role_name: Option<String>,
}

/// Decides what to do with a raw event, or rejects it as malformed.
pub fn classify(raw: Value, filter: &EventFilter) -> Result<Disposition, MalformedEvent> {
    let event: EventBridgeEvent<Value> = serde_json::from_value(raw).map_err(|error| {
        MalformedEvent::new(format!(
            "not an EventBridge event ({error}); the function expects \"AWS API Call via CloudTrail\" events for aws.s3"
        ))
    })?;

    if event.source != S3_SOURCE {
        return Ok(skip(format!(
            "source `{}` is not {S3_SOURCE}",
            event.source
        )));
    }
    if event.detail_type != CLOUDTRAIL_DETAIL_TYPE {
        return Ok(skip(format!(
            "detail-type `{}` is not `{CLOUDTRAIL_DETAIL_TYPE}`",
            event.detail_type
        )));
    }
    let detail = event
        .detail
        .as_object()
        .ok_or_else(|| MalformedEvent::new("`detail` is not an object".to_string()))?;
    if let Some(code) = detail.get("errorCode").and_then(Value::as_str) {
        return Ok(skip(format!(
            "the call failed with {code}, so nothing changed"
        )));
    }

    let account = event.account.clone().unwrap_or_default();
    if account != filter.account_id && !filter.allowed_accounts.contains(&account) {
        return Ok(skip(format!(
            "the event comes from account `{account}`, not from this deployment's account {}",
            filter.account_id
        )));
    }

    let caller_arn = detail
        .get("userIdentity")
        .and_then(|identity| identity.get("arn"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(own), Some(caller)) = (&filter.own_role_name, &caller_arn)
        && role_name(caller) == Some(own.as_str())
    {
        return Ok(skip(format!(
            "the call was made by this function's own role `{own}`"
        )));
    }

    let event_name = detail
        .get("eventName")
        .and_then(Value::as_str)
        .ok_or_else(|| MalformedEvent::new("`detail.eventName` is missing".to_string()))?
        .to_string();
    let bucket = detail
        .get("requestParameters")
        .and_then(|parameters| parameters.get("bucketName"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            MalformedEvent::new(format!(
                "`detail.requestParameters.bucketName` is missing from the {event_name} event; S3 CloudTrail events name the bucket there"
            ))
        })?;
    validate_bucket_name(bucket)?;
    let region = detail
        .get("awsRegion")
        .and_then(Value::as_str)
        .or(event.region.as_deref())
        .unwrap_or_default()
        .to_string();

    Ok(Disposition::Audit(BucketEvent {
        bucket: bucket.to_string(),
        event_name,
        account,
        region,
        event_id: detail
            .get("eventID")
            .and_then(Value::as_str)
            .map(str::to_string),
        caller_arn,
    }))
}

fn skip(reason: String) -> Disposition {
    Disposition::Skip { reason }
}

/// Returns the role name of an IAM role ARN or an STS assumed-role ARN.
fn role_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        return rest.split('/').next();
    }
    resource
        .strip_prefix("role/")
        .map(|path| path.rsplit('/').next().unwrap_or(path))
}

/// Rejects names S3 would never accept, so a forged event cannot smuggle text into
/// requests, logs or reports.
fn validate_bucket_name(bucket: &str) -> Result<(), MalformedEvent> {
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if valid {
        Ok(())
    } else {
        Err(MalformedEvent::new(format!(
            "`detail.requestParameters.bucketName` is not a valid S3 bucket name ({} characters)",
            bucket.chars().count()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_name_of_assumed_role() {
        assert_eq!(
            role_name("arn:aws:sts::111122223333:assumed-role/bucketwarden-event/session"),
            Some("bucketwarden-event")
        );
        assert_eq!(
            role_name("arn:aws:iam::111122223333:role/path/bucketwarden"),
            Some("bucketwarden")
        );
        assert_eq!(role_name("arn:aws:iam::111122223333:user/alice"), None);
    }

    #[test]
    fn bucket_name_with_control_character_is_rejected() {
        assert!(validate_bucket_name("bad\nname").is_err());
        assert!(validate_bucket_name("good-name.example").is_ok());
    }
}
