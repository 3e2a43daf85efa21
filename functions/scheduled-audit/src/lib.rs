//! The scheduled-audit function: audits every bucket of the account on a schedule,
//! continuing in follow-up invocations when one invocation's time runs short, and
//! publishes one account summary to SNS with the full report in the report bucket.

pub mod err;
pub mod handler;
pub mod report_json;
pub mod settings;
pub mod store;
pub mod trigger;

pub use err::{HandlerError, SettingsError};
pub use handler::{Handler, Response};
pub use settings::Settings;
