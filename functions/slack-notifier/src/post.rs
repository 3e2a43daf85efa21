//! Posting to the Slack incoming webhook, with retries for rate limits and
//! server errors.

use std::error::Error as _;
use std::time::Duration;

use bucketwarden_core::render::{clean, truncate};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use tracing::{trace, warn};

use crate::blocks::SlackMessage;
use crate::err::{HttpClientError, PostError, PostFailure};
use crate::webhook::WebhookUrl;

/// Characters of a response body kept in errors and logs.
const MAX_BODY_CHARS: usize = 200;

/// Timeouts and retries of one post.
///
/// With the defaults, a post that fails every time takes at most about 170 s
/// (5 attempts of up to 10 s, and 4 waits of up to 30 s), so the function's
/// timeout should be at least 3 minutes. When Lambda stops the function earlier,
/// the invocation fails and Lambda's asynchronous retries still apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostPolicy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// The wait after the first failed attempt when Slack sends no `Retry-After`;
    /// it doubles after each further failure.
    pub first_backoff: Duration,
    /// The maximum wait between two attempts, `Retry-After` included.
    pub max_wait: Duration,
    pub connect_timeout: Duration,
    /// The limit for one whole attempt: connection, request and response.
    pub request_timeout: Duration,
}

impl Default for PostPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl PostPolicy {
    /// Returns the wait before the attempt after `attempt` (1-based): Slack's
    /// `Retry-After` when it sent one, otherwise the doubling backoff, both capped.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = || {
            let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
            self.first_backoff.saturating_mul(factor)
        };
        retry_after.unwrap_or_else(backoff).min(self.max_wait)
    }
}

/// The result of a successful post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub attempts: u32,
}

/// One failed attempt, and whether another attempt may succeed.
#[derive(Debug)]
struct AttemptError {
    failure: PostFailure,
    retryable: bool,
    retry_after: Option<Duration>,
}

/// An HTTP client bound to one webhook URL.
#[derive(Clone, Debug)]
pub struct SlackClient {
    http: reqwest::Client,
    webhook: WebhookUrl,
    policy: PostPolicy,
}

impl SlackClient {
    pub fn new(webhook: WebhookUrl, policy: PostPolicy) -> Result<SlackClient, HttpClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            // Slack's webhooks do not redirect, and a redirect must not carry
            // the message to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "bucketwarden-slack-notifier/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|error| HttpClientError(error_chain(&error.without_url())))?;
        Ok(SlackClient {
            http,
            webhook,
            policy,
        })
    }

    /// Posts `message`, retrying on HTTP 429, 5xx and transport errors up to
    /// the policy's attempts. Any other status fails at once.
    pub async fn post(&self, message: &SlackMessage) -> Result<Delivery, PostError> {
        let mut attempt = 1;
        loop {
            let error = match self.post_once(message).await {
                Ok(()) => return Ok(Delivery { attempts: attempt }),
                Err(error) => error,
            };
            if !error.retryable || attempt >= self.policy.max_attempts {
                return Err(PostError {
                    attempts: attempt,
                    failure: error.failure,
                });
            }
            let wait = self.policy.wait(attempt, error.retry_after);
            warn!(
                attempt,
                max_attempts = self.policy.max_attempts,
                error = %error.failure,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "Slack post failed; retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn post_once(&self, message: &SlackMessage) -> Result<(), AttemptError> {
        let response = self
            .http
            .post(self.webhook.url().clone())
            .json(message)
            .send()
            .await
            .map_err(|error| AttemptError {
                failure: PostFailure::Transport(transport_detail(error, &self.policy)),
                retryable: true,
                retry_after: None,
            })?;

        let status = response.status();
        let retry_after = retry_after(&response);
        // The body of an error names its cause (`invalid_payload`,
        // `no_service`); a body that cannot be read leaves that out.
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            trace!(status = status.as_u16(), "Slack accepted the message");
            return Ok(());
        }
        Err(AttemptError {
            failure: PostFailure::Status {
                status: status.as_u16(),
                body: truncate(&clean(body.trim()), MAX_BODY_CHARS),
            },
            retryable: status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error(),
            retry_after,
        })
    }
}

/// Reads `Retry-After` as whole seconds.
// NOTE: the HTTP-date form of Retry-After is not parsed, so such a value
// falls back to the backoff.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// Describes a failed request without its URL, which reqwest otherwise puts in
/// the message.
fn transport_detail(error: reqwest::Error, policy: &PostPolicy) -> String {
    if error.is_timeout() {
        return format!(
            "timed out (connect limit {} s, request limit {} s)",
            policy.connect_timeout.as_secs(),
            policy.request_timeout.as_secs()
        );
    }
    error_chain(&error.without_url())
}

/// Joins an error's message with those of its sources: reqwest's own message
/// ("error sending request") alone does not say what failed.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_doubles_then_caps() {
        let policy = PostPolicy::default();
        let waits: Vec<u64> = (1..=7)
            .map(|attempt| policy.wait(attempt, None).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(policy.wait(u32::MAX, None), policy.max_wait);
    }

    #[test]
    fn wait_follows_retry_after_up_to_cap() {
        let policy = PostPolicy::default();
        assert_eq!(
            policy.wait(3, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(policy.wait(1, Some(Duration::from_secs(0))), Duration::ZERO);
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
    }
}
