//! Real mail peers for the email tests: a Dovecot IMAP server on a loopback port
//! with a throwaway Maildir and static users, and an aiosmtpd SMTP sink that keeps
//! what it receives in a Maildir. Both are installed by the README's test command.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16, up: bool) {
    for _ in 0..200 {
        let open = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if open == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("port {port} did not become {}", if up { "open" } else { "closed" });
}

fn temp_dir(prefix: &str) -> PathBuf {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    let d = std::env::temp_dir().join(format!("{prefix}{}", hex::encode(b)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A Dovecot IMAP server (IMAP on a loopback port; with TLS, IMAPS on a second one and
/// STARTTLS on the first, under a certificate of a throwaway CA).
pub struct Dovecot {
    pub port: u16,
    /// The IMAPS port, when started with TLS.
    pub tls_port: Option<u16>,
    dir: PathBuf,
    conf: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(st.success(), "openssl {args:?} failed");
}

fn mail_owner() -> (String, Option<(u32, u32)>) {
    // Dovecot refuses to serve mail as root: as root, the mail belongs to `dovecot`.
    let uid = current_uid();
    if uid == 0 {
        let id = |flag: &str| -> u32 {
            let o = Command::new("id").args([flag, "dovecot"]).output().expect("id");
            String::from_utf8_lossy(&o.stdout).trim().parse().expect("the dovecot user exists")
        };
        ("uid=dovecot gid=dovecot".into(), Some((id("-u"), id("-g"))))
    } else {
        let gid = Command::new("id")
            .arg("-g")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        (format!("uid={uid} gid={gid}"), None)
    }
}

fn current_uid() -> u32 {
    let o = Command::new("id").arg("-u").output().expect("id");
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or(0)
}

impl Dovecot {
    /// Starts Dovecot with these `(user, password)` accounts.
    pub fn start(users: &[(&str, &str)]) -> Dovecot {
        Self::start_with(users, false)
    }

    /// Dovecot with TLS: IMAPS on `tls_port`, STARTTLS on `port`.
    pub fn start_tls(users: &[(&str, &str)]) -> Dovecot {
        Self::start_with(users, true)
    }

    /// The PEM of the CA that signed the server's certificate (TLS servers).
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).expect("a TLS Dovecot")
    }

    fn start_with(users: &[(&str, &str)], tls: bool) -> Dovecot {
        let dir = temp_dir("atiende-dovecot-");
        for d in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let (owner, chown) = mail_owner();
        if let Some((u, g)) = chown {
            std::os::unix::fs::chown(dir.join("mail"), Some(u), Some(g)).unwrap();
        }
        let users_file: String = users.iter().map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n")).collect();
        std::fs::write(dir.join("users"), users_file).unwrap();
        let port = free_port();
        let tls_port = tls.then(free_port);
        let ssl = if tls {
            openssl(
                &dir,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Atiende Test CA",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            );
            openssl(
                &dir,
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=localhost",
                ],
            );
            std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.pem",
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                ],
            );
            format!("ssl = yes\nssl_cert = <{0}/server.pem\nssl_key = <{0}/server.key\n", dir.display())
        } else {
            "ssl = no\n".to_string()
        };
        let imaps = match tls_port {
            Some(p) => format!(
                "  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {p}\n    ssl = yes\n  }}\n"
            ),
            None => "  inet_listener imaps {\n    port = 0\n  }\n".to_string(),
        };
        let d = dir.display();
        let conf = dir.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n\
                 {ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 0\n\
                 mail_location = maildir:{d}/mail/%u\n\
                 passdb {{\n  driver = passwd-file\n  args = {d}/users\n}}\n\
                 userdb {{\n  driver = static\n  args = {owner} home={d}/mail/%u\n}}\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n{imaps}}}\n"
            ),
        )
        .unwrap();
        let dc = Dovecot { port, tls_port, dir, conf };
        dc.run();
        dc
    }

    fn run(&self) {
        let st = Command::new("dovecot")
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .status()
            .expect("dovecot is installed (apt-get install dovecot-imapd)");
        assert!(st.success(), "dovecot did not start; see {}", self.dir.join("dovecot.log").display());
        wait_port(self.port, true);
        if let Some(p) = self.tls_port {
            wait_port(p, true);
        }
    }

    /// Stops the server (connections drop) and waits until the port is closed.
    pub fn stop(&self) {
        // The whole process group: the master alone would leave open sessions running.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("run/master.pid")) {
            let _ = Command::new("kill").arg("--").arg(format!("-{}", pid.trim())).status();
        }
        wait_port(self.port, false);
        // The master leaves its pid file; let it finish before a restart.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Starts it again on the same port, with the same mail.
    pub fn restart(&self) {
        self.run();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// Puts messages into a user's INBOX with IMAP APPEND; returns how many were added.
    pub async fn append(&self, user: &str, password: &str, messages: &[Vec<u8>]) -> usize {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        let mut s = client.login(user, password).await.map_err(|(e, _)| e).unwrap();
        for m in messages {
            s.append("INBOX", None, None, m).await.unwrap();
        }
        let _ = s.logout().await;
        messages.len()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("run/master.pid")) {
            let _ = Command::new("kill").arg("--").arg(format!("-{}", pid.trim())).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An SMTP sink (Python's aiosmtpd) keeping every message it receives.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_on(free_port())
    }

    /// A sink on a given port (e.g. one a test first left closed).
    pub fn start_on(port: u16) -> SmtpSink {
        let dir = temp_dir("atiende-smtp-");
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.join("maildir"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("aiosmtpd.log")).unwrap())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        wait_port(port, true);
        SmtpSink { port, dir, child }
    }

    /// Every message received so far, oldest first (raw bytes as stored by the sink).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .flat_map(|d| std::fs::read_dir(self.dir.join("maildir").join(d)).into_iter().flatten().flatten())
            .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), e.path()))
            .collect();
        files.sort();
        files.into_iter().map(|(_, p)| std::fs::read(p).unwrap()).collect()
    }

    /// Waits until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP sink got {} of {n} messages in {secs}s",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
