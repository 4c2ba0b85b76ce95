//! Social login for chat visitors: the OpenID Connect authorization code flow with PKCE
//! (OpenID Connect Core 1.0 §3.1; RFC 6749 §4.1; RFC 7636), as Google and Facebook document
//! it. Atiende sends the visitor's browser to the provider's authorization endpoint, takes the
//! code back at its callback, exchanges it at the token endpoint and keeps who the ID token
//! says the visitor is — after checking its RS256 signature against the provider's published
//! keys (JWKS) and its `iss`, `aud`/`azp`, `exp`, `iat` and `nonce` (Core §3.1.3.7).
//!
//! The two providers differ only where their references do: Google's token endpoint takes a
//! form `POST` and its ID tokens name the issuer `https://accounts.google.com` or
//! `accounts.google.com`; Facebook's (`graph.facebook.com/{version}/oauth/access_token`) is a
//! Graph call with the parameters in the query, and answers errors as Graph errors
//! (`{"error": {"message", "type", "code"}}`) where Google answers RFC 6749 §5.2 ones.
use atiende_core::b64;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Why a login did not give an identity. The message is for logs and the admin, never
/// for the visitor (who is told the login failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OidcError(pub String);

fn err(m: impl Into<String>) -> OidcError {
    OidcError(m.into())
}

/// How a provider's token endpoint takes the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStyle {
    /// `POST` with an `application/x-www-form-urlencoded` body (RFC 6749 §4.1.3; Google).
    PostForm,
    /// `GET` with the parameters in the query (Facebook's Graph endpoint).
    GetQuery,
}

/// Where a provider lives and who we are to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The `iss` its ID tokens carry; Google's also come as the bare host.
    pub issuer: String,
    pub authorization_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_style: TokenStyle,
}

impl Provider {
    /// Google's documented endpoints (its discovery document,
    /// `https://accounts.google.com/.well-known/openid-configuration`).
    pub fn google(client_id: &str, client_secret: &str) -> Provider {
        Provider {
            issuer: "https://accounts.google.com".into(),
            authorization_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_style: TokenStyle::PostForm,
        }
    }

    /// Facebook Login's OIDC code flow with PKCE (the login dialog, the Graph token endpoint
    /// of `graph_version`, and the keys of `www.facebook.com/.well-known/oauth/openid/jwks/`).
    pub fn facebook(app_id: &str, app_secret: &str, graph_version: &str) -> Provider {
        Provider {
            issuer: "https://www.facebook.com".into(),
            authorization_url: format!("https://www.facebook.com/{graph_version}/dialog/oauth"),
            token_url: format!("https://graph.facebook.com/{graph_version}/oauth/access_token"),
            jwks_url: "https://www.facebook.com/.well-known/oauth/openid/jwks/".into(),
            client_id: app_id.into(),
            client_secret: app_secret.into(),
            token_style: TokenStyle::GetQuery,
        }
    }

    /// The issuers an ID token of this provider may name.
    pub fn issuers(&self) -> Vec<String> {
        let mut v = vec![self.issuer.clone()];
        if let Some(bare) = self.issuer.strip_prefix("https://")
            && bare == "accounts.google.com"
        {
            v.push(bare.to_string());
        }
        v
    }
}

/// The PKCE challenge of a verifier (RFC 7636 §4.2, `S256`).
pub fn challenge(verifier: &str) -> String {
    b64::encode_url(&Sha256::digest(verifier.as_bytes()))
}

/// A verifier (RFC 7636 §4.1: 43 characters of the unreserved set) from 32 random bytes.
pub fn verifier(random: &[u8; 32]) -> String {
    b64::encode_url(random)
}

/// Where the visitor's browser goes to log in.
pub fn authorization_url(
    p: &Provider,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    verifier: &str,
) -> String {
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", p.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("scope", "openid email profile"),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", &challenge(verifier)),
        ("code_challenge_method", "S256"),
    ])
    .unwrap_or_default();
    let sep = if p.authorization_url.contains('?') { '&' } else { '?' };
    format!("{}{sep}{query}", p.authorization_url)
}

