//! An in-memory S3 bucket for the scheduled-audit function's partial results and
//! full report: PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2 and
//! multipart upload, with the response bodies and status codes that S3 sends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use bytes::{Bytes, BytesMut};
use hyper::Method;

use crate::fixtures::{self, CLIENT_REGION, Canned, s3_document, xml_escape};

/// S3's minimum size of every part of a multipart upload but the last.
const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

/// S3's maximum number of parts in one multipart upload.
const MAX_PARTS: usize = 10_000;

/// ListObjectsV2 page size when the request names none (S3's maximum).
const DEFAULT_MAX_KEYS: usize = 1000;

/// `Last-Modified` of every object. The function does not read it.
const LAST_MODIFIED: &str = "Fri, 01 Mar 2024 12:00:00 GMT";

#[derive(Debug)]
struct Object {
    body: Bytes,
    content_type: String,
    etag: String,
}

#[derive(Debug)]
struct Upload {
    key: String,
    content_type: String,
    parts: BTreeMap<u32, Bytes>,
}

/// The objects of one bucket and its multipart uploads in progress.
#[derive(Debug, Default)]
pub struct ObjectStore {
    objects: BTreeMap<String, Object>,
    uploads: BTreeMap<String, Upload>,
    next_upload: u64,
    /// Largest upload completed since the last clear, in parts.
    max_parts_seen: usize,
}

/// One S3 request to the report bucket, already split into its parts.
#[derive(Debug)]
pub struct ObjectRequest<'a> {
    pub method: &'a Method,
    /// The object key, percent-decoded; empty for a request on the bucket.
    pub key: &'a str,
    /// Query parameters, percent-decoded.
    pub query: &'a [(String, String)],
    pub content_type: Option<&'a str>,
    /// The payload with any `aws-chunked` framing removed.
    pub body: Bytes,
}

impl ObjectRequest<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.param(name).is_some()
    }
}

/// Returns a quoted opaque entity tag for `body`. S3's tags are MD5 digests, but
/// clients only compare them, so a 64-bit hash of the bytes does.
fn entity_tag(body: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}{:016x}\"", hasher.finish(), body.len())
}

fn no_such_key() -> Canned {
    Canned::s3_error(
        404,
        "NoSuchKey",
        "The specified key does not exist.",
        fixtures::REPORT_BUCKET,
    )
}

fn no_such_upload() -> Canned {
    Canned::s3_error(
        404,
        "NoSuchUpload",
        "The specified upload does not exist.",
        fixtures::REPORT_BUCKET,
    )
}

