//! The canned-response AWS endpoint: HTTP/1.1 with keep-alive on a loopback port.
//! Every response is sent after a set delay, which stands for the network and
//! service latency of AWS.
//!
//! It serves the reads of an audit from the seeded buckets (bench/src/fixtures.rs),
//! keeps the report bucket's objects in memory (bench/src/objects.rs), and records
//! the SNS messages published and the SQS messages sent, so the harness can check
//! what the functions delivered.

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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::fixtures::{self, Bucket, Canned};
use crate::objects::{self, ObjectRequest, ObjectStore};

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

/// The ListBuckets query parameters. S3 adds `<BucketRegion>` to each entry when
/// the request has at least one of them.
const LIST_BUCKETS_PARAMETERS: [&str; 4] = [
    "max-buckets",
    "continuation-token",
    "prefix",
    "bucket-region",
];

/// ListBuckets page size when the request names none (AWS's maximum).
const DEFAULT_MAX_BUCKETS: usize = 10_000;

/// One SNS Publish request that the endpoint accepted.
#[derive(Clone, Debug)]
pub struct Published {
    pub topic_arn: String,
    pub subject: Option<String>,
    pub message: String,
    /// String message attributes by name.
    pub attributes: BTreeMap<String, String>,
}

/// One stretch of time with at least one request open at the endpoint.
#[derive(Clone, Debug)]
pub struct BusyPeriod {
    /// Time with no request open before it; `None` for the first period.
    pub idle_before: Option<Duration>,
    /// The operations of the requests that arrived during it.
    pub operations: Vec<&'static str>,
}

/// The time during which at least one request was open at the endpoint, from its
/// arrival to its response (the injected latency included).
#[derive(Debug, Default)]
struct BusyClock {
    open: usize,
    since: Option<Instant>,
    total: Duration,
    first_arrival: Option<Instant>,
    last_departure: Option<Instant>,
    periods: Vec<BusyPeriod>,
}

impl BusyClock {
    fn enter(&mut self) {
        let now = Instant::now();
        self.first_arrival.get_or_insert(now);
        if self.open == 0 {
            self.since = Some(now);
            self.periods.push(BusyPeriod {
                idle_before: self
                    .last_departure
                    .map(|departure| now.saturating_duration_since(departure)),
                operations: Vec::new(),
            });
        }
        self.open += 1;
    }

    /// Adds an operation to the current busy period.
    fn record(&mut self, operation: &'static str) {
        if let Some(period) = self.periods.last_mut() {
            period.operations.push(operation);
        }
    }

    fn leave(&mut self) {
        self.open = self.open.saturating_sub(1);
        if self.open == 0
            && let Some(since) = self.since.take()
        {
            let now = Instant::now();
            self.total += now.saturating_duration_since(since);
            self.last_departure = Some(now);
        }
    }

    fn elapsed(&self) -> Duration {
        self.total + self.since.map_or(Duration::ZERO, |since| since.elapsed())
    }
}

/// The requests served since the last [`State::clear_traffic`].
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    pub by_operation: BTreeMap<String, u64>,
    /// Time with at least one request open.
    pub busy: Duration,
    /// When the first request arrived.
    pub first_arrival: Option<Instant>,
    /// When the last response left with no other request open.
    pub last_departure: Option<Instant>,
    pub periods: Vec<BusyPeriod>,
}

impl Traffic {
    pub fn total(&self) -> u64 {
        self.by_operation.values().sum()
    }
}

/// The account that the endpoint serves and what it has received.
#[derive(Debug)]
pub struct State {
    seed: u64,
    latency_us: AtomicU64,
    list_bucket_region: bool,
    bucket_count: AtomicUsize,
    requests: Mutex<BTreeMap<String, u64>>,
    busy: Mutex<BusyClock>,
    objects: Mutex<ObjectStore>,
    published: Mutex<Vec<Published>>,
    queued: Mutex<Vec<String>>,
    message_ids: AtomicU64,
}

impl State {
    /// Sets the number of buckets in the account and clears the request counts,
    /// the report bucket and the recorded messages.
    pub fn reset(&self, bucket_count: usize) {
        self.bucket_count.store(bucket_count, Ordering::SeqCst);
        self.clear_traffic();
        self.objects.lock().unwrap().clear();
        self.published.lock().unwrap().clear();
        self.queued.lock().unwrap().clear();
    }

