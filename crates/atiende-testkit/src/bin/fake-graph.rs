//! The fake Graph API of `atiende_testkit::graph` as a process, for the browser tests:
//! `fake-graph <access_token>` prints `listening at http://127.0.0.1:PORT` and serves until
//! killed.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(token) = std::env::args().nth(1) else {
        eprintln!("usage: fake-graph <access_token>");
        std::process::exit(2);
    };
    let g = atiende_testkit::graph::FakeGraph::start(&token).await;
    println!("listening at {}", g.url);
    std::future::pending::<()>().await;
}
