//! A local identity provider speaking OpenID Connect's authorization code flow with PKCE as
//! Google and Facebook document it (OIDC Core §3.1; RFC 6749 §4.1, §5.2; RFC 7636), for the
//! chat's social login tests: `/authorize` approves at once for the configured user (or
//! answers `access_denied`), the token endpoint checks the client, the redirect address, the
//! one-use code and the PKCE verifier and signs an RS256 ID token with the corpus's test key
//! (`tests/corpus/oidc/test-key.pk8`, never trusted anywhere else), and `/jwks` publishes it.
//! In Facebook's style the token endpoint is a `GET` with the parameters in the query and
//! errors are Graph errors; in Google's it is a form `POST` with RFC 6749 errors.
use atiende_channels::chat::oidc::{Provider, TokenStyle};
use atiende_core::b64;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const KEY: &[u8] = include_bytes!("../../../tests/corpus/oidc/test-key.pk8");

/// Who logs in at the fake provider.
#[derive(Debug, Clone)]
pub struct IdpUser {
    pub sub: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    user: IdpUser,
}

struct Inner {
    style: TokenStyle,
    client_id: String,
    client_secret: String,
    user: IdpUser,
    deny: bool,
    /// A nonce put in ID tokens instead of the one the login sent (a replayed token).
    wrong_nonce: bool,
    kid: String,
    codes: HashMap<String, Grant>,
    /// Token requests seen, and the JWKS fetches.
    pub token_calls: usize,
    pub jwks_calls: usize,
}

#[derive(Clone)]
pub struct FakeIdp {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    key: Arc<ring::signature::RsaKeyPair>,
}

