//! The report bucket: partial results of a run (`runs/RUN_ID/part-NNNNN.json`) and
//! the full report of a finished run (`reports/RUN_ID.json`).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bucketwarden_aws::{AwsContext, call_error};
use bucketwarden_core::BucketReport;
use bucketwarden_core::report::UnreadBucket;
use bucketwarden_core::snapshot::CallError;
use serde::{Deserialize, Serialize};
use tracing::warn;

/// The results of one batch of buckets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Part {
    pub buckets: Vec<BucketReport>,
    pub unread: Vec<UnreadBucket>,
}

pub fn part_key(run_id: &str, invocation: u32, batch: usize) -> String {
    format!("runs/{run_id}/part-{invocation:05}-{batch:05}.json")
}

pub fn report_key(run_id: &str) -> String {
    format!("reports/{run_id}.json")
}

pub async fn put_json<T: Serialize>(
    aws: &AwsContext,
    bucket: &str,
    key: &str,
    value: &T,
) -> Result<(), CallError> {
    let body = serde_json::to_vec(value)
        .map_err(|error| CallError::new("SerializationFailed", error.to_string()))?;
    let region = region_of(aws, bucket).await;
    aws.clients()
        .s3(&region)
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|error| call_error(&error))?;
    Ok(())
}

/// Lists the keys of a run's parts, in key order: invocation, then batch, which is
/// bucket name order.
pub async fn part_keys(
    aws: &AwsContext,
    bucket: &str,
    run_id: &str,
) -> Result<Vec<String>, CallError> {
    let region = region_of(aws, bucket).await;
    let client = aws.clients().s3(&region);
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("runs/{run_id}/"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| call_error(&error))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_string)),
        );
    }
    keys.sort();
    Ok(keys)
}

/// Reads one part of a run.
pub async fn read_part(aws: &AwsContext, bucket: &str, key: &str) -> Result<Part, CallError> {
    let bytes = aws.read_object_bytes(bucket, key).await?;
    serde_json::from_slice(&bytes)
        .map_err(|error| CallError::new("InvalidPart", format!("{key}: {error}")))
}

/// S3's smallest part of a multipart upload, except the last, is 5 MiB.
pub const MIN_UPLOAD_PART_BYTES: usize = 5 * 1024 * 1024;

/// An object written in pieces: one PutObject when it ends up small, a multipart
/// upload once a piece is sent before the end. A failed upload is aborted, so no
/// incomplete parts are left to pay for.
#[derive(Debug)]
pub struct ObjectWriter<'a> {
    client: aws_sdk_s3::Client,
    bucket: &'a str,
    key: &'a str,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl<'a> ObjectWriter<'a> {
    pub async fn new(aws: &AwsContext, bucket: &'a str, key: &'a str) -> ObjectWriter<'a> {
        let region = region_of(aws, bucket).await;
        ObjectWriter {
            client: aws.clients().s3(&region),
            bucket,
            key,
            upload_id: None,
            parts: Vec::new(),
        }
    }

    /// Sends a piece that is not the last. It must contain at least
    /// [`MIN_UPLOAD_PART_BYTES`].
    pub async fn send(&mut self, piece: Vec<u8>) -> Result<(), CallError> {
        let upload_id = match &self.upload_id {
            Some(upload_id) => upload_id.clone(),
            None => {
                let created = self
                    .client
                    .create_multipart_upload()
                    .bucket(self.bucket)
                    .key(self.key)
                    .content_type("application/json")
                    .send()
                    .await
                    .map_err(|error| call_error(&error))?;
                let upload_id = created.upload_id().unwrap_or_default().to_string();
                self.upload_id = Some(upload_id.clone());
                upload_id
            }
        };
        let part_number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let sent = self
            .client
            .upload_part()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload_id)
            .part_number(part_number)
            .body(ByteStream::from(piece))
            .send()
            .await;
        match sent {
            Ok(output) => {
                self.parts.push(
                    CompletedPart::builder()
                        .part_number(part_number)
                        .set_e_tag(output.e_tag().map(str::to_string))
                        .build(),
                );
                Ok(())
            }
            Err(error) => {
                let error = call_error(&error);
                self.abort().await;
                Err(error)
            }
        }
    }

    /// Sends the last piece and completes the object.
    pub async fn finish(mut self, last: Vec<u8>) -> Result<(), CallError> {
        let Some(upload_id) = self.upload_id.clone() else {
            return self
                .client
                .put_object()
                .bucket(self.bucket)
                .key(self.key)
                .content_type("application/json")
                .body(ByteStream::from(last))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| call_error(&error));
        };
        self.send(last).await?;
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut self.parts)))
                    .build(),
            )
            .send()
            .await;
        match completed {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = call_error(&error);
                self.abort().await;
                Err(error)
            }
        }
    }

    /// Aborts the multipart upload, if one was started, after a failed step. A
    /// failure to abort is only logged, because the first error is the one to report.
    pub async fn abort(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        if let Err(error) = self
            .client
            .abort_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload_id)
            .send()
            .await
        {
            warn!(key = self.key, error = %call_error(&error), "aborting the multipart upload failed; the report bucket's lifecycle rule removes its parts after a day");
        }
    }
}

async fn region_of(aws: &AwsContext, bucket: &str) -> String {
    aws.bucket_region(bucket)
        .await
        .unwrap_or_else(|_| aws.clients().default_region().to_owned())
}