/// The token request's parameters (RFC 6749 §4.1.3 with the client's secret in the body,
/// `client_secret_post`, and the PKCE verifier).
pub fn token_params(p: &Provider, redirect_uri: &str, code: &str, verifier: &str) -> Vec<(String, String)> {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", p.client_id.as_str()),
        ("client_secret", p.client_secret.as_str()),
        ("code_verifier", verifier),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The ID token in a token endpoint's answer, or the provider's reason for refusing.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<String, OidcError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| err(format!("the token endpoint answered {status} with something that is not JSON")))?;
    if let Some(e) = v.get("error") {
        // RFC 6749 §5.2 (`error`, `error_description`), or a Graph error object.
        let text = match e {
            Value::String(code) => match v["error_description"].as_str() {
                Some(d) => format!("{code}: {d}"),
                None => code.clone(),
            },
            Value::Object(o) => format!(
                "{} (code {})",
                o.get("message").and_then(Value::as_str).unwrap_or("error"),
                o.get("code").map(Value::to_string).unwrap_or_default()
            ),
            other => other.to_string(),
        };
        return Err(err(format!("the provider refused the code: {text}")));
    }
    if !(200..300).contains(&status) {
        return Err(err(format!("the token endpoint answered {status}")));
    }
    match v["id_token"].as_str() {
        Some(t) if !t.is_empty() => Ok(t.to_string()),
        _ => Err(err("the token endpoint gave no id_token (is the openid scope allowed for this client?)")),
    }
}

/// A provider's RSA signing keys, by key id.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<(Option<String>, Vec<u8>, Vec<u8>)>,
}

