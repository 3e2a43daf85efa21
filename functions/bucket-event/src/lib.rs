//! The bucket-event function: audits the bucket named in an S3 CloudTrail event
//! delivered by EventBridge, and publishes the report to SNS.

pub mod err;
pub mod event;
pub mod handler;
pub mod message;
pub mod remediation;
pub mod settings;

pub use err::{HandlerError, SettingsError};
pub use handler::{Handler, Response};
pub use settings::Settings;
