//! Listing the account's buckets and collecting many snapshots with bounded
//! concurrency.

use bucketwarden_core::snapshot::Snapshot;
use futures::stream::{self, Stream, StreamExt};
use tracing::debug;

use crate::collect::AccountFacts;
use crate::context::AwsContext;
use crate::err::{Error, call_error};

/// Default number of buckets collected at the same time.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// ListBuckets page size. AWS accepts 1 to 10,000 and rejects unpaginated
/// requests from accounts whose bucket quota is above 10,000.
const LIST_BUCKETS_PAGE_SIZE: i32 = 1000;

impl AwsContext {
    /// Lists the names of the account's buckets with the ListBuckets paginator.
    ///
    /// The region that each page reports for a bucket is cached, so a later
    /// collection of that bucket skips HeadBucket. The paginator stops at the
    /// first page without a continuation token, as emulators send.
    pub async fn list_buckets(&self) -> Result<Vec<String>, Error> {
        let region = self.clients().default_region();
        let mut pages = self
            .clients()
            .default_s3()
            .list_buckets()
            .into_paginator()
            .page_size(LIST_BUCKETS_PAGE_SIZE)
            .send();

        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| Error::Call {
                call: "ListBuckets",
                error: call_error(&error),
            })?;
            for bucket in page.buckets.unwrap_or_default() {
                let Some(name) = bucket.name else { continue };
                if let Some(bucket_region) =
                    bucket.bucket_region.as_deref().filter(|r| !r.is_empty())
                {
                    self.remember_region(&name, bucket_region);
                }
                names.push(name);
            }
        }
        debug!(
            region,
            call = "ListBuckets",
            count = names.len(),
            "listed buckets"
        );
        Ok(names)
    }

    /// Collects the snapshots of `buckets`, at most `concurrency` at a time
    /// (0 counts as 1), in completion order.
    ///
    /// Each item is the bucket name with its snapshot or error; one bucket's
    /// error does not stop the others. Memory grows with `concurrency`, not
    /// with the number of buckets.
    pub fn collect_buckets<I>(
        &self,
        buckets: I,
        concurrency: usize,
        account: AccountFacts,
    ) -> impl Stream<Item = (String, Result<Snapshot, Error>)> + Send + 'static
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'static,
    {
        let context = self.clone();
        stream::iter(buckets)
            .map(move |bucket| {
                let context = context.clone();
                let account = account.clone();
                async move {
                    let result = context.collect_bucket(&bucket, &account).await;
                    (bucket, result)
                }
            })
            .buffer_unordered(concurrency.max(1))
    }
}