impl ObjectStore {
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Returns the stored bytes of `key`.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.objects.get(key).map(|object| object.body.clone())
    }

    /// Returns the number of objects and their total size in bytes.
    pub fn usage(&self) -> (usize, usize) {
        let bytes = self.objects.values().map(|object| object.body.len()).sum();
        (self.objects.len(), bytes)
    }

    /// Returns the number of multipart uploads started and not yet completed or aborted.
    pub fn open_uploads(&self) -> usize {
        self.uploads.len()
    }

    /// Returns the part count of the largest multipart upload completed.
    pub fn max_parts_seen(&self) -> usize {
        self.max_parts_seen
    }

    /// Serves one request to the report bucket. Returns the operation name and
    /// the response.
    pub fn handle(&mut self, request: &ObjectRequest<'_>) -> (&'static str, Canned) {
        let method = request.method;
        if request.key.is_empty() {
            return match *method {
                Method::HEAD => (
                    "HeadBucket",
                    Canned::empty(200).with_header("x-amz-bucket-region", CLIENT_REGION),
                ),
                Method::GET if request.has("location") => {
                    // us-east-1 is the one region whose LocationConstraint is empty.
                    ("GetBucketLocation", s3_document("LocationConstraint", ""))
                }
                Method::GET if request.param("list-type") == Some("2") => {
                    ("ListObjectsV2", self.list_objects_v2(request))
                }
                _ => (
                    "Unknown",
                    Canned::s3_error(
                        400,
                        "InvalidRequest",
                        "not served by the benchmark",
                        fixtures::REPORT_BUCKET,
                    ),
                ),
            };
        }

        match *method {
            Method::POST if request.has("uploads") => (
                "CreateMultipartUpload",
                self.create_multipart_upload(request),
            ),
            Method::POST if request.has("uploadId") => (
                "CompleteMultipartUpload",
                self.complete_multipart_upload(request),
            ),
            Method::PUT if request.has("uploadId") => ("UploadPart", self.upload_part(request)),
            Method::DELETE if request.has("uploadId") => {
                let upload_id = request.param("uploadId").unwrap_or_default();
                let canned = match self.uploads.remove(upload_id) {
                    Some(_) => Canned::empty(204),
                    None => no_such_upload(),
                };
                ("AbortMultipartUpload", canned)
            }
            Method::PUT => {
                let etag = entity_tag(&request.body);
                self.objects.insert(
                    request.key.to_owned(),
                    Object {
                        body: request.body.clone(),
                        content_type: request
                            .content_type
                            .unwrap_or("binary/octet-stream")
                            .to_owned(),
                        etag: etag.clone(),
                    },
                );
                ("PutObject", Canned::empty(200).with_header("etag", etag))
            }
            Method::GET => match self.objects.get(request.key) {
                Some(object) => {
                    let mut canned = Canned::empty(200)
                        .with_header("content-type", object.content_type.clone())
                        .with_header("etag", object.etag.clone())
                        .with_header("last-modified", LAST_MODIFIED);
                    canned.body = object.body.clone();
                    ("GetObject", canned)
                }
                None => ("GetObject", no_such_key()),
            },
            Method::HEAD => match self.objects.get(request.key) {
                Some(object) => (
                    "HeadObject",
                    Canned::empty(200)
                        .with_header("etag", object.etag.clone())
                        .with_header("last-modified", LAST_MODIFIED)
                        .with_header("content-length", object.body.len().to_string()),
                ),
                None => ("HeadObject", Canned::empty(404)),
            },
            Method::DELETE => {
                self.objects.remove(request.key);
                ("DeleteObject", Canned::empty(204))
            }
            _ => (
                "Unknown",
                Canned::s3_error(
                    400,
                    "InvalidRequest",
                    "not served by the benchmark",
                    fixtures::REPORT_BUCKET,
                ),
            ),
        }
    }

    fn list_objects_v2(&self, request: &ObjectRequest<'_>) -> Canned {
        let prefix = request.param("prefix").unwrap_or_default();
        let max_keys = request
            .param("max-keys")
            .and_then(|value| value.parse().ok())
            .unwrap_or(DEFAULT_MAX_KEYS)
            .min(DEFAULT_MAX_KEYS);
        // The continuation token is the last key of the previous page.
        let after = request
            .param("continuation-token")
            .or(request.param("start-after"))
            .unwrap_or_default();

        let mut matching = self
            .objects
            .iter()
            .filter(|(key, _)| key.starts_with(prefix) && key.as_str() > after);
        let page: Vec<(&String, &Object)> = matching.by_ref().take(max_keys).collect();
        let truncated = matching.next().is_some();

        let mut inner = format!(
            "<Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys>\
             <IsTruncated>{truncated}</IsTruncated>",
            fixtures::REPORT_BUCKET,
            xml_escape(prefix),
            page.len()
        );
        for (key, object) in &page {
            let _ = write!(
                inner,
                "<Contents><Key>{}</Key><LastModified>2024-03-01T12:00:00.000Z</LastModified>\
                 <ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                xml_escape(key),
                xml_escape(&object.etag),
                object.body.len()
            );
        }
        if truncated && let Some((last, _)) = page.last() {
            let _ = write!(
                inner,
                "<NextContinuationToken>{}</NextContinuationToken>",
                xml_escape(last)
            );
        }
        s3_document("ListBucketResult", &inner)
    }

    fn create_multipart_upload(&mut self, request: &ObjectRequest<'_>) -> Canned {
        self.next_upload += 1;
        let upload_id = format!("bench-upload-{:08}", self.next_upload);
        self.uploads.insert(
            upload_id.clone(),
            Upload {
                key: request.key.to_owned(),
                content_type: request
                    .content_type
                    .unwrap_or("binary/octet-stream")
                    .to_owned(),
                parts: BTreeMap::new(),
            },
        );
        s3_document(
            "InitiateMultipartUploadResult",
            &format!(
                "<Bucket>{}</Bucket><Key>{}</Key><UploadId>{upload_id}</UploadId>",
                fixtures::REPORT_BUCKET,
                xml_escape(request.key)
            ),
        )
    }

    fn upload_part(&mut self, request: &ObjectRequest<'_>) -> Canned {
        let upload_id = request.param("uploadId").unwrap_or_default();
        let Some(upload) = self.uploads.get_mut(upload_id) else {
            return no_such_upload();
        };
        let part_number = request
            .param("partNumber")
            .and_then(|value| value.parse::<u32>().ok())
            .filter(|number| (1..=MAX_PARTS as u32).contains(number));
        let Some(part_number) = part_number else {
            return Canned::s3_error(
                400,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                fixtures::REPORT_BUCKET,
            );
        };
        let etag = entity_tag(&request.body);
        upload.parts.insert(part_number, request.body.clone());
        Canned::empty(200).with_header("etag", etag)
    }

    /// Joins the parts that the request lists, in its order, and checks them as
    /// S3 does: listed parts must exist, ascend, and all but the last must be at
    /// least 5 MiB.
    fn complete_multipart_upload(&mut self, request: &ObjectRequest<'_>) -> Canned {
        let upload_id = request.param("uploadId").unwrap_or_default().to_owned();
        let Some(upload) = self.uploads.get(&upload_id) else {
            return no_such_upload();
        };
        let listed = part_numbers(&request.body);
        let invalid = |code: &str, message: &str| {
            Canned::s3_error(400, code, message, fixtures::REPORT_BUCKET)
        };
        if listed.is_empty() {
            return invalid(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            );
        }
        if listed.windows(2).any(|pair| pair[0] >= pair[1]) {
            return invalid(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            );
        }
        let mut joined = BytesMut::new();
        for (position, number) in listed.iter().enumerate() {
            let Some(part) = upload.parts.get(number) else {
                return invalid(
                    "InvalidPart",
                    "One or more of the specified parts could not be found.",
                );
            };
            if position + 1 < listed.len() && part.len() < MIN_PART_BYTES {
                return invalid(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                );
            }
            joined.extend_from_slice(part);
        }

        let upload = self.uploads.remove(&upload_id).unwrap();
        let body = joined.freeze();
        let etag = format!(
            "\"{}-{}\"",
            entity_tag(&body).trim_matches('"'),
            listed.len()
        );
        self.max_parts_seen = self.max_parts_seen.max(listed.len());
        self.objects.insert(
            upload.key.clone(),
            Object {
                body,
                content_type: upload.content_type,
                etag: etag.clone(),
            },
        );
        s3_document(
            "CompleteMultipartUploadResult",
            &format!(
                "<Location>http://127.0.0.1/{bucket}/{key}</Location><Bucket>{bucket}</Bucket>\
                 <Key>{key}</Key><ETag>{etag}</ETag>",
                bucket = fixtures::REPORT_BUCKET,
                key = xml_escape(&upload.key),
                etag = xml_escape(&etag),
            ),
        )
    }
}

