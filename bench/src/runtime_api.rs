//! A minimal Lambda Runtime API (version 2018-06-01) on a loopback port, for one
//! function process at a time:
//!
//! - `GET /2018-06-01/runtime/invocation/next` waits for an event from the harness
//!   and returns it with the `Lambda-Runtime-Aws-Request-Id`,
//!   `Lambda-Runtime-Deadline-Ms`, `Lambda-Runtime-Invoked-Function-Arn` and
//!   `Lambda-Runtime-Trace-Id` headers.
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../error` take the
//!   result of an invocation and return 202.
//! - `POST /2018-06-01/runtime/init/error` takes an initialization error and returns 202.
//!
//! Each request is reported to the harness as a [`Notice`] with the time it
//! arrived, which is what the cold start and handler times are measured from.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

const API_PREFIX: &str = "/2018-06-01/runtime/";

/// One event for the function, with the context that the `next` response carries.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request_id: String,
    /// The invocation's deadline in milliseconds since the Unix epoch.
    pub deadline_ms: u64,
    pub function_arn: String,
    pub body: Bytes,
}

/// A request that the function sent to the Runtime API, with its arrival time.
#[derive(Debug)]
pub enum Notice {
    /// `GET .../invocation/next` arrived: the function is ready for an event.
    NextRequested { at: Instant },
    /// An event left in the response to `next`.
    Delivered { request_id: String, at: Instant },
    /// `POST .../invocation/{id}/response` arrived.
    Response {
        request_id: String,
        body: Bytes,
        at: Instant,
    },
    /// `POST .../invocation/{id}/error` arrived.
    Error {
        request_id: String,
        error_type: String,
        body: Bytes,
        at: Instant,
    },
    /// `POST .../init/error` arrived.
    InitError { error_type: String, body: Bytes },
}

struct Shared {
    events: Mutex<mpsc::UnboundedReceiver<Invocation>>,
    notices: mpsc::UnboundedSender<Notice>,
}

/// A running Runtime API. [`RuntimeApi::stop`] ends it.
#[derive(Debug)]
pub struct RuntimeApi {
    pub address: SocketAddr,
    events: mpsc::UnboundedSender<Invocation>,
    notices: mpsc::UnboundedReceiver<Notice>,
    accept_loop: JoinHandle<()>,
}

impl RuntimeApi {
    /// Binds 127.0.0.1 on a free port and serves until [`RuntimeApi::stop`].
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (events, event_receiver) = mpsc::unbounded_channel();
        let (notice_sender, notices) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(event_receiver),
            notices: notice_sender,
        });

        let accept_loop = crate::server::serve(listener, shared, |shared, request| async move {
            handle(&shared, request).await
        });
        Ok(Self {
            address,
            events,
            notices,
            accept_loop,
        })
    }

    /// Queues an event. The function receives it on its next `GET .../next`.
    pub fn queue(&self, invocation: Invocation) {
        let _ = self.events.send(invocation);
    }

    /// Returns the next notice, or `None` when none arrived within `wait`.
    pub async fn next_notice(&mut self, wait: std::time::Duration) -> Option<Notice> {
        tokio::time::timeout(wait, self.notices.recv())
            .await
            .ok()
            .flatten()
    }

    pub fn stop(self) {
        self.accept_loop.abort();
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

fn header(request: &Request<Incoming>, name: &str) -> String {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    let method = request.method().clone();
    let Some(resource) = request.uri().path().strip_prefix(API_PREFIX) else {
        return reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"unknown path"}"#);
    };
    let resource = resource.to_owned();

    if method == Method::GET && resource == "invocation/next" {
        let _ = shared.notices.send(Notice::NextRequested { at: arrived });
        // Waits until the harness queues an event. Lambda, too, keeps `next` open until then.
        let Some(invocation) = shared.events.lock().await.recv().await else {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"errorMessage":"the benchmark stopped"}"#,
            );
        };
        let response = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &invocation.request_id)
            .header(
                "lambda-runtime-deadline-ms",
                invocation.deadline_ms.to_string(),
            )
            .header(
                "lambda-runtime-invoked-function-arn",
                &invocation.function_arn,
            )
            .header(
                "lambda-runtime-trace-id",
                format!(
                    "Root=1-00000000-{:0>24};Parent=0000000000000000;Sampled=0",
                    invocation
                        .request_id
                        .replace('-', "")
                        .get(..24)
                        .unwrap_or("0")
                ),
            )
            .body(Full::new(invocation.body))
            .unwrap();
        let _ = shared.notices.send(Notice::Delivered {
            request_id: invocation.request_id,
            at: Instant::now(),
        });
        return response;
    }
    if method != Method::POST {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"errorMessage":"method not allowed"}"#,
        );
    }

    let error_type = header(&request, "lambda-runtime-function-error-type");
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let notice = if resource == "init/error" {
        Notice::InitError { error_type, body }
    } else if let Some(request_id) = resource
        .strip_prefix("invocation/")
        .and_then(|rest| rest.strip_suffix("/response"))
    {
        Notice::Response {
            request_id: request_id.to_owned(),
            body,
            at: arrived,
        }
    } else if let Some(request_id) = resource
        .strip_prefix("invocation/")
        .and_then(|rest| rest.strip_suffix("/error"))
    {
        Notice::Error {
            request_id: request_id.to_owned(),
            error_type,
            body,
            at: arrived,
        }
    } else {
        return reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"unknown path"}"#);
    };
    let _ = shared.notices.send(notice);
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}
