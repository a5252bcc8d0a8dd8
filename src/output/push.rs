//! Sending OTLP/HTTP requests: `POST` JSON to a collector, with retries and
//! backoff where the protocol asks for them.

use std::time::Duration;

use anyhow::{anyhow, Result};

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The full URL (see [`endpoint_url`]).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
}

/// The URL to post to: `/v1/traces` is added to an endpoint given without
/// a path, as OTLP/HTTP exporters do.
pub fn endpoint_url(endpoint: &str) -> Result<String> {
    let trimmed = endpoint.trim();
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(anyhow!(
            "invalid --otlp-endpoint '{trimmed}': expected http://HOST:PORT or https://…\nhint: a collector listens on http://localhost:4318"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Err(anyhow!(
            "invalid --otlp-endpoint '{trimmed}': only http and https are supported"
        ));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(anyhow!("invalid --otlp-endpoint '{trimmed}': no host"));
    }
    Ok(match rest.find('/') {
        None => format!("{trimmed}/v1/traces"),
        Some(i) if rest[i..] == *"/" => format!("{}/v1/traces", trimmed.trim_end_matches('/')),
        Some(_) => trimmed.to_string(),
    })
}

/// Statuses after which OTLP/HTTP says to try again.
fn retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// How long `Retry-After` asks to wait (seconds; HTTP dates are taken as
/// "soon"), capped at a minute.
fn retry_after(value: Option<&str>) -> Option<Duration> {
    let v = value?.trim();
    match v.parse::<u64>() {
        Ok(s) => Some(Duration::from_secs(s.min(60))),
        Err(_) => Some(Duration::from_secs(1)),
    }
}

/// Posts `body` (an `ExportTraceServiceRequest` as JSON). Retries with
/// exponential backoff on 429/502/503/504 (honoring `Retry-After`) and on
/// connection failures; any other status is an error at once.
pub fn push(body: &[u8], options: &PushOptions) -> Result<()> {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .http_status_as_error(false)
        .build();
    let agent: ureq::Agent = config.into();
    let mut backoff = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        let mut request = agent
            .post(&options.url)
            .header("Content-Type", "application/json");
        for (k, v) in &options.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let outcome = request.send(body);
        let wait = match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(());
                }
                let after = retry_after(
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()),
                );
                if !retryable(status) || attempt >= options.retries {
                    let mut response = response;
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    let detail = text.trim();
                    let detail = if detail.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ": {}",
                            crate::render::text::truncate(
                                &crate::render::text::escape(detail),
                                200
                            )
                        )
                    };
                    return Err(anyhow!(
                        "{} answered {status}{detail}{}",
                        options.url,
                        if retryable(status) {
                            format!(" (after {} attempts)", attempt + 1)
                        } else {
                            String::new()
                        }
                    ));
                }
                after.unwrap_or(backoff)
            }
            Err(e) => {
                if attempt >= options.retries {
                    return Err(anyhow!(
                        "cannot send to {}: {e} (after {} attempts)",
                        options.url,
                        attempt + 1
                    ));
                }
                backoff
            }
        };
        std::thread::sleep(wait);
        backoff = (backoff * 2).min(Duration::from_secs(10));
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_get_the_traces_path_when_they_have_none() {
        assert_eq!(
            endpoint_url("http://localhost:4318").unwrap(),
            "http://localhost:4318/v1/traces"
        );
        assert_eq!(
            endpoint_url("http://localhost:4318/").unwrap(),
            "http://localhost:4318/v1/traces"
        );
        assert_eq!(
            endpoint_url("https://otel.example/api/v1/traces").unwrap(),
            "https://otel.example/api/v1/traces"
        );
        assert!(endpoint_url("localhost:4318").is_err());
        assert!(endpoint_url("ftp://x").is_err());
        assert!(endpoint_url("http://").is_err());
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        assert_eq!(retry_after(Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(Some("9999")), Some(Duration::from_secs(60)));
        assert_eq!(
            retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::from_secs(1))
        );
        assert_eq!(retry_after(None), None);
    }
}