    /// Clears the request counts and the busy time.
    pub fn clear_traffic(&self) {
        self.requests.lock().unwrap().clear();
        *self.busy.lock().unwrap() = BusyClock::default();
    }

    /// Sets the delay before each response.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.store(micros, Ordering::SeqCst);
    }

    fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_us.load(Ordering::SeqCst))
    }

    /// Returns the request count per operation since the last [`State::clear_traffic`].
    pub fn requests(&self) -> BTreeMap<String, u64> {
        self.requests.lock().unwrap().clone()
    }

    /// Returns the requests and the busy time since the last [`State::clear_traffic`].
    pub fn traffic(&self) -> Traffic {
        let busy = self.busy.lock().unwrap();
        Traffic {
            by_operation: self.requests(),
            busy: busy.elapsed(),
            first_arrival: busy.first_arrival,
            last_departure: busy.last_departure,
            periods: busy.periods.clone(),
        }
    }

    /// Returns the SNS messages published since the last [`State::reset`].
    pub fn published(&self) -> Vec<Published> {
        self.published.lock().unwrap().clone()
    }

    /// Returns the bodies of the SQS messages sent since the last [`State::reset`].
    pub fn queued(&self) -> Vec<String> {
        self.queued.lock().unwrap().clone()
    }

    /// Returns an object of the report bucket.
    pub fn object(&self, key: &str) -> Option<Bytes> {
        self.objects.lock().unwrap().get(key)
    }

    /// Returns the object count and total bytes of the report bucket, the
    /// multipart uploads left open, and the part count of the largest upload.
    pub fn object_usage(&self) -> (usize, usize, usize, usize) {
        let objects = self.objects.lock().unwrap();
        let (count, bytes) = objects.usage();
        (
            count,
            bytes,
            objects.open_uploads(),
            objects.max_parts_seen(),
        )
    }

    fn count(&self, operation: &'static str) {
        *self
            .requests
            .lock()
            .unwrap()
            .entry(operation.to_owned())
            .or_default() += 1;
        self.busy.lock().unwrap().record(operation);
    }

    fn next_message_id(&self) -> String {
        let id = self.message_ids.fetch_add(1, Ordering::SeqCst) + 1;
        format!("00000000-0000-4000-8000-{id:012}")
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
///
/// With `list_bucket_region`, ListBuckets names each bucket's region when the
/// request has a query parameter, as S3 does; without it, never, as emulators do.
pub async fn start(seed: u64, latency: Duration, list_bucket_region: bool) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = Arc::new(State {
        seed,
        latency_us: AtomicU64::new(0),
        list_bucket_region,
        bucket_count: AtomicUsize::new(0),
        requests: Mutex::new(BTreeMap::new()),
        busy: Mutex::new(BusyClock::default()),
        objects: Mutex::new(ObjectStore::default()),
        published: Mutex::new(Vec::new()),
        queued: Mutex::new(Vec::new()),
        message_ids: AtomicU64::new(0),
    });
    state.set_latency(latency);

    let accept_loop = serve(listener, state.clone(), |state, request| async move {
        handle(&state, request).await
    });
    Server {
        address,
        state,
        accept_loop,
    }
}

