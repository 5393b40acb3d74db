"""S3 multipart uploads: a big file in parts, and what a killed one leaves.

Owns uploading the parts in parallel (each with a checksum the server
verifies: botocore's CRC32, or Content-MD5 under checksum = when_required),
completing the upload (and telling a lost answer to Complete from a failure),
aborting a failed one, and clear_leftovers(): aborting the open multipart
uploads a killed run left, which are billed until aborted.

MultipartMixin is mixed into S3Backend and uses its plumbing (_call, _info,
client, bucket, part_size, max_parts, concurrency, checksum,
multipart_threshold, _full). It must not build clients or translate errors:
s3.py does that.
"""
from concurrent.futures import ThreadPoolExecutor

from ..errors import AuthError, ConfigError, NotFound, SwiftrotateError, TransientError
from ._transfer import MIB, RangeReader, b64, file_md5


class MultipartMixin:
    """The multipart half of S3Backend (see the module docstring)."""

    def _put_multipart(self, name, path, size, args):
        upload_id = self._call(f"start upload {name}", self.client.create_multipart_upload,
                               **args)["UploadId"]
        # S3 allows 10,000 parts (Swift's s3api 1,000: set max_parts); grow
        # the parts of a huge file rather than fail at part 10,001.
        part = max(self.part_size, -(-size // self.max_parts // MIB) * MIB)
        ranges = [(i + 1, off, min(part, size - off)) for i, off in enumerate(range(0, size, part))]

        def upload(item):
            number, off, length = item
            extra = {}
            if self.checksum == "when_required":
                extra["ContentMD5"] = b64(file_md5(path, off, length).digest())
            with RangeReader(path, off, length, md5=False) as body:
                resp = self._call(f"upload part {number} of {name}", self.client.upload_part,
                                  Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number,
                                  Body=body, ContentLength=length, **extra)
            part = {"PartNumber": number, "ETag": resp["ETag"]}
            for algo in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256"):
                if algo in resp:
                    part[algo] = resp[algo]
            return part

        try:
            with ThreadPoolExecutor(self.concurrency) as pool:
                parts = list(pool.map(upload, ranges))
            resp = self._call(f"complete upload {name}", self.client.complete_multipart_upload,
                              Bucket=self.bucket, Key=name, UploadId=upload_id,
                              MultipartUpload={"Parts": parts})
        except NotFound:
            # NoSuchUpload: the answer to our Complete was lost and botocore's
            # retry found the upload already assembled. HEAD tells.
            try:
                info = self._info(name, self._call(f"HEAD {name}", self.client.head_object, Bucket=self.bucket,
                                                   Key=name))
            except SwiftrotateError:
                info = None
            if info is None or (info.size, info.sha256) != (size, args["Metadata"]["sha256"]):
                self._abort_quietly(name, upload_id)
                # aborted under us (another run's cleanup), or cannot be told now
                raise TransientError(f"S3: upload of {name} was no longer open, and the object is not ours "
                                     "(or could not be checked)", "the next run retries") from None
            return info.etag
        except BaseException:
            self._abort_quietly(name, upload_id)
            raise
        return resp.get("ETag")

    def _abort_quietly(self, name, upload_id):
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except Exception:
            pass

    def needs_cleanup(self, size):
        return size > self.multipart_threshold

    def clear_leftovers(self, key, busy=lambda: False):
        """Abort every open multipart upload of `key`: a completed one is no
        longer listed, so whatever is listed is a killed run's (billed until
        aborted), unless busy() says another process is uploading it now."""
        name = self._full(key)
        try:
            uploads = [u for u in self._call(f"list uploads of {name}", self.client.list_multipart_uploads,
                                             Bucket=self.bucket, Prefix=name).get("Uploads", [])
                       if u.get("Key") == name]
            if uploads and busy():
                return False
            for upload in uploads:
                if upload.get("Key") == name:
                    try:
                        self._call(f"abort upload of {name}", self.client.abort_multipart_upload,
                                   Bucket=self.bucket, Key=name, UploadId=upload["UploadId"])
                    except NotFound:
                        pass
        except NotFound:
            return True
        except (AuthError, ConfigError):
            raise  # e.g. a policy without s3:ListBucketMultipartUploads: the caller says so
        except SwiftrotateError:
            return False
        return True
