//! The fake identity provider of `atiende_testkit::idp` as a process, for the browser tests:
//! `fake-idp <google|facebook> <client_id> <client_secret> <sub> <name> <email>` prints
//! `listening at http://127.0.0.1:PORT` and serves until killed.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    use atiende_channels::chat::oidc::TokenStyle;
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 6 {
        eprintln!("usage: fake-idp <google|facebook> <client_id> <client_secret> <sub> <name> <email>");
        std::process::exit(2);
    }
    let style = if a[0] == "facebook" { TokenStyle::GetQuery } else { TokenStyle::PostForm };
    let user = atiende_testkit::idp::IdpUser {
        sub: a[3].clone(),
        name: a[4].clone(),
        email: Some(a[5].clone()),
        email_verified: true,
    };
    let idp = atiende_testkit::idp::FakeIdp::start(style, &a[1], &a[2], user).await;
    println!("listening at {}", idp.url);
    std::future::pending::<()>().await;
}
