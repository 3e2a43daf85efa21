//! An SNS topic with an SQS queue subscribed to it, to read what a function published.

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use serde_json::Value;

use crate::Emulator;

/// One notification as SNS delivers it to SQS.
#[derive(Clone, Debug)]
pub struct Notification {
    /// The `MessageId` that SNS returned from Publish.
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    /// Message attribute name and value.
    pub attributes: Vec<(String, String)>,
}

impl Notification {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The JSON report attached after the email text.
    pub fn report(&self) -> Option<Value> {
        let (_, json) = self.message.split_once("--- JSON report ---\n")?;
        serde_json::from_str(json).ok()
    }
}

#[derive(Clone, Debug)]
pub struct ReportTopic {
    pub topic_arn: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl ReportTopic {
    /// Creates the topic `name` and a queue subscribed to it, in us-east-1.
    pub async fn create(emulator: &Emulator, name: &str) -> ReportTopic {
        let sns = emulator.sns_client("us-east-1");
        let sqs = emulator.sqs_client("us-east-1");
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("create topic")
            .topic_arn
            .expect("topic arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{name}-inbox"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|attributes| {
                attributes
                    .get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribe");
        ReportTopic {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// Receives and deletes every notification waiting in the queue.
    pub async fn drain(&self) -> Vec<Notification> {
        let mut notifications = Vec::new();
        loop {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return notifications;
            }
            let mut receipts = Vec::new();
            for (index, message) in messages.iter().enumerate() {
                let envelope: Value =
                    serde_json::from_str(message.body().unwrap_or("{}")).expect("SNS envelope");
                let attributes = envelope["MessageAttributes"]
                    .as_object()
                    .map(|map| {
                        map.iter()
                            .map(|(name, value)| {
                                (
                                    name.clone(),
                                    value["Value"].as_str().unwrap_or_default().to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                notifications.push(Notification {
                    message_id: envelope["MessageId"].as_str().map(str::to_string),
                    subject: envelope["Subject"].as_str().map(str::to_string),
                    message: envelope["Message"].as_str().unwrap_or_default().to_string(),
                    attributes,
                });
                if let Some(handle) = message.receipt_handle() {
                    let entry = DeleteMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .receipt_handle(handle)
                        .build()
                        .expect("delete entry");
                    receipts.push(entry);
                }
            }
            // One DeleteMessageBatch per receive, instead of a DeleteMessage per message.
            if !receipts.is_empty() {
                let output = self
                    .sqs
                    .delete_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(receipts))
                    .send()
                    .await
                    .expect("delete messages");
                assert!(
                    output.failed().is_empty(),
                    "failed to delete messages: {:?}",
                    output.failed()
                );
            }
        }
    }
}

/// Loads a sample event from `events/` and points it at `bucket`.
pub fn sample_event(name: &str, bucket: Option<&str>) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut event: Value = serde_json::from_str(&text).expect("event JSON");
    if let Some(bucket) = bucket {
        event["detail"]["requestParameters"]["bucketName"] = Value::String(bucket.to_string());
    }
    event
}
