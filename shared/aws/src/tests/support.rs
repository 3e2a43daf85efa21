//! Test helpers: a context whose clients respond from `aws-smithy-mocks` rules,
//! canned HTTP clients, and S3-style responses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::{AwsContext, ClientOptions};

pub(crate) const ACCOUNT_ID: &str = "111122223333";

/// Options with standard retry, millisecond backoffs and delays, and a fixed
/// account id.
pub(crate) fn fast_options() -> ClientOptions {
    ClientOptions::default()
        .standard_retry()
        .account_id(ACCOUNT_ID)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .missing_bucket_retry_delay(Duration::from_millis(1))
}

pub(crate) fn sdk_config(http_client: impl HttpClient + 'static) -> SdkConfig {
    SdkConfig::builder()
        .region(Region::new("us-east-1"))
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .http_client(http_client)
        .build()
}

/// Builds a context in which the first matching rule responds to each call. A call
/// that no rule matches makes the mock interceptor panic.
pub(crate) fn mock_context(rules: &[&Rule]) -> AwsContext {
    mock_context_with(rules, fast_options())
}

pub(crate) fn mock_context_with(rules: &[&Rule], options: ClientOptions) -> AwsContext {
    let interceptor = rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |interceptor, rule| interceptor.with_rule(rule),
    );
    let config = sdk_config(create_mock_http_client());
    AwsContext::new(&config, options.interceptor(interceptor)).unwrap()
}

/// Builds an HTTP response with a body and headers.
pub(crate) fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_owned()),
    );
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name.to_string(), value.to_string());
    }
    response
}

/// Builds an S3 XML error response.
pub(crate) fn s3_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>TESTREQUEST</RequestId></Error>"
    );
    response(status, &body, &[])
}

/// Records the URI of every request, after endpoint resolution.
#[derive(Clone, Debug, Default)]
pub(crate) struct UriRecorder {
    uris: Arc<Mutex<Vec<String>>>,
}

impl UriRecorder {
    pub(crate) fn uris(&self) -> Vec<String> {
        self.uris.lock().unwrap().clone()
    }
}

impl Intercept for UriRecorder {
    fn name(&self) -> &'static str {
        "UriRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.uris
            .lock()
            .unwrap()
            .push(context.request().uri().to_owned());
        Ok(())
    }
}

type Responder = dyn Fn(&HttpRequest) -> Result<HttpResponse, ConnectorError> + Send + Sync;

/// An HTTP client that records request URIs and responds with `respond`,
/// without any network.
#[derive(Clone)]
pub(crate) struct CannedHttpClient {
    uris: Arc<Mutex<Vec<String>>>,
    respond: Arc<Responder>,
}

impl std::fmt::Debug for CannedHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CannedHttpClient")
    }
}

impl CannedHttpClient {
    pub(crate) fn new(
        respond: impl Fn(&HttpRequest) -> Result<HttpResponse, ConnectorError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            uris: Arc::default(),
            respond: Arc::new(respond),
        }
    }

    /// Builds a client whose every request fails to connect.
    pub(crate) fn refusing() -> Self {
        Self::new(|_| Err(ConnectorError::io("connection refused (test)".into())))
    }

    pub(crate) fn uris(&self) -> Vec<String> {
        self.uris.lock().unwrap().clone()
    }
}

impl HttpConnector for CannedHttpClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.uris.lock().unwrap().push(request.uri().to_owned());
        HttpConnectorFuture::ready((self.respond)(&request))
    }
}

impl HttpClient for CannedHttpClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// An HTTP client whose requests never complete, for timeout tests.
#[derive(Clone, Debug)]
pub(crate) struct HangingHttpClient;

impl HttpConnector for HangingHttpClient {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(std::future::pending())
    }
}

impl HttpClient for HangingHttpClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
