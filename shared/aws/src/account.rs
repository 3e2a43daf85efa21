//! Account facts: the account's Block Public Access and CloudTrail trails
//! (read once per account), GuardDuty and IAM Access Analyzer (once per region).

use std::sync::Arc;

use aws_sdk_accessanalyzer::types::Criterion;
use bucketwarden_core::snapshot::{
    AccessAnalyzerFacts, AccountSnapshot, Analyzer, GuardDutyFacts, ListAnalyzers, ListDetectors,
    ListFindings, PublicAccessBlock, Read, TrailFacts,
};
use futures::future::join_all;
use tracing::debug;

use crate::context::AwsContext;
use crate::convert::account as convert;
use crate::err::Error;
use crate::read::record;

/// The parts of the account facts that do not depend on the region.
#[derive(Debug)]
pub(crate) struct AccountWide {
    public_access_block: Read<PublicAccessBlock>,
    trails: Read<Vec<TrailFacts>>,
}

/// Access Analyzer types whose findings ListFindings returns (external access).
const EXTERNAL_ACCESS_TYPES: &[&str] = &["ACCOUNT", "ORGANIZATION"];

/// Picks the analyzer whose findings to list: an active external-access
/// analyzer, else any external-access analyzer.
fn pick_analyzer(analyzers: &[Analyzer]) -> Option<&Analyzer> {
    let external = || {
        analyzers.iter().filter(|analyzer| {
            analyzer
                .analyzer_type
                .as_deref()
                .is_some_and(|kind| EXTERNAL_ACCESS_TYPES.contains(&kind))
        })
    };
    external()
        .find(|analyzer| analyzer.status.as_deref() == Some("ACTIVE"))
        .or_else(|| external().next())
}

impl AwsContext {
    /// Collects the account facts that apply to buckets in `region`.
    ///
    /// The account's Block Public Access and the trails are read once per
    /// account, GuardDuty and Access Analyzer once per region, and concurrent
    /// callers for one region share a single read. A failed call is recorded
    /// as `Read::Error`. Returns an error only when the account id cannot be read.
    pub async fn collect_account(&self, region: &str) -> Result<Arc<AccountSnapshot>, Error> {
        let cell = self.regional_account_cell(region);
        let facts = cell
            .get_or_try_init(|| async {
                let (wide, guard_duty, access_analyzer) = tokio::join!(
                    self.account_wide(),
                    self.guard_duty(region),
                    self.access_analyzer(region),
                );
                let wide = wide?;
                Ok::<_, Error>(Arc::new(AccountSnapshot {
                    get_account_public_access_block: Some(wide.public_access_block.clone()),
                    trails: Some(wide.trails.clone()),
                    guard_duty: Some(guard_duty),
                    access_analyzer: Some(access_analyzer),
                }))
            })
            .await?;
        Ok(facts.clone())
    }

    async fn account_wide(&self) -> Result<Arc<AccountWide>, Error> {
        let wide = self
            .account_wide_cell()
            .get_or_try_init(|| async {
                let account_id = self.account_id().await?;
                let (public_access_block, trails) =
                    tokio::join!(self.account_public_access_block(&account_id), self.trails());
                Ok::<_, Error>(Arc::new(AccountWide {
                    public_access_block,
                    trails,
                }))
            })
            .await?;
        Ok(wide.clone())
    }

    /// S3 Control GetPublicAccessBlock. `NoSuchPublicAccessBlockConfiguration`
    /// stays an error entry, which the core reads as absent.
    async fn account_public_access_block(&self, account_id: &str) -> Read<PublicAccessBlock> {
        let result = self
            .clients()
            .s3control()
            .get_public_access_block()
            .account_id(account_id)
            .send()
            .await;
        let region = self.clients().default_region();
        record(
            "GetAccountPublicAccessBlock",
            "",
            region,
            result,
            convert::account_public_access_block,
        )
    }