/// Returns the service name of a SigV4 `Authorization` header's credential
/// scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
fn signing_service(headers: &HeaderMap) -> String {
    let Some(header) = headers
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

/// Decodes `%XX` escapes, and `+` as a space when `plus_is_space` (form bodies
/// and query strings). Invalid escapes are kept as they are.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = (byte == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, escaped) {
            (_, Some(value)) => {
                decoded.push(value);
                index += 3;
            }
            (b'+', None) if plus_is_space => {
                decoded.push(b' ');
                index += 1;
            }
            (other, None) => {
                decoded.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Splits a query string or form body into decoded pairs.
pub fn decode_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The parts of a request that routing needs.
struct RoutedRequest {
    service: String,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    target: String,
    content_type: Option<String>,
    body: Bytes,
}

/// Serves HTTP/1.1 with keep-alive on `listener`, one task per connection, passing
/// each request to `handler` with `state`. The loop ends when the returned task is
/// aborted, or on an accept error.
pub fn serve<S, H, F>(listener: TcpListener, state: Arc<S>, handler: H) -> JoinHandle<()>
where
    S: Send + Sync + 'static,
    H: Fn(Arc<S>, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let response = handler(state.clone(), request);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    state.busy.lock().unwrap().enter();
    let headers = request.headers().clone();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = decode_pairs(request.uri().query().unwrap_or_default());
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let chunked = header("content-encoding").is_some_and(|value| value.contains("aws-chunked"))
        || header("x-amz-content-sha256").is_some_and(|value| value.starts_with("STREAMING-"));
    let body = if chunked {
        objects::decode_aws_chunked(&body).unwrap_or(body)
    } else {
        body
    };
    let incoming = RoutedRequest {
        service: signing_service(&headers),
        method,
        path,
        query,
        target: header("x-amz-target").unwrap_or_default(),
        content_type: header("content-type"),
        body,
    };

    let (operation, canned) = route(state, &incoming);
    state.count(operation);
    tokio::time::sleep(state.latency()).await;

    let mut response = Response::builder()
        .status(StatusCode::from_u16(canned.status).unwrap())
        .header("x-amz-request-id", "BENCH0000000000")
        .header("x-amzn-requestid", "bench");
    if !canned
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        response = response.header("content-type", canned.content_type);
    }
    for (name, value) in &canned.headers {
        response = response.header(*name, value);
    }
    let body = if incoming.method == Method::HEAD {
        Bytes::new()
    } else {
        canned.body
    };
    let response = response.body(Full::new(body)).unwrap();
    state.busy.lock().unwrap().leave();
    response
}

/// Picks the operation and its response. Returns the operation name, for the
/// request counts, and the response.
fn route(state: &State, request: &RoutedRequest) -> (&'static str, Canned) {
    let pairs = &request.query;
    let method = &request.method;
    let path = request.path.as_str();
    match request.service.as_str() {
        "s3" if path.starts_with("/v20180820/configuration/publicAccessBlock") => (
            "GetAccountPublicAccessBlock",
            fixtures::account_public_access_block(),
        ),
        "s3" if path == "/" && method == Method::GET => ("ListBuckets", list_buckets(state, pairs)),
        "s3" => {
            let trimmed = path.trim_start_matches('/');
            let (bucket, key) = trimmed.split_once('/').unwrap_or((trimmed, ""));
            if bucket == fixtures::REPORT_BUCKET {
                let key = percent_decode(key, false);
                let object_request = ObjectRequest {
                    method,
                    key: &key,
                    query: pairs,
                    content_type: request.content_type.as_deref(),
                    body: request.body.clone(),
                };
                state.objects.lock().unwrap().handle(&object_request)
            } else {
                route_bucket(state, method, bucket, pairs)
            }
        }
        "sts" => ("GetCallerIdentity", fixtures::caller_identity()),
        "kms" if request.target.ends_with(".DescribeKey") => {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let key = body["KeyId"].as_str().unwrap_or_default();
            ("DescribeKey", fixtures::describe_key(key))
        }
        "cloudtrail" if request.target.ends_with(".DescribeTrails") => {
            ("DescribeTrails", fixtures::describe_trails())
        }
        "guardduty" if path == "/detector" => ("ListDetectors", fixtures::list_detectors()),
        "access-analyzer" if path == "/analyzer" => ("ListAnalyzers", fixtures::list_analyzers()),
        "sns" => publish(state, &request.body),
        "sqs" if request.target.ends_with(".SendMessage") => {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let message = body["MessageBody"].as_str().unwrap_or_default().to_owned();
            state.queued.lock().unwrap().push(message);
            let message_id = state.next_message_id();
            ("SendMessage", fixtures::sqs_send_message(&message_id))
        }
        _ => (
            "Unknown",
            Canned::s3_error(400, "InvalidRequest", "not served by the benchmark", ""),
        ),
    }
}

fn list_buckets(state: &State, pairs: &[(String, String)]) -> Canned {
    let start = param(pairs, "continuation-token")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let max_buckets = param(pairs, "max-buckets")
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_MAX_BUCKETS);
    let with_region = state.list_bucket_region
        && pairs
            .iter()
            .any(|(key, _)| LIST_BUCKETS_PARAMETERS.contains(&key.as_str()));
    fixtures::list_buckets(
        state.seed,
        state.bucket_count.load(Ordering::SeqCst),
        start,
        max_buckets,
        with_region,
    )
}

