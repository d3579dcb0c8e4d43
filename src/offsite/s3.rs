//! The three S3 calls backups need — PUT an object, list a prefix
//! (ListObjectsV2), DELETE an object — signed with AWS Signature Version 4
//! (the form every S3-compatible store accepts), over reqwest with rustls.

use ring::hmac;

use super::OffsiteError;
use crate::model::UnixTime;

/// A bucket and the credentials to reach it (secret in clear, in memory).
pub struct Bucket {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub virtual_host: bool,
}

use crate::store::to_hex as hex;

fn sha256_hex(b: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, b).as_ref())
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

/// RFC 3986 unreserved characters stay; everything else is %XX (and '/'
/// too unless `keep_slash`), as SigV4 wants.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `x-amz-date` and its day for `at`.
fn amz_dates(at: UnixTime) -> (String, String) {
    let ts = jiff::Timestamp::from_second(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    (ts.strftime("%Y%m%dT%H%M%SZ").to_string(), ts.strftime("%Y%m%d").to_string())
}

impl Bucket {
    /// The URL of `key` (or of the bucket, for "") and the Host header.
    fn url(&self, key: &str) -> Result<(String, String, String), OffsiteError> {
        let base = self.endpoint.trim_end_matches('/');
        let (scheme, host) = base
            .split_once("://")
            .ok_or_else(|| OffsiteError::Config(format!("endpoint {base:?} must start with https:// or http://")))?;
        let (host, path) = if self.virtual_host {
            (format!("{}.{host}", self.bucket), format!("/{}", uri_encode(key, true)))
        } else {
            (host.to_string(), format!("/{}/{}", uri_encode(&self.bucket, false), uri_encode(key, true)))
        };
        Ok((format!("{scheme}://{host}{path}"), host, path))
    }

    /// SigV4 headers for a request.
    fn sign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &str,
        payload_hash: &str,
        at: UnixTime,
    ) -> Vec<(String, String)> {
        let (amz_date, day) = amz_dates(at);
        let canonical = format!(
            "{method}\n{path}\n{query}\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}"
        );
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
        let k_date = hmac256(format!("AWS4{}", self.secret_key).as_bytes(), day.as_bytes());
        let k_region = hmac256(&k_date, self.region.as_bytes());
        let k_service = hmac256(&k_region, b"s3");
        let k_signing = hmac256(&k_service, b"aws4_request");
        let signature = hex(&hmac256(&k_signing, to_sign.as_bytes()));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.access_key
        );
        vec![
            ("x-amz-date".into(), amz_date),
            ("x-amz-content-sha256".into(), payload_hash.into()),
            ("authorization".into(), auth),
        ]
    }

    async fn send(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        key: &str,
        query: &str,
        body: Vec<u8>,
        at: UnixTime,
    ) -> Result<String, OffsiteError> {
        let (url, host, path) = self.url(key)?;
        let payload_hash = sha256_hex(&body);
        let mut req = http.request(method.clone(), if query.is_empty() { url } else { format!("{url}?{query}") });
        for (k, v) in self.sign(method.as_str(), &host, &path, query, &payload_hash, at) {
            req = req.header(k, v);
        }
        let resp =
            req.body(body).send().await.map_err(|e| OffsiteError::Unreachable(format!("{}: {e}", self.endpoint)))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(text);
        }
        let code = between(&text, "<Code>", "</Code>").unwrap_or_default();
        let message = between(&text, "<Message>", "</Message>").unwrap_or_default();
        Err(OffsiteError::Refused(match code.as_str() {
            "NoSuchBucket" => format!("bucket {:?} does not exist at {}", self.bucket, self.endpoint),
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied" => {
                format!("the bucket refused the access key or secret ({code}: {message})")
            }
            _ => format!("{} {status}: {code} {message}", method.as_str()),
        }))
    }

    /// Store `body` at `key`.
    pub async fn put(
        &self,
        http: &reqwest::Client,
        key: &str,
        body: Vec<u8>,
        at: UnixTime,
    ) -> Result<(), OffsiteError> {
        self.send(http, reqwest::Method::PUT, key, "", body, at).await.map(|_| ())
    }

    /// The keys under `prefix` (up to 1,000: ample for retention's dozens).
    pub async fn list(&self, http: &reqwest::Client, prefix: &str, at: UnixTime) -> Result<Vec<String>, OffsiteError> {
        let query = format!("list-type=2&prefix={}", uri_encode(prefix, false));
        let xml = self.send(http, reqwest::Method::GET, "", &query, Vec::new(), at).await?;
        let mut keys = Vec::new();
        let mut rest = xml.as_str();
        while let Some(k) = between(rest, "<Key>", "</Key>") {
            let end = rest.find("</Key>").map_or(rest.len(), |i| i + 6);
            keys.push(unescape(&k));
            rest = &rest[end..];
        }
        Ok(keys)
    }

    pub async fn delete(&self, http: &reqwest::Client, key: &str, at: UnixTime) -> Result<(), OffsiteError> {
        self.send(http, reqwest::Method::DELETE, key, "", Vec::new(), at).await.map(|_| ())
    }
}

fn between(s: &str, open: &str, close: &str) -> Option<String> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(s[start..end].to_string())
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example for a GET with SigV4 (the "GET Object"
    /// example of the S3 API reference, "Signature Calculations for the
    /// Authorization Header"), whose signature is given there.
    #[test]
    fn the_signature_matches_the_aws_example() {
        let b = Bucket {
            endpoint: "https://s3.amazonaws.com".into(),
            region: "us-east-1".into(),
            bucket: "examplebucket".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            virtual_host: true,
        };
        // 20130524T000000Z
        let at = 1_369_353_600;
        let empty = sha256_hex(b"");
        // The example signs a Range header too; without it the canonical
        // request differs, so check the pieces that the example fixes.
        let (url, host, path) = b.url("test.txt").unwrap();
        assert_eq!(url, "https://examplebucket.s3.amazonaws.com/test.txt");
        assert_eq!((host.as_str(), path.as_str()), ("examplebucket.s3.amazonaws.com", "/test.txt"));
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let headers = b.sign("GET", &host, &path, "", &empty, at);
        assert_eq!(headers[0].1, "20130524T000000Z");
        assert!(headers[2].1.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
        // The signing key chain from the same document.
        let k = hmac256(format!("AWS4{}", b.secret_key).as_bytes(), b"20130524");
        let k = hmac256(&hmac256(&hmac256(&k, b"us-east-1"), b"s3"), b"aws4_request");
        // "GET Bucket Lifecycle" example: list with ?lifecycle, no Range.
        let canonical = format!(
            "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:{empty}\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n{empty}"
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{}",
            sha256_hex(canonical.as_bytes())
        );
        assert_eq!(
            hex(&hmac256(&k, to_sign.as_bytes())),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
    }

    #[test]
    fn keys_are_encoded_as_sigv4_wants() {
        assert_eq!(uri_encode("a b/c+d~", true), "a%20b/c%2Bd~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
