"""s3://BUCKET[/PREFIX]: Amazon S3 and S3-compatible stores through boto3.

Credentials come from boto3's standard chain (environment, profile, instance
role), never from our command line. Small files are one PutObject with
Content-MD5; larger ones a multipart upload whose parts go up in parallel,
each with a checksum the server verifies (botocore's CRC32 by default, or
Content-MD5 under `checksum = when_required` for stores that reject CRC32
headers). A multipart ETag is opaque to us: verification uses our own sha256
and size metadata. A failed multipart upload is aborted.

Expiry: an object put with expire_after carries the tag of lifecycle.py; the
rule that acts on it is installed by `swiftrotate lifecycle`. The first tagged
upload of a run reads the tag back, because some stores drop tags silently.
S3 cannot refuse a taken key atomically: callers check with stat() first.

Owns the boto3 client (imported lazily), error translation, single-PUT
uploads, tagging, listing and the bucket's lifecycle rules. Multipart
uploads and their leftovers are s3_multipart.py's.
"""
import logging
import threading

from .. import lifecycle
from ..errors import AuthError, BackendError, ConfigError, IntegrityError, NotFound, TransientError
from ._transfer import (CHUNK, MIB, RangeReader, SMALL, b64, content_type, file_md5, integrity_metadata, md5_of,
                        parse_metadata, resolve, small_body, tls_refusal, unreachable)
from .base import MISSING_HINT, Backend, Capabilities, ObjectInfo
from .s3_multipart import MultipartMixin

log = logging.getLogger("swiftrotate")

MIN_PART = 5 * MIB