impl FakeIdp {
    /// Starts one on loopback, in the style of `style`, for the client `client_id`.
    pub async fn start(style: TokenStyle, client_id: &str, client_secret: &str, user: IdpUser) -> FakeIdp {
        let key = Arc::new(ring::signature::RsaKeyPair::from_pkcs8(KEY).expect("the corpus's test key"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Mutex::new(Inner {
            style,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            user,
            deny: false,
            wrong_nonce: false,
            kid: "k1".into(),
            codes: HashMap::new(),
            token_calls: 0,
            jwks_calls: 0,
        }));
        let idp = FakeIdp { url, inner, key };
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", get(token_get).post(token_post))
            .route("/jwks", get(jwks))
            .with_state(idp.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        idp
    }

    /// The provider as Atiende is configured with it.
    pub fn provider(&self) -> Provider {
        let i = self.lock();
        Provider {
            issuer: self.url.clone(),
            authorization_url: format!("{}/authorize", self.url),
            token_url: format!("{}/token", self.url),
            jwks_url: format!("{}/jwks", self.url),
            client_id: i.client_id.clone(),
            client_secret: i.client_secret.clone(),
            token_style: i.style,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_user(&self, user: IdpUser) {
        self.lock().user = user;
    }
    /// The visitor cancels at the provider.
    pub fn deny(&self, deny: bool) {
        self.lock().deny = deny;
    }
    pub fn wrong_nonce(&self, on: bool) {
        self.lock().wrong_nonce = on;
    }
    /// A new signing key id (the provider rotated its keys).
    pub fn rotate(&self, kid: &str) {
        self.lock().kid = kid.into();
    }
    pub fn token_calls(&self) -> usize {
        self.lock().token_calls
    }
    pub fn jwks_calls(&self) -> usize {
        self.lock().jwks_calls
    }

    fn id_token(&self, g: &Grant, kid: &str, nonce: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (client_id, issuer) = (self.lock().client_id.clone(), self.url.clone());
        let mut claims = json!({
            "iss": issuer, "aud": client_id, "sub": g.user.sub, "name": g.user.name,
            "nonce": nonce, "iat": now, "exp": now + 3600,
        });
        if let Some(e) = &g.user.email {
            claims["email"] = json!(e);
            claims["email_verified"] = json!(g.user.email_verified);
        }
        let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
        let si = format!(
            "{}.{}",
            b64::encode_url(header.to_string().as_bytes()),
            b64::encode_url(claims.to_string().as_bytes())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                si.as_bytes(),
                &mut sig,
            )
            .expect("sign");
        format!("{si}.{}", b64::encode_url(&sig))
    }
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn authorize(State(idp): State<FakeIdp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let p = |k: &str| q.get(k).cloned().unwrap_or_default();
    let i = idp.lock();
    // An unknown client or no redirect address: an error page, never a redirect (RFC 6749
    // §4.1.2.1).
    if p("client_id") != i.client_id || !p("redirect_uri").starts_with("http") {
        return (StatusCode::BAD_REQUEST, "invalid client or redirect_uri").into_response();
    }
    let back = |query: String| {
        let sep = if p("redirect_uri").contains('?') { '&' } else { '?' };
        redirect(format!("{}{sep}{query}", p("redirect_uri")))
    };
    let enc = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap_or_default();
    let state = p("state");
    let bad = p("response_type") != "code"
        || !p("scope").split(' ').any(|s| s == "openid")
        || p("code_challenge_method") != "S256"
        || p("code_challenge").len() != 43
        || p("nonce").is_empty();
    if bad {
        return back(enc(&[("error", "invalid_request"), ("state", &state)]));
    }
    if i.deny {
        return back(enc(&[
            ("error", "access_denied"),
            ("error_description", "The user denied the request"),
            ("state", &state),
        ]));
    }
    let user = i.user.clone();
    drop(i);
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("random");
    let code = hex::encode(raw);
    idp.lock().codes.insert(
        code.clone(),
        Grant { redirect_uri: p("redirect_uri"), challenge: p("code_challenge"), nonce: p("nonce"), user },
    );
    back(enc(&[("code", &code), ("state", &state)]))
}

fn token_error(style: TokenStyle, code: &str, message: &str) -> Response {
    let body = match style {
        TokenStyle::PostForm => json!({"error": code, "error_description": message}),
        TokenStyle::GetQuery => {
            json!({"error": {"message": message, "type": "OAuthException", "code": 100, "fbtrace_id": "AbCdEf"}})
        }
    };
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn token(idp: &FakeIdp, style: TokenStyle, params: HashMap<String, String>, headers: &HeaderMap) -> Response {
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    let mut i = idp.lock();
    i.token_calls += 1;
    if i.style != style {
        return token_error(i.style, "invalid_request", "wrong method for this token endpoint");
    }
    if style == TokenStyle::PostForm
        && !headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    {
        return token_error(style, "invalid_request", "the body must be a form");
    }
    if style == TokenStyle::PostForm && p("grant_type") != "authorization_code" {
        return token_error(style, "unsupported_grant_type", "grant_type");
    }
    if p("client_id") != i.client_id || p("client_secret") != i.client_secret {
        return token_error(style, "invalid_client", "Unauthorized client");
    }
    let Some(g) = i.codes.remove(&p("code")) else {
        return token_error(style, "invalid_grant", "This authorization code has been used or is unknown.");
    };
    if g.redirect_uri != p("redirect_uri") {
        return token_error(style, "invalid_grant", "redirect_uri does not match");
    }
    let challenge = {
        use sha2::Digest;
        b64::encode_url(&sha2::Sha256::digest(p("code_verifier").as_bytes()))
    };
    if challenge != g.challenge {
        return token_error(style, "invalid_grant", "code_verifier does not match the challenge");
    }
    let kid = i.kid.clone();
    let nonce = if i.wrong_nonce { "replayed".to_string() } else { g.nonce.clone() };
    drop(i);
    let id_token = idp.id_token(&g, &kid, &nonce);
    axum::Json(json!({
        "access_token": "ya29.fake-access-token", "token_type": "Bearer", "expires_in": 3599,
        "scope": "openid email profile", "id_token": id_token,
    }))
    .into_response()
}

async fn token_get(
    State(idp): State<FakeIdp>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    token(&idp, TokenStyle::GetQuery, q, &headers)
}

async fn token_post(State(idp): State<FakeIdp>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let params: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    token(&idp, TokenStyle::PostForm, params, &headers)
}

async fn jwks(State(idp): State<FakeIdp>) -> Response {
    let kid = {
        let mut i = idp.lock();
        i.jwks_calls += 1;
        i.kid.clone()
    };
    let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(idp.key.public());
    let keys: Value = json!({"keys": [
        {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64::encode_url(&c.n), "e": b64::encode_url(&c.e)},
    ]});
    axum::Json(keys).into_response()
}
