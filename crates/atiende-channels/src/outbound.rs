//! Where outbound connections may go (SPEC §11.2 "outbound safety"). Webhooks, platform
//! APIs and mail hosts are named by admins of any organization, so by default none may reach
//! the deployment's own network: loopback, private, link-local, unspecified, shared (CGNAT),
//! multicast and broadcast addresses are refused, however the address is written (`127.1`,
//! `2130706433`, `[::ffff:127.0.0.1]`) and whatever a host name resolves to. The deployment
//! setting `outbound_allow` (CIDRs or host names) opens exceptions for on-premise targets.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// One exception of `outbound_allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allow {
    Net(IpAddr, u8),
    Host(String),
}

/// The deployment's outbound rules. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    allow: Arc<Vec<Allow>>,
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} is an internal address; outbound connections there need the deployment's outbound_allow setting"
)]
pub struct Refused(pub String);

fn internal_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || o[0] >= 240
}

/// Whether an address belongs to a network no outside destination uses.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits.min(32)) };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits.min(128)) };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => {
            a.to_ipv4_mapped().is_some_and(|a| in_net(IpAddr::V4(a), net, bits))
        }
        _ => false,
    }
}

impl Policy {
    /// Reads `outbound_allow`: comma-separated CIDRs (`10.0.0.0/8`), addresses or host
    /// names. Errors name the entry that does not read.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let mut allow = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let rule = match entry.split_once('/') {
                Some((ip, bits)) => {
                    let ip: IpAddr = ip.parse().map_err(|_| format!("{entry:?} is not a CIDR"))?;
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    let bits: u8 = bits
                        .parse()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("{entry:?} is not a CIDR"))?;
                    Allow::Net(ip, bits)
                }
                None => match entry.parse::<IpAddr>() {
                    Ok(ip) => Allow::Net(ip, if ip.is_ipv4() { 32 } else { 128 }),
                    Err(_) if entry.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) => {
                        Allow::Host(entry.to_ascii_lowercase())
                    }
                    Err(_) => return Err(format!("{entry:?} is neither a CIDR, an address nor a host name")),
                },
            };
            allow.push(rule);
        }
        Ok(Policy { allow: Arc::new(allow) })
    }

    /// Everything allowed (tests that talk to fakes on loopback; never the default).
    pub fn allow_all() -> Policy {
        Policy {
            allow: Arc::new(vec![
                Allow::Net(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                Allow::Net(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
            ]),
        }
    }

    /// Whether `ip` is in one of the listed networks (the same list form serves the trusted
    /// proxies of the login limit).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|a| matches!(a, Allow::Net(n, b) if in_net(ip, *n, *b)))
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allow.iter().any(|a| matches!(a, Allow::Host(h) if *h == host))
    }

    /// Whether `ip`, reached for `host`, may be connected to.
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if !is_internal(ip) || self.host_allowed(host) {
            return Ok(());
        }
        if self.allow.iter().any(|a| matches!(a, Allow::Net(n, b) if in_net(ip, *n, *b))) {
            return Ok(());
        }
        Err(Refused(if host.parse::<IpAddr>().is_ok() || host.is_empty() {
            ip.to_string()
        } else {
            format!("{host} ({ip})")
        }))
    }

    /// Resolves `host:port` and keeps the addresses that may be connected to; refuses when
    /// none may (a name that resolves only inside).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
                .await
                .map_err(|e| format!("{host}: cannot resolve ({e})"))?
                .collect();
        let mut refused = None;
        let ok: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.check_ip(host, a.ip()) {
                Ok(()) => true,
                Err(e) => {
                    refused = Some(e);
                    false
                }
            })
            .collect();
        match (ok.is_empty(), refused) {
            (true, Some(e)) => Err(e.to_string()),
            (true, None) => Err(format!("{host}: no address")),
            _ => Ok(ok),
        }
    }

    /// Checks a URL's host when it is written as an address (names are checked when
    /// resolved, at connection time).
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Refused> {
        // The URL parser has normalized every way of writing an address (`127.1`, decimal,
        // hex) to its plain form.
        let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => self.check_ip("", ip),
            Err(_) => Ok(()),
        }
    }
}

/// A resolver for the HTTP client that never hands out a refused address, so a name cannot
/// point a webhook at the deployment's own network (nor re-point it between check and use).
#[derive(Debug, Clone)]
pub struct Resolver(pub Policy);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs = policy
                .resolve(name.as_str(), 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: &Policy, url: &str) -> bool {
        policy.check_url(&reqwest::Url::parse(url).unwrap()).is_err()
    }

    #[test]
    fn internal_addresses_are_refused_however_written() {
        let p = Policy::default();
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0.0.0.0/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/",
            "http://172.20.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::]/",
        ] {
            assert!(refused(&p, url), "{url} should be refused");
        }
        for url in ["http://93.184.215.14/", "https://[2606:4700::1111]/", "https://hooks.example.com/x"] {
            assert!(!refused(&p, url), "{url} should pass");
        }
    }

    #[test]
    fn outbound_allow_opens_exceptions() {
        let p = Policy::parse("127.0.0.0/8, 10.1.0.0/16, mail.internal, ::1").unwrap();
        assert!(!refused(&p, "http://127.0.0.1:8080/"));
        assert!(!refused(&p, "http://10.1.200.3/"));
        assert!(refused(&p, "http://10.2.0.1/"));
        assert!(!refused(&p, "http://[::1]/"));
        assert!(p.check_ip("mail.internal", "10.9.9.9".parse().unwrap()).is_ok());
        assert!(p.check_ip("MAIL.internal.", "10.9.9.9".parse().unwrap()).is_ok());
        assert!(p.check_ip("other.internal", "10.9.9.9".parse().unwrap()).is_err());
        assert!(Policy::parse("10.0.0.0/33").is_err());
        assert!(Policy::parse("not a host!").is_err());
        assert_eq!(Policy::parse(" , ").unwrap(), Policy::default());
        assert!(!refused(&Policy::allow_all(), "http://127.0.0.1/"));
    }

    #[tokio::test]
    async fn names_are_checked_by_what_they_resolve_to() {
        let p = Policy::default();
        let e = p.resolve("localhost", 80).await.unwrap_err();
        assert!(e.contains("internal address"), "{e}");
        let allowed = Policy::parse("localhost").unwrap();
        assert!(!allowed.resolve("localhost", 80).await.unwrap().is_empty());
    }
}