/// Records an SNS Publish (awsQuery, so a form body) and returns a message id.
fn publish(state: &State, body: &[u8]) -> (&'static str, Canned) {
    let pairs = decode_pairs(&String::from_utf8_lossy(body));
    if param(&pairs, "Action") != Some("Publish") {
        return (
            "Unknown",
            Canned::s3_error(400, "InvalidAction", "not served by the benchmark", ""),
        );
    }
    // Attributes arrive as MessageAttributes.entry.N.Name and
    // MessageAttributes.entry.N.Value.StringValue.
    let mut names = BTreeMap::new();
    let mut values = BTreeMap::new();
    for (key, value) in &pairs {
        let Some(rest) = key.strip_prefix("MessageAttributes.entry.") else {
            continue;
        };
        let Some((number, field)) = rest.split_once('.') else {
            continue;
        };
        match field {
            "Name" => {
                names.insert(number.to_owned(), value.clone());
            }
            "Value.StringValue" => {
                values.insert(number.to_owned(), value.clone());
            }
            _ => {}
        }
    }
    let attributes = names
        .into_iter()
        .map(|(number, name)| (name, values.remove(&number).unwrap_or_default()))
        .collect();
    state.published.lock().unwrap().push(Published {
        topic_arn: param(&pairs, "TopicArn").unwrap_or_default().to_owned(),
        subject: param(&pairs, "Subject").map(str::to_owned),
        message: param(&pairs, "Message").unwrap_or_default().to_owned(),
        attributes,
    });
    let message_id = state.next_message_id();
    ("Publish", fixtures::sns_publish(&message_id))
}

/// Routes a path-style request on a seeded bucket (`/BUCKET?SUBRESOURCE`).
fn route_bucket(
    state: &State,
    method: &Method,
    name: &str,
    pairs: &[(String, String)],
) -> (&'static str, Canned) {
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
        );
    };

    if method == Method::HEAD {
        return (
            "HeadBucket",
            Canned::empty(200).with_header("x-amz-bucket-region", bucket.region),
        );
    }
    for (subresource, operation) in BUCKET_READS {
        if pairs.iter().any(|(key, _)| key == subresource)
            && let Some(canned) = fixtures::bucket_read(&bucket, subresource)
        {
            return (
                operation,
                canned.with_header("x-amz-bucket-region", bucket.region),
            );
        }
    }
    (
        "Unknown",
        Canned::s3_error(400, "InvalidRequest", "not served by the benchmark", name)
            .with_header("x-amz-bucket-region", bucket.region),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_handles_escapes() {
        assert_eq!(percent_decode("runs%2Fa%20b", false), "runs/a b");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz", false), "%zz");
    }

    #[test]
    fn decode_pairs_splits_form() {
        let pairs = decode_pairs("Action=Publish&Message=a%26b+c&empty");
        assert_eq!(
            pairs,
            vec![
                ("Action".to_owned(), "Publish".to_owned()),
                ("Message".to_owned(), "a&b c".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn busy_clock_stops_when_last_request_leaves() {
        let mut clock = BusyClock::default();
        clock.enter();
        clock.enter();
        clock.leave();
        assert_eq!(clock.open, 1);
        assert!(clock.since.is_some());
        clock.leave();
        assert_eq!(clock.open, 0);
        assert!(clock.since.is_none());
        clock.leave();
        assert_eq!(clock.open, 0);
    }

    #[test]
    fn busy_clock_splits_periods_at_idle() {
        let mut clock = BusyClock::default();
        clock.enter();
        clock.record("GetCallerIdentity");
        clock.leave();
        clock.enter();
        clock.record("GetBucketAcl");
        clock.enter();
        clock.record("GetBucketPolicy");
        clock.leave();
        clock.leave();

        assert_eq!(clock.periods.len(), 2);
        assert!(clock.periods[0].idle_before.is_none());
        assert_eq!(clock.periods[0].operations, vec!["GetCallerIdentity"]);
        assert!(clock.periods[1].idle_before.is_some());
        assert_eq!(
            clock.periods[1].operations,
            vec!["GetBucketAcl", "GetBucketPolicy"]
        );
        assert!(clock.last_departure.is_some());
    }
}
