//! SNS publishing.

use std::collections::HashMap;

use aws_sdk_sns::types::MessageAttributeValue;
use tracing::debug;

use crate::context::AwsContext;
use crate::err::{Error, call_error};
use crate::region::arn_region;

impl AwsContext {
    /// Publishes `message` to `topic_arn` with String message attributes, and
    /// returns the message id.
    ///
    /// The call goes to the topic's region (from the ARN), or to the default
    /// region when the ARN names none. SNS rejects a subject longer than 100
    /// characters or one with line breaks.
    pub async fn publish(
        &self,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
        attributes: &[(&str, &str)],
    ) -> Result<Option<String>, Error> {
        let mut message_attributes = HashMap::with_capacity(attributes.len());
        for (name, value) in attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .map_err(|error| Error::InvalidMessageAttribute {
                    name: (*name).to_owned(),
                    reason: error.to_string(),
                })?;
            message_attributes.insert((*name).to_owned(), value);
        }

        let region = arn_region(topic_arn).unwrap_or(self.clients().default_region());
        let output = self
            .clients()
            .sns(region)
            .publish()
            .topic_arn(topic_arn)
            .set_subject(subject.map(str::to_owned))
            .message(message)
            .set_message_attributes(Some(message_attributes).filter(|map| !map.is_empty()))
            .send()
            .await
            .map_err(|error| Error::Publish {
                topic_arn: topic_arn.to_owned(),
                error: call_error(&error),
            })?;
        debug!(region, call = "Publish", topic_arn, message_id = ?output.message_id, "published");
        Ok(output.message_id)
    }
}
