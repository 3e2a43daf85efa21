use aws_sdk_s3::Client;
use aws_smithy_mocks::{RuleMode, mock, mock_client};

use super::support::{mock_context, response, s3_error};
use crate::Error;
use crate::region::{head_bucket_region, location_region};

const LOCATION_EU: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">EU</LocationConstraint>";
const LOCATION_EMPTY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";

#[tokio::test]
async fn head_bucket_301_empty_body_gives_header_region() {
    let head = mock!(Client::head_bucket)
        .then_http_response(|| response(301, "", &[("x-amz-bucket-region", "eu-central-1")]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head]);

    let region = head_bucket_region(&s3, "moved-bucket").await;

    assert_eq!(region, Ok(Some("eu-central-1".to_owned())));
}

#[tokio::test]
async fn head_bucket_403_gives_header_region() {
    let head = mock!(Client::head_bucket)
        .then_http_response(|| response(403, "", &[("x-amz-bucket-region", "ap-southeast-2")]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head]);

    let region = head_bucket_region(&s3, "denied-bucket").await;

    assert_eq!(region, Ok(Some("ap-southeast-2".to_owned())));
}

#[tokio::test]
async fn head_bucket_success_gives_modeled_region() {
    let head = mock!(Client::head_bucket)
        .then_http_response(|| response(200, "", &[("x-amz-bucket-region", "us-west-2")]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head]);

    let region = head_bucket_region(&s3, "bucket").await;

    assert_eq!(region, Ok(Some("us-west-2".to_owned())));
}

#[tokio::test]
async fn head_bucket_301_without_header_is_http301() {
    let head = mock!(Client::head_bucket).then_http_response(|| response(301, "", &[]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head]);

    let error = head_bucket_region(&s3, "bucket").await.unwrap_err();

    assert_eq!(error.code, "Http301");
}

#[tokio::test]
async fn location_eu_is_eu_west_1() {
    let location =
        mock!(Client::get_bucket_location).then_http_response(|| response(200, LOCATION_EU, &[]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&location]);

    assert_eq!(
        location_region(&s3, "bucket").await,
        Ok("eu-west-1".to_owned())
    );
}

#[tokio::test]
async fn location_empty_is_us_east_1() {
    let location = mock!(Client::get_bucket_location)
        .then_http_response(|| response(200, LOCATION_EMPTY, &[]));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&location]);

    assert_eq!(
        location_region(&s3, "bucket").await,
        Ok("us-east-1".to_owned())
    );
}

#[tokio::test]
async fn bucket_region_is_cached() {
    let head = mock!(Client::head_bucket)
        .then_http_response(|| response(301, "", &[("x-amz-bucket-region", "eu-central-1")]));
    let aws = mock_context(&[&head]);

    let first = aws.bucket_region("moved-bucket").await.unwrap();
    let second = aws.bucket_region("moved-bucket").await.unwrap();

    assert_eq!(first, "eu-central-1");
    assert_eq!(second, "eu-central-1");
    assert_eq!(head.num_calls(), 1);
}

#[tokio::test]
async fn bucket_region_falls_back_to_location() {
    let head = mock!(Client::head_bucket).then_http_response(|| response(400, "", &[]));
    let location =
        mock!(Client::get_bucket_location).then_http_response(|| response(200, LOCATION_EU, &[]));
    let aws = mock_context(&[&head, &location]);

    let region = aws.bucket_region("old-eu-bucket").await.unwrap();

    assert_eq!(region, "eu-west-1");
    assert_eq!(location.num_calls(), 1);
}

#[tokio::test]
async fn bucket_region_asks_again_after_not_found() {
    let head = mock!(Client::head_bucket)
        .sequence()
        .http_response(|| response(404, "", &[]))
        .http_response(|| response(200, "", &[("x-amz-bucket-region", "us-east-2")]))
        .build();
    let aws = mock_context(&[&head]);

    let region = aws.bucket_region("new-bucket").await.unwrap();

    assert_eq!(region, "us-east-2");
    assert_eq!(head.num_calls(), 2);
}

#[tokio::test]
async fn bucket_region_missing_twice_is_not_found() {
    let head = mock!(Client::head_bucket).then_http_response(|| response(404, "", &[]));
    let aws = mock_context(&[&head]);

    let error = aws.bucket_region("gone-bucket").await.unwrap_err();

    assert!(matches!(error, Error::BucketNotFound { .. }), "{error:?}");
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("NotFound")
    );
    assert_eq!(head.num_calls(), 2);
}

#[tokio::test]
async fn bucket_region_both_denied_is_region_error() {
    let head = mock!(Client::head_bucket).then_http_response(|| response(403, "", &[]));
    let location = mock!(Client::get_bucket_location)
        .then_http_response(|| s3_error(403, "AccessDenied", "Access Denied"));
    let aws = mock_context(&[&head, &location]);

    let error = aws.bucket_region("locked-bucket").await.unwrap_err();

    assert!(matches!(error, Error::BucketRegion { .. }), "{error:?}");
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("AccessDenied")
    );
}