/// Returns the `<PartNumber>` values of a CompleteMultipartUpload body, in order.
fn part_numbers(body: &[u8]) -> Vec<u32> {
    let text = String::from_utf8_lossy(body);
    text.split("<PartNumber>")
        .skip(1)
        .filter_map(|rest| rest.split("</PartNumber>").next())
        .filter_map(|number| number.trim().parse().ok())
        .collect()
}

/// Removes the `aws-chunked` framing (`SIZE[;chunk-signature=...]\r\nDATA\r\n`
/// repeated, a zero-size chunk, then trailing headers) from a request body.
pub fn decode_aws_chunked(body: &[u8]) -> Option<Bytes> {
    let mut decoded = BytesMut::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|pair| pair == b"\r\n")?;
        let header = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = header.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // What follows are the trailing headers (checksums), which are not data.
            return Some(decoded.freeze());
        }
        decoded.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        method: &'a Method,
        key: &'a str,
        query: &'a [(String, String)],
        body: &[u8],
    ) -> ObjectRequest<'a> {
        ObjectRequest {
            method,
            key,
            query,
            content_type: Some("application/json"),
            body: Bytes::copy_from_slice(body),
        }
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn body_text(canned: &Canned) -> String {
        String::from_utf8(canned.body.to_vec()).unwrap()
    }

    #[test]
    fn aws_chunked_body_is_decoded() {
        let framed = b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        assert_eq!(
            decode_aws_chunked(framed).unwrap(),
            Bytes::from_static(b"hello world")
        );
    }

    #[test]
    fn aws_chunked_body_cut_short_is_rejected() {
        assert!(decode_aws_chunked(b"a\r\nhello").is_none());
    }

    #[test]
    fn put_then_get_returns_body() {
        let mut store = ObjectStore::default();
        let (operation, _) = store.handle(&request(&Method::PUT, "runs/r/part-1.json", &[], b"{}"));
        assert_eq!(operation, "PutObject");
        let (operation, canned) =
            store.handle(&request(&Method::GET, "runs/r/part-1.json", &[], b""));
        assert_eq!(operation, "GetObject");
        assert_eq!(canned.status, 200);
        assert_eq!(body_text(&canned), "{}");
    }

    #[test]
    fn missing_key_is_no_such_key() {
        let mut store = ObjectStore::default();
        let (_, canned) = store.handle(&request(&Method::GET, "absent", &[], b""));
        assert_eq!(canned.status, 404);
        assert!(body_text(&canned).contains("<Code>NoSuchKey</Code>"));
    }

    #[test]
    fn list_pages_by_prefix() {
        let mut store = ObjectStore::default();
        for index in 0..5 {
            let key = format!("runs/a/part-{index}.json");
            store.handle(&request(&Method::PUT, &key, &[], b"x"));
        }
        store.handle(&request(&Method::PUT, "reports/a.json", &[], b"x"));

        let first = query(&[("list-type", "2"), ("prefix", "runs/a/"), ("max-keys", "3")]);
        let (_, canned) = store.handle(&request(&Method::GET, "", &first, b""));
        let text = body_text(&canned);
        assert!(text.contains("<KeyCount>3</KeyCount>"));
        assert!(text.contains("<IsTruncated>true</IsTruncated>"));
        assert!(text.contains("<NextContinuationToken>runs/a/part-2.json</NextContinuationToken>"));

        let second = query(&[
            ("list-type", "2"),
            ("prefix", "runs/a/"),
            ("continuation-token", "runs/a/part-2.json"),
        ]);
        let (_, canned) = store.handle(&request(&Method::GET, "", &second, b""));
        let text = body_text(&canned);
        assert!(text.contains("<KeyCount>2</KeyCount>"));
        assert!(text.contains("<IsTruncated>false</IsTruncated>"));
        assert!(!text.contains("reports/a.json"));
    }

    fn start_upload(store: &mut ObjectStore, key: &str) -> String {
        let uploads = query(&[("uploads", "")]);
        let (_, canned) = store.handle(&request(&Method::POST, key, &uploads, b""));
        let text = body_text(&canned);
        text.split("<UploadId>")
            .nth(1)
            .and_then(|rest| rest.split("</UploadId>").next())
            .unwrap()
            .to_owned()
    }

    fn put_part(store: &mut ObjectStore, key: &str, upload_id: &str, number: u32, body: &[u8]) {
        let part = query(&[("partNumber", &number.to_string()), ("uploadId", upload_id)]);
        let (operation, canned) = store.handle(&request(&Method::PUT, key, &part, body));
        assert_eq!(operation, "UploadPart");
        assert_eq!(canned.status, 200);
    }

    fn complete_body(numbers: &[u32]) -> Vec<u8> {
        let parts: String = numbers
            .iter()
            .map(|number| format!("<Part><PartNumber>{number}</PartNumber><ETag>x</ETag></Part>"))
            .collect();
        format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>").into_bytes()
    }

    #[test]
    fn multipart_upload_joins_parts() {
        let mut store = ObjectStore::default();
        let upload_id = start_upload(&mut store, "reports/r.json");
        let big = vec![b'a'; MIN_PART_BYTES];
        put_part(&mut store, "reports/r.json", &upload_id, 1, &big);
        put_part(&mut store, "reports/r.json", &upload_id, 2, b"tail");

        let complete = query(&[("uploadId", &upload_id)]);
        let (operation, canned) = store.handle(&request(
            &Method::POST,
            "reports/r.json",
            &complete,
            &complete_body(&[1, 2]),
        ));
        assert_eq!(operation, "CompleteMultipartUpload");
        assert_eq!(canned.status, 200);
        let stored = store.get("reports/r.json").unwrap();
        assert_eq!(stored.len(), MIN_PART_BYTES + 4);
        assert!(stored.ends_with(b"tail"));
        assert_eq!(store.open_uploads(), 0);
        assert_eq!(store.max_parts_seen(), 2);
    }

    #[test]
    fn multipart_small_middle_part_is_too_small() {
        let mut store = ObjectStore::default();
        let upload_id = start_upload(&mut store, "reports/r.json");
        put_part(&mut store, "reports/r.json", &upload_id, 1, b"small");
        put_part(&mut store, "reports/r.json", &upload_id, 2, b"tail");

        let complete = query(&[("uploadId", &upload_id)]);
        let (_, canned) = store.handle(&request(
            &Method::POST,
            "reports/r.json",
            &complete,
            &complete_body(&[1, 2]),
        ));
        assert_eq!(canned.status, 400);
        assert!(body_text(&canned).contains("EntityTooSmall"));
        assert!(store.get("reports/r.json").is_none());
    }

    #[test]
    fn multipart_abort_drops_upload() {
        let mut store = ObjectStore::default();
        let upload_id = start_upload(&mut store, "reports/r.json");
        put_part(&mut store, "reports/r.json", &upload_id, 1, b"data");
        let abort = query(&[("uploadId", &upload_id)]);
        let (operation, canned) =
            store.handle(&request(&Method::DELETE, "reports/r.json", &abort, b""));
        assert_eq!(operation, "AbortMultipartUpload");
        assert_eq!(canned.status, 204);
        assert_eq!(store.open_uploads(), 0);
        assert!(store.get("reports/r.json").is_none());
    }
}
