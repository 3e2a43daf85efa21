//! The core of Bucket Warden: the control registry, bucket-policy analysis,
//! evaluation of a snapshot into a report, report rendering, and the classification
//! of the S3 events that the bucket-event function receives.
//!
//! INVARIANT: this crate is pure. It makes no AWS call, spawns nothing, reads no
//! clock and logs nothing; callers pass in every fact.

pub mod config;
pub mod controls;
pub mod digest;
pub mod err;
pub mod evaluate;
pub mod event;
pub mod merge;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod remediate;
pub mod render;
pub mod report;
pub mod snapshot;

pub use config::Config;
pub use controls::{CONTROLS, Control};
pub use err::{ConfigError, MalformedEvent, MergeError, PlanError, PolicyError, SnapshotError};
pub use evaluate::{evaluate, evaluate_controls};
pub use plan::{AppliedStep, Backup, Change, Plan, Setting, Step};
pub use report::{AccountReport, BucketReport, ControlResult, Outcome, Severity};
pub use snapshot::Snapshot;
