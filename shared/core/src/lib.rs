//! The core of Bucket Warden: the control registry, bucket-policy analysis,
//! evaluation of a snapshot into a report, and report rendering.
//!
//! INVARIANT: this crate is pure. It makes no AWS call, spawns nothing, reads no
//! clock and logs nothing; callers pass in every fact and the current time.

pub mod err;
pub mod snapshot;

pub use err::SnapshotError;
pub use snapshot::Snapshot;