impl Jwks {
    /// Reads a JWK Set (RFC 7517 §5); keys other than RSA signature keys are skipped.
    pub fn parse(body: &[u8]) -> Result<Jwks, OidcError> {
        let v: Value = serde_json::from_slice(body).map_err(|_| err("the JWKS is not JSON"))?;
        let list = v["keys"].as_array().ok_or_else(|| err("the JWKS has no keys list"))?;
        let mut keys = Vec::new();
        for k in list {
            if k["kty"] != "RSA" || k.get("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let (Some(n), Some(e)) = (k["n"].as_str(), k["e"].as_str()) else { continue };
            let (Some(n), Some(e)) = (b64::decode_url(n), b64::decode_url(e)) else { continue };
            keys.push((k["kid"].as_str().map(str::to_string), n, e));
        }
        Ok(Jwks { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether it holds the key an ID token names (so an unknown one means: fetch again,
    /// the provider rotated its keys).
    pub fn has(&self, kid: Option<&str>) -> bool {
        self.find(kid).is_some()
    }

    fn find(&self, kid: Option<&str>) -> Option<(&[u8], &[u8])> {
        let mut it = self.keys.iter().filter(|(k, _, _)| kid.is_none() || k.as_deref() == kid);
        let first = it.next()?;
        // Without a `kid`, only a set of one key is unambiguous.
        if kid.is_none() && it.next().is_some() {
            return None;
        }
        Some((&first.1, &first.2))
    }
}

/// The key id an ID token's header names (to know whether the keys must be fetched again).
pub fn token_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let v: Value = serde_json::from_slice(&b64::decode_url(header)?).ok()?;
    v["kid"].as_str().map(str::to_string)
}

/// Who an ID token says the visitor is. `email` only when the provider says it is verified
/// (Google's `email_verified`; Facebook gives only confirmed addresses and no such claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// What the ID token must match.
pub struct Expect<'a> {
    pub issuers: &'a [String],
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Seconds since the epoch.
    pub now: i64,
}

/// Allowed clock difference with the provider.
const LEEWAY_SECS: i64 = 60;

/// Checks an ID token (compact JWS, RS256) and reads its claims.
pub fn verify_id_token(token: &str, keys: &Jwks, want: &Expect<'_>) -> Result<Claims, OidcError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(err("the ID token is not three base64url parts"));
    }
    let decode = |s: &str, what: &str| {
        b64::decode_url(s).ok_or_else(|| err(format!("the ID token's {what} is not base64url")))
    };
    let header: Value = serde_json::from_slice(&decode(parts[0], "header")?)
        .map_err(|_| err("the ID token's header is not JSON"))?;
    if header["alg"] != "RS256" {
        return Err(err(format!("the ID token's alg is {}, only RS256 is accepted", header["alg"])));
    }
    let kid = header["kid"].as_str();
    let (n, e) =
        keys.find(kid).ok_or_else(|| err(format!("no published key has the ID token's kid {kid:?}")))?;
    let signature = decode(parts[2], "signature")?;
    let signed = &token.trim().as_bytes()[..parts[0].len() + 1 + parts[1].len()];
    ring::signature::RsaPublicKeyComponents { n, e }
        .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed, &signature)
        .map_err(|_| err("the ID token's signature does not verify with the provider's key"))?;
    let claims: Value = serde_json::from_slice(&decode(parts[1], "claims")?)
        .map_err(|_| err("the ID token's claims are not JSON"))?;
    let iss = claims["iss"].as_str().unwrap_or("");
    if !want.issuers.iter().any(|i| i == iss) {
        return Err(err(format!("the ID token's iss {iss:?} is not the provider")));
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(a) => vec![a.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&want.client_id) {
        return Err(err("the ID token's aud is not this client"));
    }
    if (audiences.len() > 1 || claims.get("azp").is_some()) && claims["azp"].as_str() != Some(want.client_id)
    {
        return Err(err("the ID token's azp is not this client"));
    }
    let exp = claims["exp"].as_i64().ok_or_else(|| err("the ID token has no exp"))?;
    if exp + LEEWAY_SECS < want.now {
        return Err(err("the ID token has expired"));
    }
    if claims["iat"].as_i64().is_some_and(|iat| iat > want.now + LEEWAY_SECS) {
        return Err(err("the ID token's iat is in the future"));
    }
    if claims["nonce"].as_str() != Some(want.nonce) {
        return Err(err("the ID token's nonce is not the one this login sent"));
    }
    let sub = claims["sub"].as_str().filter(|s| !s.is_empty() && s.len() <= 255);
    let sub = sub.ok_or_else(|| err("the ID token has no sub"))?.to_string();
    let verified = match &claims["email_verified"] {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        Value::Null => true,
        _ => false,
    };
    let text = |k: &str| claims[k].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    Ok(Claims { sub, email: text("email").filter(|_| verified), name: text("name") })
}

/// Exchanges the code at the provider's token endpoint for the ID token.
pub async fn exchange(
    http: &reqwest::Client,
    p: &Provider,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<String, OidcError> {
    let params = token_params(p, redirect_uri, code, verifier);
    let body = serde_urlencoded::to_string(&params).map_err(|e| err(e.to_string()))?;
    let req = match p.token_style {
        TokenStyle::PostForm => http
            .post(&p.token_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body),
        TokenStyle::GetQuery => {
            let sep = if p.token_url.contains('?') { '&' } else { '?' };
            http.get(format!("{}{sep}{body}", p.token_url))
        }
    };
    let resp =
        req.header(reqwest::header::ACCEPT, "application/json").send().await.map_err(|e| {
            err(format!("the token endpoint could not be reached: {}", crate::error_chain(&e)))
        })?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| err(format!("reading the token answer: {e}")))?;
    parse_token_response(status, &bytes)
}

/// Fetches a provider's signing keys.
pub async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Jwks, OidcError> {
    let resp =
        http.get(url).send().await.map_err(|e| {
            err(format!("the provider's keys could not be fetched: {}", crate::error_chain(&e)))
        })?;
    if !resp.status().is_success() {
        return Err(err(format!("the provider's keys answered {}", resp.status().as_u16())));
    }
    let bytes = resp.bytes().await.map_err(|e| err(format!("reading the provider's keys: {e}")))?;
    Jwks::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc7636s_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(verifier(&[0; 32]).len(), 43);
    }

    #[test]
    fn authorization_url_carries_the_flow() {
        let p = Provider::google("cid", "sec");
        let u = authorization_url(&p, "https://help.example/cb", "st", "no", "ver");
        assert!(
            u.starts_with("https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=cid")
        );
        assert!(u.contains("redirect_uri=https%3A%2F%2Fhelp.example%2Fcb"));
        assert!(u.contains("scope=openid+email+profile"));
        assert!(u.contains("code_challenge_method=S256"));
        assert!(u.contains(&format!("code_challenge={}", challenge("ver"))));
    }

    #[test]
    fn token_errors_of_both_shapes() {
        let e = parse_token_response(400, br#"{"error":"invalid_grant","error_description":"Bad Request"}"#);
        assert_eq!(e.unwrap_err().0, "the provider refused the code: invalid_grant: Bad Request");
        let fb = br#"{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"fbtrace_id":"A1"}}"#;
        let e = parse_token_response(400, fb).unwrap_err().0;
        assert!(e.contains("has been used") && e.contains("code 100"), "{e}");
        assert!(parse_token_response(200, br#"{"access_token":"x"}"#).unwrap_err().0.contains("no id_token"));
        assert!(parse_token_response(502, b"<html>").is_err());
        assert_eq!(
            parse_token_response(200, br#"{"id_token":"a.b.c","access_token":"x"}"#).unwrap(),
            "a.b.c"
        );
    }
}
