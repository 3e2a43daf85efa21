use aws_types::SdkConfig;

use super::support::{CannedHttpClient, fast_options, response, sdk_config};
use crate::{AwsContext, ClientOptions, Error};

const ACCOUNT_BLOCK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>";

fn canned() -> CannedHttpClient {
    CannedHttpClient::new(|request| {
        if request.uri().contains("publicAccessBlock") {
            Ok(response(200, ACCOUNT_BLOCK, &[]))
        } else {
            Ok(response(
                200,
                r#"{"Version":"2012-10-17","Statement":[]}"#,
                &[],
            ))
        }
    })
}

#[tokio::test]
async fn endpoint_override_reaches_s3control_without_prefix() {
    let http = canned();
    let aws = AwsContext::new(
        &sdk_config(http.clone()),
        fast_options().endpoint_url("http://127.0.0.1:4566"),
    )
    .unwrap();

    let output = aws
        .clients()
        .s3control()
        .get_public_access_block()
        .account_id("111122223333")
        .send()
        .await
        .unwrap();

    assert_eq!(
        http.uris(),
        vec!["http://127.0.0.1:4566/v20180820/configuration/publicAccessBlock".to_owned()]
    );
    let config = output.public_access_block_configuration.unwrap();
    assert_eq!(config.restrict_public_buckets, Some(false));
}

#[tokio::test]
async fn endpoint_override_uses_path_style() {
    let http = canned();
    let aws = AwsContext::new(
        &sdk_config(http.clone()),
        fast_options().endpoint_url("http://127.0.0.1:4566"),
    )
    .unwrap();

    aws.clients()
        .s3("eu-west-1")
        .get_bucket_policy()
        .bucket("my-bucket")
        .send()
        .await
        .unwrap();

    assert_eq!(
        http.uris(),
        vec!["http://127.0.0.1:4566/my-bucket/?policy".to_owned()]
    );
}

#[tokio::test]
async fn config_endpoint_url_counts_as_override() {
    let http = canned();
    let config = sdk_config(http.clone())
        .to_builder()
        .endpoint_url("http://127.0.0.1:9000")
        .build();
    let aws = AwsContext::new(&config, fast_options()).unwrap();

    aws.clients()
        .s3("us-east-1")
        .get_bucket_policy()
        .bucket("b")
        .send()
        .await
        .unwrap();

    assert_eq!(aws.clients().endpoint_url(), Some("http://127.0.0.1:9000"));
    assert_eq!(
        http.uris(),
        vec!["http://127.0.0.1:9000/b/?policy".to_owned()]
    );
}

#[tokio::test]
async fn without_override_s3control_host_has_account() {
    let http = canned();
    let aws = AwsContext::new(&sdk_config(http.clone()), fast_options()).unwrap();

    aws.clients()
        .s3control()
        .get_public_access_block()
        .account_id("111122223333")
        .send()
        .await
        .unwrap();

    let uris = http.uris();
    assert_eq!(uris.len(), 1);
    assert!(
        uris[0].starts_with("https://111122223333.s3-control.us-east-1.amazonaws.com/"),
        "{uris:?}"
    );
}

#[test]
fn missing_region_is_rejected() {
    let config = SdkConfig::builder().build();

    let result = AwsContext::new(&config, ClientOptions::default());

    assert!(matches!(result, Err(Error::MissingRegion)), "{result:?}");
}

#[test]
fn invalid_endpoint_is_rejected() {
    let config = sdk_config(canned());

    let result = AwsContext::new(
        &config,
        ClientOptions::default().endpoint_url("127.0.0.1:4566"),
    );

    assert!(
        matches!(result, Err(Error::InvalidEndpoint { .. })),
        "{result:?}"
    );
}

#[test]
fn regional_clients_get_region_and_retry() {
    let aws = AwsContext::new(&sdk_config(canned()), ClientOptions::default()).unwrap();

    let first = aws.clients().s3("eu-west-1");
    let second = aws.clients().s3("eu-west-1");
    let other = aws.clients().s3("eu-west-2");

    assert_eq!(
        first.config().region().map(|r| r.as_ref()),
        Some("eu-west-1")
    );
    assert_eq!(
        second.config().region().map(|r| r.as_ref()),
        Some("eu-west-1")
    );
    assert_eq!(
        other.config().region().map(|r| r.as_ref()),
        Some("eu-west-2")
    );
    let retry = first.config().retry_config().unwrap();
    assert_eq!(retry.max_attempts(), 5);
    assert_eq!(retry.mode(), aws_smithy_types::retry::RetryMode::Adaptive);
}
