//! Service clients: built from one `SdkConfig` with shared retry, timeout and
//! endpoint settings, one client per service and region, created on first use.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_types::retry::{RetryConfig, RetryMode};
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::err::Error;

/// Settings for [`Clients`] and [`crate::AwsContext`]. Start from `default()`.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    endpoint_url: Option<String>,
    retry_mode: RetryMode,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    missing_bucket_retry_delay: Duration,
    account_id: Option<String>,
    interceptors: Vec<SharedInterceptor>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            endpoint_url: None,
            retry_mode: RetryMode::Adaptive,
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(120),
            missing_bucket_retry_delay: Duration::from_secs(2),
            account_id: None,
            interceptors: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// Sends every call to this URL (an emulator such as `http://127.0.0.1:4566`).
    /// S3 then uses path-style addressing, and S3 Control uses the URL unchanged.
    /// `AWS_ENDPOINT_URL`, read by `aws-config`, has the same effect.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Sets the maximum attempts per call, the first included (default 5, adaptive retry).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first and maximum retry backoff (defaults 1 s and 20 s).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the connect timeout (default 5 s), the timeout of one attempt
    /// (default 30 s) and of a whole call with its retries (default 120 s).
    pub fn timeouts(mut self, connect: Duration, attempt: Duration, operation: Duration) -> Self {
        self.connect_timeout = connect;
        self.attempt_timeout = attempt;
        self.operation_timeout = operation;
        self
    }

    /// Sets the wait before repeating a read that returned `NoSuchBucket` (default 2 s).
    /// A bucket that was just created or listed can briefly read as missing.
    pub fn missing_bucket_retry_delay(mut self, delay: Duration) -> Self {
        self.missing_bucket_retry_delay = delay;
        self
    }

    /// Uses this account id instead of calling STS GetCallerIdentity.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Adds an interceptor to every client (for example an `aws-smithy-mocks`
    /// `MockResponseInterceptor` in tests).
    pub fn interceptor(mut self, interceptor: impl Intercept + 'static) -> Self {
        self.interceptors.push(SharedInterceptor::new(interceptor));
        self
    }

    /// Switches to standard retry, without the adaptive client rate limiter. After a
    /// throttling response that limiter delays later requests by seconds, and its
    /// state is shared by every client of a service and region in the process,
    /// so tests that throttle would slow one another.
    #[cfg(test)]
    pub(crate) fn standard_retry(mut self) -> Self {
        self.retry_mode = RetryMode::Standard;
        self
    }

    pub(crate) fn missing_bucket_delay(&self) -> Duration {
        self.missing_bucket_retry_delay
    }

    pub(crate) fn fixed_account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }
}

/// Clients cached by region. Cloning an SDK client only clones an `Arc`.
#[derive(Debug)]
struct RegionalClients<C> {
    clients: Mutex<HashMap<String, C>>,
}

impl<C> Default for RegionalClients<C> {
    fn default() -> Self {
        Self {
            clients: Mutex::new(HashMap::new()),
        }
    }
}

impl<C: Clone> RegionalClients<C> {
    fn get_or_create(&self, region: &str, create: impl FnOnce() -> C) -> C {
        // A poisoned map still holds valid clients, so the guard is taken back.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_owned())
            .or_insert_with(create)
            .clone()
    }
}

/// Starts a service config builder for `region` from the shared config, with
/// the interceptors that the options added.
macro_rules! regional_builder {
    ($service:ident, $config:expr, $interceptors:expr, $region:expr) => {{
        let mut builder =
            $service::config::Builder::from($config).region(Region::new($region.to_owned()));
        for interceptor in $interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        builder
    }};
}

/// S3 Control endpoint resolver that returns the override URL unchanged.
///
/// The SDK's rules put the account id in front of the host
/// (`111122223333.127.0.0.1:4566`), which does not resolve for a local emulator.
#[derive(Debug)]
struct FixedEndpoint {
    url: String,
}

impl ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.url.clone()).build()))
    }
}

/// The service clients, built once and shared. Per-region clients are created
/// on first use and cached.
#[derive(Debug)]
pub struct Clients {
    config: SdkConfig,
    default_region: String,
    endpoint_url: Option<String>,
    interceptors: Vec<SharedInterceptor>,
    s3: RegionalClients<aws_sdk_s3::Client>,
    kms: RegionalClients<aws_sdk_kms::Client>,
    cloudtrail: RegionalClients<aws_sdk_cloudtrail::Client>,
    guardduty: RegionalClients<aws_sdk_guardduty::Client>,
    access_analyzer: RegionalClients<aws_sdk_accessanalyzer::Client>,
    sns: RegionalClients<aws_sdk_sns::Client>,
    s3control: aws_sdk_s3control::Client,
    sts: aws_sdk_sts::Client,
}