    /// DescribeTrails (shadow trails included) in the default region, then
    /// GetTrailStatus and GetEventSelectors for each trail in its home region.
    async fn trails(&self) -> Read<Vec<TrailFacts>> {
        let region = self.clients().default_region();
        let result = self
            .clients()
            .cloudtrail(region)
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await;
        let trails = match record("DescribeTrails", "", region, result, |output| {
            output.trail_list.unwrap_or_default()
        }) {
            Read::Value(trails) => trails,
            Read::Error(error) => return Read::Error(error),
        };
        debug!(region, count = trails.len(), "read trails");
        Read::Value(join_all(trails.into_iter().map(|trail| self.trail_facts(trail))).await)
    }

    async fn trail_facts(&self, trail: aws_sdk_cloudtrail::types::Trail) -> TrailFacts {
        let home_region = trail
            .home_region
            .clone()
            .filter(|region| !region.is_empty())
            .unwrap_or_else(|| self.clients().default_region().to_owned());
        // The ARN identifies the trail from any region and account, but the name
        // only from the trail's home region and account.
        let name = trail
            .trail_arn
            .clone()
            .or_else(|| trail.name.clone())
            .unwrap_or_default();
        let client = self.clients().cloudtrail(&home_region);
        let (status, selectors) = tokio::join!(
            client.get_trail_status().name(&name).send(),
            client.get_event_selectors().trail_name(&name).send(),
        );
        TrailFacts {
            trail: convert::trail(trail),
            get_trail_status: Some(record(
                "GetTrailStatus",
                "",
                &home_region,
                status,
                convert::trail_status,
            )),
            get_event_selectors: Some(record(
                "GetEventSelectors",
                "",
                &home_region,
                selectors,
                convert::event_selectors,
            )),
        }
    }

    /// ListDetectors, then GetDetector for the first detector (a region has at most one).
    async fn guard_duty(&self, region: &str) -> GuardDutyFacts {
        let client = self.clients().guardduty(region);
        let result = client
            .list_detectors()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let list_detectors = record("ListDetectors", "", region, result, |detector_ids| {
            ListDetectors { detector_ids }
        });
        let first = list_detectors
            .value()
            .and_then(|list| list.detector_ids.first())
            .cloned();
        let get_detector = match first {
            Some(detector_id) => {
                let result = client.get_detector().detector_id(detector_id).send().await;
                Some(record("GetDetector", "", region, result, convert::detector))
            }
            None => None,
        };
        GuardDutyFacts {
            list_detectors: Some(list_detectors),
            get_detector,
        }
    }

    /// ListAnalyzers, then ListFindings for S3 buckets (all pages, every bucket)
    /// with an external-access analyzer when there is one.
    async fn access_analyzer(&self, region: &str) -> AccessAnalyzerFacts {
        let client = self.clients().access_analyzer(region);
        let result = client
            .list_analyzers()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let list_analyzers = record("ListAnalyzers", "", region, result, |analyzers| {
            ListAnalyzers {
                analyzers: analyzers.into_iter().map(convert::analyzer).collect(),
            }
        });
        let analyzer_arn = list_analyzers
            .value()
            .and_then(|list| pick_analyzer(&list.analyzers))
            .and_then(|analyzer| analyzer.arn.clone());

        let list_findings = match analyzer_arn {
            Some(analyzer_arn) => {
                let filter = Criterion::builder().eq("AWS::S3::Bucket").build();
                let result = client
                    .list_findings()
                    .analyzer_arn(analyzer_arn)
                    .filter("resourceType", filter)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await;
                Some(record("ListFindings", "", region, result, |findings| {
                    ListFindings {
                        findings: findings.into_iter().map(convert::finding).collect(),
                    }
                }))
            }
            None => None,
        };
        AccessAnalyzerFacts {
            list_analyzers: Some(list_analyzers),
            list_findings,
        }
    }
}
