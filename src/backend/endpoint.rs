//! Server addresses: the local-only rule, and which loopback address `localhost` really
//! means. Parsing what users type lives with the config that reads it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

pub use crate::config::address::{ollama_host, parse_base_url};

/// True for addresses on this machine: loopback IPs, `localhost` (and `*.localhost`), and
/// the unspecified address, which clients reach as loopback.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            let mapped = ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
            ip.is_loopback() || ip.is_unspecified() || mapped
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// Which loopback address to connect to for a local URL. `localhost` can mean 127.0.0.1 or
/// ::1; LM Studio listens on IPv4 only, so we try IPv4 first and keep whichever answers.
/// `0.0.0.0` and `::` mean "this machine" and become 127.0.0.1 and ::1. The flag says
/// whether the choice is settled (something answered, or there was nothing to choose).
pub async fn resolve_local(url: &Url, probe: Duration) -> (Url, bool) {
    let port = url.port_or_known_default().unwrap_or(80);
    let candidates: Vec<IpAddr> = match url.host() {
        Some(url::Host::Domain(d)) if is_local(url) && !d.is_empty() => {
            vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()]
        }
        Some(url::Host::Ipv4(ip)) if ip.is_unspecified() => vec![Ipv4Addr::LOCALHOST.into()],
        Some(url::Host::Ipv6(ip)) if ip.is_unspecified() => vec![Ipv6Addr::LOCALHOST.into()],
        _ => return (url.clone(), true),
    };
    let mut chosen = candidates[0];
    let mut answered = false;
    for ip in &candidates {
        let addr = SocketAddr::new(*ip, port);
        if let Ok(Ok(_)) = tokio::time::timeout(probe, tokio::net::TcpStream::connect(addr)).await {
            chosen = *ip;
            answered = true;
            break;
        }
    }
    let mut out = url.clone();
    // set_ip_host only fails for URLs that cannot have a host, which http(s) always can.
    let _ = out.set_ip_host(chosen);
    (out, answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_counts_as_local() {
        for local in [
            "http://localhost:1",
            "http://127.0.0.5:1",
            "http://[::1]:1",
            "http://0.0.0.0:1",
        ] {
            assert!(is_local(&parse_base_url(local).unwrap()), "{local}");
        }
        for remote in [
            "http://10.0.0.2:1",
            "http://example.com",
            "http://192.168.1.2:1",
        ] {
            assert!(!is_local(&parse_base_url(remote).unwrap()), "{remote}");
        }
    }

    #[tokio::test]
    async fn localhost_resolves_to_the_address_that_listens() {
        let v4 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = v4.local_addr().unwrap().port();
        let url = parse_base_url(&format!("http://localhost:{port}")).unwrap();
        let (got, _) = resolve_local(&url, Duration::from_millis(300)).await;
        assert_eq!(got.host_str(), Some("127.0.0.1"));
        if let Ok(v6) = tokio::net::TcpListener::bind("[::1]:0").await {
            let port = v6.local_addr().unwrap().port();
            let url = parse_base_url(&format!("http://localhost:{port}")).unwrap();
            let (got, _) = resolve_local(&url, Duration::from_millis(300)).await;
            assert_eq!(got.host_str(), Some("[::1]"));
        }
    }
}