impl Clients {
    /// Builds the clients from a loaded config (callers use
    /// `aws_config::defaults(BehaviorVersion::latest()).load().await`).
    ///
    /// Fails when the config has no region or the endpoint URL is not http(s).
    pub fn new(config: &SdkConfig, options: &ClientOptions) -> Result<Self, Error> {
        let default_region = config
            .region()
            .map(|region| region.as_ref().to_owned())
            .filter(|region| !region.is_empty())
            .ok_or(Error::MissingRegion)?;

        let endpoint_url = options
            .endpoint_url
            .clone()
            .or_else(|| config.endpoint_url().map(str::to_owned));
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Error::InvalidEndpoint { url: url.clone() });
        }

        let retry = RetryConfig::adaptive()
            .with_retry_mode(options.retry_mode)
            .with_max_attempts(options.max_attempts)
            .with_initial_backoff(options.initial_backoff)
            .with_max_backoff(options.max_backoff);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(options.connect_timeout)
            .operation_attempt_timeout(options.attempt_timeout)
            .operation_timeout(options.operation_timeout)
            .build();
        let mut builder = config
            .to_builder()
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(url) = &endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }

        let config = builder.build();
        let interceptors = options.interceptors.clone();

        let mut s3control =
            regional_builder!(aws_sdk_s3control, &config, &interceptors, &default_region);
        if let Some(url) = &endpoint_url {
            s3control = s3control.endpoint_resolver(FixedEndpoint { url: url.clone() });
        }
        let s3control = aws_sdk_s3control::Client::from_conf(s3control.build());
        let sts = aws_sdk_sts::Client::from_conf(
            regional_builder!(aws_sdk_sts, &config, &interceptors, &default_region).build(),
        );

        Ok(Self {
            config,
            default_region,
            endpoint_url,
            interceptors,
            s3: RegionalClients::default(),
            kms: RegionalClients::default(),
            cloudtrail: RegionalClients::default(),
            guardduty: RegionalClients::default(),
            access_analyzer: RegionalClients::default(),
            sns: RegionalClients::default(),
            s3control,
            sts,
        })
    }

    /// Returns the region of the loaded config, used for account-wide calls
    /// and for finding bucket regions.
    /// The shared configuration (retry, timeouts, endpoint) for clients of services
    /// this crate does not build itself, such as SQS or IAM.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// Returns the endpoint override, from the options or from `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// Returns the S3 client for `region`. With an endpoint override it uses
    /// path-style addressing.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        self.s3.get_or_create(region, || {
            let builder = regional_builder!(aws_sdk_s3, &self.config, &self.interceptors, region)
                .force_path_style(self.endpoint_url.is_some());
            aws_sdk_s3::Client::from_conf(builder.build())
        })
    }

    /// Returns the S3 client for the default region.
    pub fn default_s3(&self) -> aws_sdk_s3::Client {
        self.s3(&self.default_region)
    }

    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        self.kms.get_or_create(region, || {
            aws_sdk_kms::Client::from_conf(
                regional_builder!(aws_sdk_kms, &self.config, &self.interceptors, region).build(),
            )
        })
    }

    pub fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        self.cloudtrail.get_or_create(region, || {
            aws_sdk_cloudtrail::Client::from_conf(
                regional_builder!(aws_sdk_cloudtrail, &self.config, &self.interceptors, region)
                    .build(),
            )
        })
    }

    pub fn guardduty(&self, region: &str) -> aws_sdk_guardduty::Client {
        self.guardduty.get_or_create(region, || {
            aws_sdk_guardduty::Client::from_conf(
                regional_builder!(aws_sdk_guardduty, &self.config, &self.interceptors, region)
                    .build(),
            )
        })
    }

    pub fn access_analyzer(&self, region: &str) -> aws_sdk_accessanalyzer::Client {
        self.access_analyzer.get_or_create(region, || {
            aws_sdk_accessanalyzer::Client::from_conf(
                regional_builder!(
                    aws_sdk_accessanalyzer,
                    &self.config,
                    &self.interceptors,
                    region
                )
                .build(),
            )
        })
    }

    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        self.sns.get_or_create(region, || {
            aws_sdk_sns::Client::from_conf(
                regional_builder!(aws_sdk_sns, &self.config, &self.interceptors, region).build(),
            )
        })
    }

    /// Returns the S3 Control client (default region). With an endpoint
    /// override it sends requests to the override URL without the account-id
    /// host prefix.
    pub fn s3control(&self) -> aws_sdk_s3control::Client {
        self.s3control.clone()
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        self.sts.clone()
    }
}
