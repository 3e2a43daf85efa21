//! The AWS adapter of Bucket Warden: builds the SDK clients, finds bucket
//! regions, collects bucket snapshots and account facts, and publishes to SNS.
//!
//! ```no_run
//! use aws_config::BehaviorVersion;
//! use bucketwarden_aws::{AccountFacts, AwsContext, ClientOptions, DEFAULT_CONCURRENCY};
//! use futures::StreamExt;
//!
//! # async fn run() -> Result<(), bucketwarden_aws::Error> {
//! let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
//! let aws = AwsContext::new(&config, ClientOptions::default())?;
//!
//! let buckets = aws.list_buckets().await?;
//! let mut snapshots = aws.collect_buckets(buckets, DEFAULT_CONCURRENCY, AccountFacts::Collect);
//! while let Some((bucket, result)) = snapshots.next().await {
//!     match result {
//!         Ok(snapshot) => println!("{bucket}: {}", snapshot.region),
//!         Err(error) => eprintln!("{bucket}: {error}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The public API:
//!
//! - [`AwsContext::new`] builds the clients ([`Clients`]) with adaptive retry,
//!   timeouts and an optional endpoint override ([`ClientOptions`]).
//! - [`AwsContext::account_id`]: STS GetCallerIdentity, once.
//! - [`AwsContext::bucket_region`]: HeadBucket, then GetBucketLocation, cached.
//! - [`AwsContext::collect_bucket`]: one bucket's [`Snapshot`](bucketwarden_core::Snapshot).
//! - [`AwsContext::collect_account`]: the account facts for one region, cached.
//! - [`AwsContext::list_buckets`] and [`AwsContext::collect_buckets`]: every
//!   bucket, as a stream with bounded concurrency.
//! - [`AwsContext::publish`]: SNS Publish.
//! - [`call_error`] and [`ErrorKind`]: how SDK errors are recorded and classified.
//!
//! A read that fails is recorded in the snapshot as `Read::Error` with the AWS
//! error code. Absence codes such as `NoSuchBucketPolicy` stay error entries
//! too, and the core decides what they mean. The one exception is
//! GetBucketTagging's `NoSuchTagSet`, which is recorded as an empty tag map.
//!
//! Logs use `tracing` with the fields `bucket`, `region` and `call`. No policy
//! document, ACL or other payload is logged.

mod account;
mod admin;
mod apply;
mod clients;
mod collect;
mod context;
mod convert;
mod err;
pub mod lease;
mod list;
mod monitoring;
mod publish;
mod read;
mod region;
mod settings;

#[cfg(test)]
mod tests;

pub use admin::{CallerIdentity, KeyProblem, TrailLocation, key_policy};
pub use apply::{ApplyOptions, BackupTarget, deletable, now_iso};
pub use clients::{ClientOptions, Clients};
pub use collect::AccountFacts;
pub use context::AwsContext;
pub use err::{Error, ErrorKind, call_error};
pub use list::DEFAULT_CONCURRENCY;
pub use monitoring::{ConfigRecorder, ConfigRule, S3_PROTECTION_FEATURE};
