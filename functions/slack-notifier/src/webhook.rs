//! The Slack webhook URL: read once at start from SSM Parameter Store or Secrets
//! Manager, and kept in a type that never prints it.

use std::fmt;

use aws_types::SdkConfig;
use reqwest::Url;

use crate::err::WebhookError;
use crate::settings::WebhookSource;

/// Hosts that may use plain `http`, for tests against a local server. Slack's own
/// webhooks are always https.
const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// A validated webhook URL. The URL is a credential (anyone who has it can post
/// to the channel), so `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// Parses and validates `text`. The URL must be https, except that
    /// `http://127.0.0.1`, `http://localhost` and `http://[::1]` (any port) are
    /// accepted for local testing. The error reason never quotes `text`.
    pub fn parse(text: &str) -> Result<WebhookUrl, String> {
        let url = Url::parse(text.trim()).map_err(|error| format!("not a URL ({error})"))?;
        let host = url.host_str().unwrap_or_default();
        if host.is_empty() {
            return Err("the URL has no host".to_string());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the URL contains a user name or password".to_string());
        }
        match url.scheme() {
            "https" => Ok(WebhookUrl(url)),
            "http" if LOOPBACK_HOSTS.contains(&host) => Ok(WebhookUrl(url)),
            "http" => Err(
                "the scheme is http; use https (http is accepted only for 127.0.0.1 and localhost)"
                    .to_string(),
            ),
            other => Err(format!("the scheme is `{other}`; use https")),
        }
    }

    pub(crate) fn url(&self) -> &Url {
        &self.0
    }

    /// Returns the URL as text. Only for tests that must find or compare it:
    /// never log or format the result.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Reads the webhook URL from `source`: an SSM parameter with decryption, or a
/// Secrets Manager secret whose string is the URL or a JSON object with a `url` field.
pub async fn read_webhook_url(
    config: &SdkConfig,
    source: &WebhookSource,
) -> Result<WebhookUrl, WebhookError> {
    let text = match source {
        WebhookSource::Parameter(name) => read_parameter(config, name).await?,
        WebhookSource::Secret(id) => read_secret(config, id).await?,
    };
    WebhookUrl::parse(&text).map_err(|reason| WebhookError::InvalidUrl {
        location: source.to_string(),
        reason,
    })
}

async fn read_parameter(config: &SdkConfig, name: &str) -> Result<String, WebhookError> {
    let failure = |detail: String| WebhookError::Parameter {
        name: name.to_string(),
        detail,
    };
    let output = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|error| failure(aws_sdk_ssm::error::DisplayErrorContext(&error).to_string()))?;
    output
        .parameter
        .and_then(|parameter| parameter.value)
        .ok_or_else(|| failure("the response has no value".to_string()))
}

async fn read_secret(config: &SdkConfig, id: &str) -> Result<String, WebhookError> {
    let failure = |detail: String| WebhookError::Secret {
        id: id.to_string(),
        detail,
    };
    let output = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|error| {
            failure(aws_sdk_secretsmanager::error::DisplayErrorContext(&error).to_string())
        })?;
    let text = output.secret_string.ok_or_else(|| {
        failure("the secret has no string value; store the URL as the secret string".to_string())
    })?;
    url_from_secret_string(&text).map_err(failure)
}

/// Returns the URL from a secret string: the whole string, or the `url` field
/// when the string is a JSON object (the console's key/value form).
fn url_from_secret_string(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return Ok(trimmed.to_string());
    }
    // The parse error is left out: serde_json quotes the text near the error.
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(trimmed)
        .map_err(|_| "the secret string starts with `{` but is not a JSON object".to_string())?;
    object
        .get("url")
        .and_then(|url| url.as_str())
        .map(str::to_string)
        .ok_or_else(|| "the secret is a JSON object without a string field `url`".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";

    #[test]
    fn https_url_accepted() {
        let url = WebhookUrl::parse(SLACK).unwrap();
        assert_eq!(url.expose(), SLACK);
    }

    #[test]
    fn loopback_http_accepted() {
        for text in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9/hook",
        ] {
            assert!(WebhookUrl::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn other_urls_rejected_without_quoting() {
        for text in [
            "http://hooks.slack.com/services/T000/B000/XXXXSECRET",
            "ftp://hooks.slack.com/XXXXSECRET",
            "hooks.slack.com/services/XXXXSECRET",
            "https://user:XXXXSECRET@hooks.slack.com/",
            "",
        ] {
            let reason = WebhookUrl::parse(text).unwrap_err();
            assert!(!reason.contains("XXXXSECRET"), "{reason}");
            assert!(!reason.contains("hooks.slack.com"), "{reason}");
        }
    }

    #[test]
    fn debug_and_display_redact() {
        let url = WebhookUrl::parse(SLACK).unwrap();
        assert_eq!(format!("{url:?}"), "[redacted]");
        assert_eq!(format!("{url}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(url.clone())), "Some([redacted])");
    }

    #[test]
    fn secret_string_forms() {
        assert_eq!(
            url_from_secret_string(&format!(" {SLACK}\n")).unwrap(),
            SLACK
        );
        assert_eq!(
            url_from_secret_string(&format!(r#"{{"url": "{SLACK}"}}"#)).unwrap(),
            SLACK
        );
        let missing = url_from_secret_string(r#"{"webhook": "XXXXSECRET"}"#).unwrap_err();
        assert!(missing.contains("`url`"), "{missing}");
        assert!(!missing.contains("XXXXSECRET"), "{missing}");
        let invalid = url_from_secret_string(r#"{"url": XXXXSECRET"#).unwrap_err();
        assert!(!invalid.contains("XXXXSECRET"), "{invalid}");
    }
}
