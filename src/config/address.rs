//! Server addresses as users write them: base URLs in the config and on the command line,
//! and `OLLAMA_HOST` as Ollama reads it. Pure parsing, so the config can check an address
//! without depending on the HTTP clients (DESIGN.md, Layout: config sits below backend).

use url::Url;

/// Parses a base URL such as `http://localhost:1234`, `localhost:1234` or
/// `http://127.0.0.1:1234/v1`. A missing scheme means http. A trailing `/v1` is dropped,
/// since LM Studio's docs show the base URL with it and we add it ourselves.
pub fn parse_base_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty; give a URL such as http://127.0.0.1:1234".into());
    }
    let with_scheme = if s.contains("://") {
        s.to_owned()
    } else {
        format!("http://{s}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| format!("is not a valid URL ({e}); give one such as http://127.0.0.1:1234"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "uses \"{}\"; only http and https work",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host; give one such as http://127.0.0.1:1234".into());
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let path = path.strip_suffix("/v1").unwrap_or(&path).to_owned();
    url.set_path(&format!("{path}/"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Reads an `OLLAMA_HOST` value the way Ollama's `envconfig.Host()` does: optional scheme
/// (http when absent, default port 11434, or 80/443 when the scheme is given without a
/// port), surrounding quotes and spaces trimmed, an empty host meaning 127.0.0.1, and a bad
/// port falling back to the default.
pub fn ollama_host(raw: &str) -> Url {
    let s = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let (mut scheme, mut hostport, mut default_port) = ("http", s, "11434");
    if let Some((sch, rest)) = s.split_once("://") {
        hostport = rest;
        match sch {
            "http" => (scheme, default_port) = ("http", "80"),
            "https" => (scheme, default_port) = ("https", "443"),
            _ => scheme = "http",
        }
    } else if s == "ollama.com" {
        (scheme, hostport) = ("https", "ollama.com:443");
    }
    let (hostport, path) = hostport.split_once('/').unwrap_or((hostport, ""));
    let (host, port) = split_host_port(hostport).unwrap_or_else(|| {
        let bare = hostport.trim_matches(|c| c == '[' || c == ']');
        let host = if bare.is_empty() { "127.0.0.1" } else { bare };
        (host.to_owned(), default_port.to_owned())
    });
    let host = if host.is_empty() {
        "127.0.0.1".to_owned()
    } else {
        host
    };
    let port = match port.parse::<u32>() {
        Ok(n) if n <= 65535 => port,
        _ => default_port.to_owned(),
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let text = format!("{scheme}://{host}:{port}/{path}");
    Url::parse(&text).unwrap_or_else(|_| default_ollama())
}

fn default_ollama() -> Url {
    Url::parse("http://127.0.0.1:11434/").expect("constant URL parses")
}

/// Go's `net.SplitHostPort`: "host:port" or "[v6]:port"; None when there is no port.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host.to_owned(), port.to_owned()));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') {
        return None; // a bare IPv6 address has no port
    }
    Some((host.to_owned(), port.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalized() {
        let u = parse_base_url("localhost:1234").unwrap();
        assert_eq!(u.as_str(), "http://localhost:1234/");
        let u = parse_base_url("http://127.0.0.1:1234/v1/").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:1234/");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("").is_err());
    }

    #[test]
    fn ollama_host_follows_ollama() {
        let cases = [
            ("", "http://127.0.0.1:11434/"),
            ("1.2.3.4", "http://1.2.3.4:11434/"),
            (":1234", "http://127.0.0.1:1234/"),
            ("0.0.0.0:11434", "http://0.0.0.0:11434/"),
            ("http://example.com", "http://example.com/"),
            ("https://example.com", "https://example.com/"),
            ("http://example.com:8080", "http://example.com:8080/"),
            ("\"  1.2.3.4  \"", "http://1.2.3.4:11434/"),
            ("[0:0:0:0:0:0:0:1]", "http://[::1]:11434/"),
            ("[::1]:1234", "http://[::1]:1234/"),
            ("127.0.0.1:99999", "http://127.0.0.1:11434/"),
            ("http://example.com/path", "http://example.com/path"),
            ("ollama.com", "https://ollama.com/"),
        ];
        for (input, want) in cases {
            assert_eq!(ollama_host(input).as_str(), want, "OLLAMA_HOST={input:?}");
        }
    }
}
