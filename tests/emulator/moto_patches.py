"""Behaviour that moto 5.2.5 lacks and Bucket Warden reads or writes.

Each function patches a moto class in place. Call ``apply_all`` once, before
the server handles its first request.
"""

from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from moto.core.responses import ActionResult
from moto.core.utils import ensure_boolean
from moto.kms.models import KmsBackend
from moto.s3.exceptions import (
    MalformedXML,
    ServerSideEncryptionConfigurationNotFoundError,
)
from moto.s3.responses import S3Response

import monitoring_patches

ABAC_STATUSES = ("Enabled", "Disabled")


def as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list, because xmltodict parses one child element as a scalar."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def return_blocked_encryption_types() -> None:
    """Make GetBucketEncryption return the rule's BlockedEncryptionTypes.

    Real S3 stores ``<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType>
    </BlockedEncryptionTypes>`` inside the rule given to PutBucketEncryption and
    returns it from GetBucketEncryption. Moto 5.2.5 keeps the whole parsed rule
    on PUT but builds the GET response from ApplyServerSideEncryptionByDefault
    and BucketKeyEnabled only, so this replaces the GET handler.
    """

    def get_bucket_encryption(self: S3Response) -> Any:
        self.data["Action"] = "GetBucketEncryption"
        encryption = self.backend.get_bucket_encryption(self.bucket_name)
        if not encryption:
            raise ServerSideEncryptionConfigurationNotFoundError(
                bucket_name=self.bucket_name
            )

        rules = []
        for stored_rule in as_list(encryption.get("Rule")):
            rule: dict[str, Any] = {
                "ApplyServerSideEncryptionByDefault": stored_rule[
                    "ApplyServerSideEncryptionByDefault"
                ],
                "BucketKeyEnabled": ensure_boolean(stored_rule.get("BucketKeyEnabled")),
            }
            blocked = stored_rule.get("BlockedEncryptionTypes")
            if isinstance(blocked, dict):
                types = as_list(blocked.get("EncryptionType"))
                rule["BlockedEncryptionTypes"] = {"EncryptionType": types}
            rules.append(rule)

        return self.serialized(
            ActionResult({"ServerSideEncryptionConfiguration": {"Rules": rules}})
        )

    S3Response.get_bucket_encryption = get_bucket_encryption


def add_bucket_abac() -> None:
    """Implement PutBucketAbac and GetBucketAbac (the ``?abac`` sub-resource).

    Real S3 takes ``PUT /bucket?abac`` with the body
    ``<AbacStatus><Status>Enabled</Status></AbacStatus>`` and returns the same
    document from ``GET /bucket?abac``. Moto 5.2.5 does not know the
    sub-resource: it treats the PUT as CreateBucket and returns an object
    listing for the GET. The status is stored on moto's bucket object, so it goes
    away when the bucket is deleted. A bucket that never had a PutBucketAbac
    call returns ``Disabled``.
    """
    # NOTE: "Disabled" for a bucket that never had PutBucketAbac is an
    # assumption, because the S3 API reference does not state the default.
    original_get = S3Response._bucket_response_get
    original_put = S3Response._bucket_response_put

    def bucket_response_get(
        self: S3Response, bucket_name: str, querystring: dict[str, Any]
    ) -> Any:
        if "abac" not in querystring:
            return original_get(self, bucket_name, querystring)

        self.data["Action"] = "GetBucketAbac"
        bucket = self.backend.get_bucket(bucket_name)
        status = getattr(bucket, "bucketwarden_abac_status", "Disabled")
        return self.serialized(ActionResult({"AbacStatus": {"Status": status}}))

    def bucket_response_put(
        self: S3Response, request: Any, bucket_name: str, querystring: dict[str, Any]
    ) -> Any:
        if "abac" not in querystring:
            return original_put(self, request, bucket_name, querystring)

        self.data["Action"] = "PutBucketAbac"
        bucket = self.backend.get_bucket(bucket_name)
        try:
            document = xmltodict.parse(self.body)
            status = document["AbacStatus"]["Status"]
        except (ExpatError, KeyError, TypeError) as error:
            raise MalformedXML() from error
        if status not in ABAC_STATUSES:
            raise MalformedXML()

        bucket.bucketwarden_abac_status = status
        return 200, {}, b""

    S3Response._bucket_response_get = bucket_response_get
    S3Response._bucket_response_put = bucket_response_put


def mark_aws_managed_keys() -> None:
    """Give the keys behind ``alias/aws/*`` the KeyManager ``AWS``.

    In real KMS the keys behind the reserved aliases (``alias/aws/s3`` and the
    other ``alias/aws/*`` names) are AWS managed keys, and DescribeKey returns
    ``"KeyManager": "AWS"`` for them. Moto 5.2.5 creates them on first use
    with ``"KeyManager": "CUSTOMER"``, like a key from CreateKey.
    """
    original_generate = KmsBackend._generate_default_keys

    def generate_default_keys(self: KmsBackend, alias_name: str) -> str | None:
        key_id = original_generate(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
        return key_id

    KmsBackend._generate_default_keys = generate_default_keys


def name_xml_roots_as_s3_does() -> None:
    """Give GetBucketVersioning and GetBucketTagging the XML roots that S3 sends.

    Real S3 answers ``<VersioningConfiguration>`` and ``<Tagging>``. Moto 5.2.5
    builds these answers from botocore's model, which does not keep the root
    name, and sends ``<GetBucketVersioningResponse>`` and
    ``<GetBucketTaggingResponse>``, which strict clients such as the Rust SDK
    reject.
    """
    renames = {
        "get_bucket_versioning": ("GetBucketVersioningResponse", "VersioningConfiguration"),
        "get_bucket_tags": ("GetBucketTaggingResponse", "Tagging"),
    }
    for method_name, (moto_root, s3_root) in renames.items():
        original = getattr(S3Response, method_name)

        def renamed(self: S3Response, *args: Any, _original: Any = original,
                    _moto_root: str = moto_root, _s3_root: str = s3_root, **kwargs: Any) -> Any:
            status, headers, body = _original(self, *args, **kwargs)
            if isinstance(body, bytes):
                body = body.decode("utf-8")
            if isinstance(body, str):
                body = body.replace(f"<{_moto_root}", f"<{_s3_root}", 1)
                body = body.replace(f"</{_moto_root}>", f"</{_s3_root}>", 1)
            return status, headers, body

        setattr(S3Response, method_name, renamed)


def apply_all() -> None:
    """Apply every patch in this module."""
    name_xml_roots_as_s3_does()
    return_blocked_encryption_types()
    add_bucket_abac()
    mark_aws_managed_keys()
    monitoring_patches.apply_all()
