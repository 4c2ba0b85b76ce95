//! Calls to Meta's Graph API (`{graph_url}/{version}/…`, the account's token as a Bearer),
//! answering the JSON or what the failure means ([`super::Failure`]).
use super::{Failure, classify, retry_after};
use serde_json::Value;

/// Where the Graph API is and which version is spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub url: String,
    pub version: String,
}

impl Graph {
    /// `{url}/{version}/{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("{}/{}/{}", self.url.trim_end_matches('/'), self.version, path.trim_start_matches('/'))
    }
}

async fn answer(resp: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, Failure> {
    let resp = resp.map_err(|e| {
        Failure::Retry(format!("the Graph API could not be reached: {}", crate::error_chain(&e)))
    })?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let wait = retry_after(header("retry-after").as_deref(), header("x-business-use-case-usage").as_deref());
    let body = resp.bytes().await.unwrap_or_default();
    Err(classify(status, &body, wait))
}

async fn json(resp: reqwest::Response) -> Result<Value, Failure> {
    let bytes =
        resp.bytes().await.map_err(|e| Failure::Retry(format!("reading the Graph API's answer: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| Failure::Retry("the Graph API answered something that is not JSON".into()))
}

/// `POST` a JSON body.
pub async fn post(http: &reqwest::Client, url: &str, token: &str, body: &Value) -> Result<Value, Failure> {
    let req = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    json(answer(req.send().await).await?).await
}

/// `POST` a `multipart/form-data` body (a media upload).
pub async fn post_multipart(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    boundary: &str,
    body: Vec<u8>,
) -> Result<Value, Failure> {
    let req = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    json(answer(req.send().await).await?).await
}

/// `GET` a JSON answer.
pub async fn get(http: &reqwest::Client, url: &str, token: &str) -> Result<Value, Failure> {
    json(answer(http.get(url).bearer_auth(token).send().await).await?).await
}

/// Downloads a file (a media URL the Graph API gave), at most `max` bytes: `None` when it is
/// bigger (the message keeps it listed, without content).
pub async fn download(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    max: usize,
) -> Result<Option<Vec<u8>>, Failure> {
    let mut resp = answer(http.get(url).bearer_auth(token).send().await).await?;
    if resp.content_length().is_some_and(|n| n as usize > max) {
        return Ok(None);
    }
    let mut out = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| Failure::Retry(format!("downloading the file: {e}")))?
    {
        if out.len() + chunk.len() > max {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}
