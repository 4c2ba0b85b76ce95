//! The command line (SPEC §11.1): `serve`, `migrate`, `user create`, `token create`,
//! `config example`.
use crate::config::{Config, EXAMPLE, FileConfig};
use crate::server;
use anyhow::Context;
use atiende_app::App;
use atiende_app::users::UserInput;
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "atiende", version, about = "Self-hosted omnichannel customer service")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "ATIENDE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite file, secret key).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// postgres://… or sqlite://…; default: SQLite in the data directory.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (HTTP, realtime, background workers).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Creates or upgrades the database schema, then exits.
    Migrate,
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user (and the organization when it is new).
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// admin, agent or analyst; repeat for several roles.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// es or en.
        #[arg(long)]
        language: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a personal API token; prints it alone on the last line.
    Create {
        #[arg(long)]
        email: String,
        /// The organization, when the address is a user of several.
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Prints an annotated configuration file with every setting.
    Example,
}

fn load(common: &Common, listen: Option<String>) -> anyhow::Result<Config> {
    let mut f = match &common.config {
        Some(p) => FileConfig::read(p)?,
        None => FileConfig::default(),
    };
    f.apply_env()?;
    if let Some(d) = &common.data_dir {
        f.data_dir = Some(d.clone());
    }
    if let Some(u) = &common.database_url {
        f.database_url = Some(u.clone());
    }
    if let Some(l) = listen {
        f.listen = Some(l);
    }
    f.resolve()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Config { command: ConfigCommand::Example } = cli.command {
        print!("{EXAMPLE}");
        return ExitCode::SUCCESS;
    }
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let cfg = match load(&cli.common, listen) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("atiende: configuration: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logs(&cfg.log);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("atiende: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("atiende: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(filter: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

async fn app_for_cli(cfg: &Config) -> anyhow::Result<App> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = server::open_db(cfg).await?;
    let sealer = server::load_sealer(cfg)?;
    Ok(App::new(db, Arc::new(atiende_core::time::SystemClock), cfg.app.clone(), sealer))
}

async fn run(cmd: Command, cfg: Config) -> anyhow::Result<()> {
    match cmd {
        Command::Serve { .. } => {
            let s = server::start(&cfg, None).await?;
            let users = atiende_store::users::count_all(&s.app.db).await?;
            println!("Atiende is running at http://{}/ (database: {})", s.addr, s.app.db.backend_name());
            if users == 0 {
                println!("No users yet. Create the first admin, then an API token:");
                println!(
                    "  echo 'a long password' | atiende user create --org \"My Company\" --email admin@example.com --role admin --password-stdin"
                );
                println!("  atiende token create --email admin@example.com");
            }
            s.run_until_signal().await;
            Ok(())
        }
        Command::Migrate => {
            let app = app_for_cli(&cfg).await?;
            println!("database is up to date ({})", app.db.backend_name());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create { org, email, roles, password_stdin, first_name, last_name, language },
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password from standard input")?;
                Some(s.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let app = app_for_cli(&cfg).await?;
            let input =
                UserInput { email, password, first_name, last_name, language, roles, ..Default::default() };
            let u = atiende_app::users::create_in_org(&app, &org, &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {} (id {}) in organization {:?}", u.email, u.id, org);
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, org, name } } => {
            let app = app_for_cli(&cfg).await?;
            let email = email.trim().to_lowercase();
            let mut found = atiende_store::users::with_email(&app.db, &email).await?;
            if let Some(org) = &org {
                let id = atiende_store::orgs::by_name(&app.db, org.trim())
                    .await?
                    .with_context(|| format!("no organization {org:?}"))?
                    .id;
                found.retain(|u| u.org_id == id);
            }
            if found.len() > 1 {
                let mut names = Vec::new();
                for u in &found {
                    names.push(atiende_store::orgs::get(&app.db, u.org_id).await?.name);
                }
                anyhow::bail!(
                    "{email} is a user of several organizations; name one with --org: {}",
                    names.join(", ")
                );
            }
            let u = found.pop().with_context(|| format!("no user with email {email}"))?;
            if !u.active {
                anyhow::bail!("user {email} is deactivated");
            }
            let token = atiende_app::auth::create_token(&app, u.id, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("API token for {email} (shown once; send it as Authorization: Bearer TOKEN):");
            println!("{token}");
            Ok(())
        }
        Command::Config { .. } => Ok(()),
    }
}
