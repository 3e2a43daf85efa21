//! EventBridge "AWS API Call via CloudTrail" events for S3. The parsing and the
//! decision to audit or skip live in `bucketwarden_core::event`, which builds without
//! the AWS SDK. This module turns its rejection into a [`HandlerError`].

use serde_json::Value;

pub use bucketwarden_core::event::{
    BucketEvent, CLOUDTRAIL_DETAIL_TYPE, Disposition, EventFilter, S3_SOURCE,
};

use crate::err::HandlerError;

/// Decides what to do with a raw event, or rejects it as malformed.
pub fn classify(raw: Value, filter: &EventFilter) -> Result<Disposition, HandlerError> {
    bucketwarden_core::event::classify(raw, filter).map_err(HandlerError::from)
}
