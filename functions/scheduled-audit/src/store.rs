//! The report bucket: partial results of a run (`runs/RUN_ID/part-NNNNN.json`) and
//! the full report of a finished run (`reports/RUN_ID.json`).

use aws_sdk_s3::primitives::ByteStream;
use bucketwarden_aws::{AwsContext, call_error};
use bucketwarden_core::BucketReport;
use bucketwarden_core::report::UnreadBucket;
use bucketwarden_core::snapshot::CallError;
use serde::{Deserialize, Serialize};

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

/// Reads every part of a run, in key order.
pub async fn read_parts(
    aws: &AwsContext,
    bucket: &str,
    run_id: &str,
) -> Result<Vec<Part>, CallError> {
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

    let mut parts = Vec::with_capacity(keys.len());
    for key in keys {
        let output = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| CallError::new("ResponseError", error.to_string()))?
            .into_bytes();
        let part: Part = serde_json::from_slice(&bytes)
            .map_err(|error| CallError::new("InvalidPart", format!("{key}: {error}")))?;
        parts.push(part);
    }
    Ok(parts)
}

async fn region_of(aws: &AwsContext, bucket: &str) -> String {
    aws.bucket_region(bucket)
        .await
        .unwrap_or_else(|_| aws.clients().default_region().to_owned())
}