class S3Backend(MultipartMixin, Backend):
    scheme = "s3"
    capabilities = Capabilities(expiry_by_tag=True, lifecycle_rules=True, leftover_parts=True,
                                server_checksum=True)
    create_option = "create_bucket"

    def __init__(self, bucket, prefix="", *, endpoint_url=None, region=None, profile=None,
                 addressing_style=None, multipart_threshold=64 * MIB, part_size=64 * MIB,
                 concurrency=4, checksum="when_supported", sse=None, sse_kms_key_id=None,
                 storage_class=None, create_bucket=True, connect_timeout=10.0, read_timeout=60.0,
                 retries=3, list_page_size=1000, verify_tls=True, ca_bundle=None,
                 access_key_id=None, secret_access_key=None, max_parts=10000, credentials_from=""):
        import boto3  # imported here: the no-op hook path never needs it
        import botocore.exceptions
        from botocore.config import Config

        self._bexc = botocore.exceptions
        if not bucket:
            raise ConfigError("s3:// store needs a bucket", "write s3://BUCKET[/PREFIX]")
        if int(part_size) < MIN_PART:
            raise ConfigError(f"S3 part_size {part_size} is below 5 MiB", "S3 rejects smaller parts")
        if checksum not in ("when_supported", "when_required"):
            raise ConfigError(f"S3 checksum must be when_supported or when_required, not {checksum!r}")
        if sse not in (None, "", "AES256", "aws:kms"):
            raise ConfigError(f"S3 sse must be AES256 or aws:kms, not {sse!r}")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.multipart_threshold = max(int(multipart_threshold), MIN_PART)
        self.part_size = int(part_size)
        self.concurrency = max(1, int(concurrency))
        self.max_parts = max(1, int(max_parts))
        self.checksum = checksum
        self.create_bucket = create_bucket
        self.list_page_size = int(list_page_size)
        self.extra = {}
        if sse:
            self.extra["ServerSideEncryption"] = sse
            if sse == "aws:kms" and sse_kms_key_id:
                self.extra["SSEKMSKeyId"] = sse_kms_key_id
        if storage_class:
            self.extra["StorageClass"] = storage_class
        config = Config(
            connect_timeout=float(connect_timeout), read_timeout=float(read_timeout),
            retries={"mode": "standard", "total_max_attempts": int(retries) + 1},  # retries = N: N after the first
            max_pool_connections=max(10, self.concurrency + 2),
            s3={"addressing_style": addressing_style or "auto"},
            request_checksum_calculation=checksum, response_checksum_validation=checksum,
        )
        # Keys from a 0600 config file are allowed; otherwise boto3's chain.
        try:
            session = boto3.session.Session(profile_name=profile or None, aws_access_key_id=access_key_id or None,
                                            aws_secret_access_key=secret_access_key or None)
            self.client = session.client("s3", endpoint_url=endpoint_url or None,
                                         region_name=region or None, config=config,
                                         verify=ca_bundle or bool(verify_tls))
        except self._bexc.ProfileNotFound:
            raise ConfigError(f"S3: AWS profile {profile!r} is not in the AWS config files",
                              "fix profile in [s3], or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE") from None
        except self._bexc.BotoCoreError as exc:
            raise ConfigError(f"S3 client: {exc}") from None
        self._session, self.profile = session, profile
        self.credentials_from = credentials_from if secret_access_key else ""
        self._bucket_ok = False
        self._bucket_lock = threading.Lock()
        self._tags_checked = False

    def _full(self, key):
        return self.prefix + key

    def _call(self, what, fn, **kwargs):
        try:
            return fn(**kwargs)
        except self._bexc.ClientError as exc:
            raise self._translate(exc, what) from None
        except self._bexc.NoCredentialsError:
            raise AuthError("S3: no credentials found",
                            "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an instance role") from None
        except self._bexc.PartialCredentialsError as exc:
            raise ConfigError(f"S3: incomplete credentials: {exc}",
                              "set both the access key id and the secret key") from None
        except (self._bexc.EndpointConnectionError, self._bexc.ConnectionError, self._bexc.HTTPClientError,
                self._bexc.IncompleteReadError, self._bexc.ReadTimeoutError, self._bexc.ConnectTimeoutError) as exc:
            # HTTPClientError: the connection closed or reset mid-request (ConnectionClosedError,
            # ResponseStreamingError); IncompleteReadError: a short body. Both are the network.
            url = exc.kwargs.get("endpoint_url") or self.client.meta.endpoint_url
            refused = tls_refusal(exc, f"S3: {what}", url,
                                  "ca_bundle = /path/to/ca.pem in [s3] or SWIFTROTATE_S3_CA_BUNDLE", "endpoint_url")
            raise refused or unreachable(exc, f"S3: {what}", url, "endpoint_url in [s3]") from None
        except self._bexc.FlexibleChecksumError:
            raise IntegrityError(f"S3: {what}: response checksum mismatch",
                                 "for stores that send whole-object checksums set checksum = when_required") from None
        except self._bexc.BotoCoreError as exc:
            raise BackendError(f"S3: {what}: {exc}") from None
        except OSError as exc:  # reading our own file, or a raw socket error
            raise TransientError(f"S3: {what}: {exc.strerror or exc}", "the next run retries") from None

    def _credentials_source(self):
        """Which link of boto3's chain gave the keys that were refused."""
        if self.credentials_from:
            return self.credentials_from
        credentials = self._session.get_credentials()  # resolved (and cached) when the request was signed
        method = getattr(credentials, "method", None)
        return {"env": "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment",
                "shared-credentials-file": f"profile {self.profile or 'default'} in the AWS credentials file",
                "config-file": f"profile {self.profile or 'default'} in the AWS config file",
                "iam-role": "the instance's IAM role",
                "container-role": "the container's IAM role"}.get(method, f"boto3's {method or 'default'} credentials")

    def _translate(self, exc, what):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in ("NoSuchKey", "NoSuchBucket", "404", "NotFound", "NoSuchUpload"):
            return NotFound(f"S3: {what}: {code}")
        if status in (401, 403) or code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                                            "ExpiredToken", "InvalidToken"):
            return AuthError(f"S3: {what}: {code or status}",
                             f"check the credentials: {self._credentials_source()}, and the bucket policy")
        if code in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch") or "Checksum" in code:
            return IntegrityError(f"S3: {what}: server rejected our checksum ({code})",
                                  "if the store rejects CRC32 headers set checksum = when_required")
        if code == "NotImplemented":  # a 501 that no retry will change
            unsupported = ConfigError(f"S3: {what}: the store does not implement this (NotImplemented: "
                                      f"{err.get('Message', '')[:120]})", "drop the setting that needs it for this store")
            unsupported.server_message = str(err.get("Message", ""))
            return unsupported
        if status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout"):
            return TransientError(f"S3: {what}: {code or status}", "the next run retries")
        return BackendError(f"S3: {what}: {code} {err.get('Message', '')}".strip())

    def prepare(self):
        """Check (or create) the bucket once, before worker threads start:
        parallel first uploads would otherwise race to create it."""
        self._ensure_bucket()

    def _ensure_bucket(self):
        with self._bucket_lock:
            if not self._bucket_ok:
                self._check_or_create_bucket()
                self._bucket_ok = True

    def _check_or_create_bucket(self):
        try:
            self._call(f"bucket {self.bucket}", self.client.head_bucket, Bucket=self.bucket)
            return
        except NotFound:
            if not self.create_bucket:
                raise NotFound(f"S3 bucket {self.bucket} does not exist",
                               "create it, or allow create_bucket in [s3]") from None
        try:
            self._call(f"create bucket {self.bucket}", self.client.create_bucket, Bucket=self.bucket)
        except BackendError as exc:
            # BucketAlreadyOwnedByYou: the answer to our first CreateBucket was lost and the retry
            # met our bucket. BucketAlreadyExists: another run (another host) created it meanwhile,
            # or it is someone else's: ours only if we can now read it.
            if "BucketAlreadyOwnedByYou" in str(exc):
                pass
            elif "BucketAlreadyExists" in str(exc):
                self._call(f"bucket {self.bucket}", self.client.head_bucket, Bucket=self.bucket)
                return
            else:
                raise
        # always said: a misspelled bucket would otherwise fill up unseen
        log.warning("created S3 bucket %s (set create_bucket = no in [s3] to refuse instead)", self.bucket)

    # -- the contract --------------------------------------------------------
    def check_container(self):
        try:
            self._call(f"bucket {self.bucket}", self.client.head_bucket, Bucket=self.bucket)
        except NotFound:
            raise NotFound(f"S3 bucket {self.bucket} does not exist", MISSING_HINT) from None

    def put(self, key, path, *, size, sha256, metadata=None, expire_after=None, exclusive=False):
        sha256 = resolve(sha256)  # S3 takes metadata when the upload starts
        name = self._full(key)
        meta = integrity_metadata(size, sha256, metadata)
        args = dict(Bucket=self.bucket, Key=name, Metadata=meta, ContentType=content_type(key), **self.extra)
        if expire_after:
            args["Tagging"] = lifecycle.tagging(lifecycle.days_of(expire_after))
        self._ensure_bucket()
        try:
            etag = self._put(name, path, size, args, sha256)
        except ConfigError as exc:
            if expire_after and "tag" in getattr(exc, "server_message", "").lower():
                raise _no_tags(self.bucket, "it answers NotImplemented to a tagged upload") from None
            raise
        if expire_after and not self._tags_checked:
            self._check_tagged(name, args["Tagging"])
        return ObjectInfo(key, size, sha256, meta, etag=etag)

    def _check_tagged(self, name, tag):
        try:
            tags = self._call(f"tags of {name}", self.client.get_object_tagging,
                              Bucket=self.bucket, Key=name).get("TagSet", [])
            ok = any(f"{t.get('Key')}={t.get('Value')}" == tag for t in tags)
            why = None if ok else f"the object came back without the tag {tag}"
        except AuthError:  # a policy without s3:GetObjectTagging: say that, not "no tags"
            self._delete_quietly(name)
            raise
        except (BackendError, ConfigError, TransientError) as exc:  # rclone answers 500
            why = str(exc)
        if why:
            self._delete_quietly(name)  # ours, just made: an untagged copy would never expire
            raise _no_tags(self.bucket, why)
        self._tags_checked = True

    def ensure_expiry(self, key, expire_after):
        """Tag an archive that is already in the store: uploaded before
        expire_after was set, or by a run whose tag check failed."""
        name = self._full(key)
        tag_key, days = lifecycle.TAG, str(lifecycle.days_of(expire_after))
        tags = self._call(f"tags of {name}", self.client.get_object_tagging, Bucket=self.bucket,
                          Key=name).get("TagSet", [])
        if {"Key": tag_key, "Value": days} in tags:
            return
        tags = [t for t in tags if t.get("Key") != tag_key] + [{"Key": tag_key, "Value": days}]
        self._call(f"tag {name}", self.client.put_object_tagging, Bucket=self.bucket, Key=name,
                   Tagging={"TagSet": tags})

    def _put(self, name, path, size, args, sha256):
        if size > self.multipart_threshold:
            return self._put_multipart(name, path, size, args)
        if size <= SMALL:  # one read: the body and both hashes come from the same bytes
            data = small_body(path, size, sha256)
            return self._call(f"upload {name}", self.client.put_object, Body=data, ContentLength=size,
                              ContentMD5=b64(md5_of(data).digest()), **args).get("ETag")
        md5 = file_md5(path)
        with RangeReader(path, 0, size) as body:
            resp = self._call(f"upload {name}", self.client.put_object, Body=body,
                              ContentLength=size, ContentMD5=b64(md5.digest()), **args)
        if body.md5.hexdigest() != md5.hexdigest():
            self._delete_quietly(name)
            raise IntegrityError(f"{path} changed while it was uploaded")
        return resp.get("ETag")

    def stat(self, key):
        name = self._full(key)
        resp = self._call(f"HEAD {name}", self.client.head_object, Bucket=self.bucket, Key=name)
        return self._info(key, resp)

    def _info(self, key, resp):
        sha, meta = parse_metadata(resp.get("Metadata", {}))
        modified = resp.get("LastModified")
        return ObjectInfo(key, int(resp.get("ContentLength", 0)), sha, meta, etag=resp.get("ETag"),
                          mtime=modified.timestamp() if modified else None)

    def open_read(self, key):
        name = self._full(key)
        resp = self._call(f"GET {name}", self.client.get_object, Bucket=self.bucket, Key=name)
        return self._info(key, resp), self._chunks(resp["Body"], name)

    def _chunks(self, body, name):
        try:
            while True:
                data = body.read(CHUNK)
                if not data:
                    return
                yield data
        except self._bexc.FlexibleChecksumError:
            raise IntegrityError(f"S3: {name}: response checksum mismatch") from None
        except Exception as exc:
            raise TransientError(f"S3: reading {name}: {type(exc).__name__}") from None
        finally:
            body.close()

    def _pages(self, what, limit=None, **kwargs):
        token = None
        while limit is None or limit > 0:
            if token:
                kwargs["ContinuationToken"] = token
            size = self.list_page_size if limit is None else min(limit, self.list_page_size)
            try:
                page = self._call(what, self.client.list_objects_v2, Bucket=self.bucket, MaxKeys=size, **kwargs)
            except NotFound:
                return
            yield page
            if not page.get("IsTruncated"):
                return
            limit = None if limit is None else limit - page.get("KeyCount", size)
            token = page["NextContinuationToken"]

    def list(self, prefix="", start_after=None, end_before=None):
        kwargs = {"Prefix": self._full(prefix)}
        if start_after is not None:
            kwargs["StartAfter"] = self._full(start_after)
        end = self._full(end_before) if end_before is not None else None
        for page in self._pages(f"list {self.bucket}", **kwargs):
            for item in page.get("Contents", []):
                if end is not None and item["Key"] >= end:
                    return  # S3 has no end marker: stop paging here
                yield ObjectInfo(item["Key"][len(self.prefix):], int(item["Size"]), etag=item.get("ETag"))

    def list_dirs(self, prefix=""):
        for entry in self.list_level(prefix):
            if entry.is_folder:
                yield entry.key[len(prefix):].rstrip("/")

    def list_level(self, prefix="", start_after=None, end_before=None, *, reverse=False, limit=None):
        if reverse:  # S3 lists forward only: the whole level, turned around
            yield from list(self.list_level(prefix, start_after, end_before))[::-1][:limit]
            return
        kwargs = {"Prefix": self._full(prefix), "Delimiter": "/"}
        if start_after is not None:
            kwargs["StartAfter"] = self._full(start_after)
        end = self._full(end_before) if end_before is not None else None
        for page in self._pages(f"list {self.bucket}", limit, **kwargs):
            # keys and folders come in two lists; the page is one range of both
            entries = [(i["Key"], int(i["Size"]), i.get("ETag")) for i in page.get("Contents", [])]
            entries += [(i["Prefix"], 0, None) for i in page.get("CommonPrefixes", [])]
            for name, size, etag in sorted(entries):
                if end is not None and name >= end:
                    return
                yield ObjectInfo(name[len(self.prefix):], size, etag=etag)

    def delete(self, key):
        self.stat(key)  # S3 DELETE of a missing key succeeds; the contract says NotFound
        name = self._full(key)
        self._call(f"DELETE {name}", self.client.delete_object, Bucket=self.bucket, Key=name)

    # -- capabilities.lifecycle_rules: S3 expiry (lifecycle.py, `swiftrotate lifecycle`) --
    def lifecycle_rules(self):
        """The bucket's lifecycle rules; [] when it has none."""
        self._ensure_bucket()

        def get(**kwargs):
            try:
                return self.client.get_bucket_lifecycle_configuration(**kwargs).get("Rules") or []
            except self._bexc.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
                    return []
                raise

        return self._call(f"lifecycle of bucket {self.bucket}", get, Bucket=self.bucket)

    def set_lifecycle_rules(self, rules):
        """Replace the bucket's whole lifecycle configuration (S3 has no
        per-rule update). Never DeleteBucketLifecycle: some stores take that
        for DeleteBucket."""
        self._call(f"set lifecycle of bucket {self.bucket}", self.client.put_bucket_lifecycle_configuration,
                   Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})

    def _delete_quietly(self, name):
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception:
            pass


def _no_tags(bucket, why):
    return ConfigError(f"S3 bucket {bucket} does not keep object tags, which expire_after needs on S3 ({why})",
                       "drop expire_after for this store, or expire by a lifecycle rule on the prefix yourself")


def from_url(netloc, path, options):
    return S3Backend(netloc, path, **options)
