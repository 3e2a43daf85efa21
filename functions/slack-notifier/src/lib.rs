//! The slack-notifier function: posts the Bucket Warden reports that arrive on
//! the reports SNS topic to a Slack incoming webhook as Block Kit messages.

pub mod blocks;
pub mod err;
pub mod handler;
pub mod message;
pub mod post;
pub mod settings;
pub mod webhook;

pub use err::{HandlerError, PostError, SettingsError, WebhookError};
pub use handler::{Handler, RecordOutcome, Response};
pub use post::{PostPolicy, SlackClient};
pub use settings::Settings;
pub use webhook::{WebhookUrl, read_webhook_url};
