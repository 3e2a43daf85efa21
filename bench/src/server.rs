//! The canned-response AWS endpoint: HTTP/1.1 with keep-alive on a loopback port.
//! Every response is sent after a fixed delay, which stands for the network and
//! service latency of AWS.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::fixtures::{self, Bucket, Canned};

/// The bucket reads of an audit, by query subresource, with their operation names.
const BUCKET_READS: [(&str, &str); 11] = [
    ("tagging", "GetBucketTagging"),
    ("policy", "GetBucketPolicy"),
    ("policyStatus", "GetBucketPolicyStatus"),
    ("publicAccessBlock", "GetPublicAccessBlock"),
    ("acl", "GetBucketAcl"),
    ("ownershipControls", "GetBucketOwnershipControls"),
    ("encryption", "GetBucketEncryption"),
    ("versioning", "GetBucketVersioning"),
    ("logging", "GetBucketLogging"),
    ("object-lock", "GetObjectLockConfiguration"),
    ("replication", "GetBucketReplication"),
];

/// ListBuckets page size when the request names none (AWS's maximum).
const DEFAULT_MAX_BUCKETS: usize = 10_000;

/// The account that the endpoint serves and the requests it has received.
#[derive(Debug)]
pub struct State {
    seed: u64,
    latency: Duration,
    list_bucket_region: bool,
    bucket_count: AtomicUsize,
    requests: Mutex<BTreeMap<String, u64>>,
}

impl State {
    /// Sets the number of buckets in the account and clears the request counts.
    pub fn reset(&self, bucket_count: usize) {
        self.bucket_count.store(bucket_count, Ordering::SeqCst);
        self.requests.lock().unwrap().clear();
    }

    /// Returns the request count per operation since the last [`State::reset`].
    pub fn requests(&self) -> BTreeMap<String, u64> {
        self.requests.lock().unwrap().clone()
    }

    fn count(&self, operation: &str) {
        *self
            .requests
            .lock()
            .unwrap()
            .entry(operation.to_owned())
            .or_default() += 1;
    }
}

/// A running endpoint. Dropping it does not stop the server, but [`Server::stop`] does.
#[derive(Debug)]
pub struct Server {
    pub address: SocketAddr,
    pub state: Arc<State>,
    accept_loop: JoinHandle<()>,
}

impl Server {
    pub fn stop(self) {
        self.accept_loop.abort();
    }
}

/// Binds 127.0.0.1 on a free port and serves until [`Server::stop`].
pub async fn start(seed: u64, latency: Duration, list_bucket_region: bool) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = Arc::new(State {
        seed,
        latency,
        list_bucket_region,
        bucket_count: AtomicUsize::new(0),
        requests: Mutex::new(BTreeMap::new()),
    });

    let accept_state = state.clone();
    let accept_loop = tokio::spawn(async move {
        // The loop ends when `Server::stop` aborts the task, or on an accept error.
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let state = accept_state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Server {
        address,
        state,
        accept_loop,
    }
}

/// Returns the service name of a SigV4 `Authorization` header's credential
/// scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
fn signing_service(request: &Request<Incoming>) -> String {
    let Some(header) = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return String::new();
    };
    header
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split(',').next())
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or_default()
        .to_owned()
}

fn query_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let service = signing_service(&request);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();

    let (operation, canned, region_header) =
        route(state, &service, &method, &path, &query, &target, &body);
    state.count(operation);
    tokio::time::sleep(state.latency).await;

    let mut response = Response::builder()
        .status(StatusCode::from_u16(canned.status).unwrap())
        .header("content-type", canned.content_type)
        .header("x-amz-request-id", "BENCH0000000000")
        .header("x-amzn-requestid", "bench");
    if let Some(region) = region_header {
        response = response.header("x-amz-bucket-region", region);
    }
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(canned.body)
    };
    response.body(Full::new(body)).unwrap()
}

/// Picks the operation and its response. Returns the operation name (for the
/// request counts), the response, and the `x-amz-bucket-region` header value.
fn route(
    state: &State,
    service: &str,
    method: &Method,
    path: &str,
    query: &str,
    target: &str,
    body: &[u8],
) -> (&'static str, Canned, Option<&'static str>) {
    let pairs = query_pairs(query);
    match service {
        "s3" if path.starts_with("/v20180820/configuration/publicAccessBlock") => (
            "GetAccountPublicAccessBlock",
            fixtures::account_public_access_block(),
            None,
        ),
        "s3" if path == "/" && method == Method::GET => {
            let start = pairs
                .iter()
                .find(|(key, _)| *key == "continuation-token")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            let max_buckets = pairs
                .iter()
                .find(|(key, _)| *key == "max-buckets")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(DEFAULT_MAX_BUCKETS);
            let canned = fixtures::list_buckets(
                state.seed,
                state.bucket_count.load(Ordering::SeqCst),
                start,
                max_buckets,
                state.list_bucket_region,
            );
            ("ListBuckets", canned, None)
        }
        "s3" => route_bucket(state, method, path, &pairs),
        "sts" => ("GetCallerIdentity", fixtures::caller_identity(), None),
        "kms" if target.ends_with(".DescribeKey") => {
            let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let key = request["KeyId"].as_str().unwrap_or_default();
            ("DescribeKey", fixtures::describe_key(key), None)
        }
        "cloudtrail" if target.ends_with(".DescribeTrails") => {
            ("DescribeTrails", fixtures::describe_trails(), None)
        }
        "guardduty" if path == "/detector" => ("ListDetectors", fixtures::list_detectors(), None),
        "access-analyzer" if path == "/analyzer" => {
            ("ListAnalyzers", fixtures::list_analyzers(), None)
        }
        _ => (
            "Unknown",
            Canned::s3_error(400, "InvalidRequest", "not served by the benchmark", ""),
            None,
        ),
    }
}

/// Routes a path-style S3 request (`/BUCKET?SUBRESOURCE`).
fn route_bucket(
    state: &State,
    method: &Method,
    path: &str,
    pairs: &[(&str, &str)],
) -> (&'static str, Canned, Option<&'static str>) {
    let name = path.trim_matches('/');
    let bucket = fixtures::bucket_index(name)
        .filter(|index| *index < state.bucket_count.load(Ordering::SeqCst))
        .map(|index| Bucket::new(state.seed, index));
    let Some(bucket) = bucket else {
        return (
            "NoSuchBucket",
            Canned::s3_error(
                404,
                "NoSuchBucket",
                "The specified bucket does not exist",
                name,
            ),
            None,
        );
    };

    if method == Method::HEAD {
        let canned = Canned {
            status: 200,
            content_type: "application/xml",
            body: String::new(),
        };
        return ("HeadBucket", canned, Some(bucket.region));
    }
    for (subresource, operation) in BUCKET_READS {
        if pairs.iter().any(|(key, _)| *key == subresource)
            && let Some(canned) = fixtures::bucket_read(&bucket, subresource)
        {
            return (operation, canned, Some(bucket.region));
        }
    }
    (
        "Unknown",
        Canned::s3_error(400, "InvalidRequest", "not served by the benchmark", name),
        Some(bucket.region),
    )
}
