//! Bucket-policy parsing and analysis, following IAM's evaluation semantics.
//! Policies are never matched as text.

pub mod analysis;
pub mod condition;
pub mod glob;
pub mod model;
mod strict;

pub use strict::parse as parse_json_strict;

pub use analysis::{BucketArns, PolicyAnalysis, TlsAnalysis, Trust, analyse, analyse_tls};
pub use model::{Effect, Policy, Statement};
