//! Per-token rate limits on the gRPC API, as one interceptor wrapped around
//! the auth interceptor (which has found the caller's role by then). There
//! are two tokens, so a limiter per role is a limiter per token.
//!
//! Over the limit: RESOURCE_EXHAUSTED `RATE_LIMITED` with a
//! `google.rpc.RetryInfo` saying when a call will pass again.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tonic::service::Interceptor;
use tonic::{Code, Request, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::auth::Role;
use super::status::DOMAIN;
use crate::config::{self, RateLimitConfig};
use crate::error::Reason;

/// The governor quota for a configured token bucket.
pub fn quota(q: config::Quota) -> Quota {
    let nz = |n: u32| NonZeroU32::new(n.max(1)).expect("at least 1");
    Quota::per_second(nz(q.per_second)).allow_burst(nz(q.burst))
}

/// How long until `limiter` lets one call through, or None if it does now.
pub fn wait_time(limiter: &DefaultDirectRateLimiter) -> Option<Duration> {
    limiter
        .check()
        .err()
        .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

/// The refusal, for gRPC: the delay rounded up to whole milliseconds, so a
/// client that waits exactly that long passes.
pub fn refused(scope: &str, wait: Duration) -> Status {
    crate::metrics::metrics().rate_limited(scope);
    let wait = Duration::from_millis(wait.as_millis() as u64 + 1);
    let mut details = ErrorDetails::with_error_info(
        Reason::RateLimited.as_str(),
        DOMAIN,
        [("scope".to_string(), scope.to_string())],
    );
    details.set_retry_info(Some(wait));
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("rate limit reached; retry in {} ms", wait.as_millis()),
        details,
    )
}

#[derive(Default)]
pub struct ApiLimits {
    invoice: Option<DefaultDirectRateLimiter>,
    admin: Option<DefaultDirectRateLimiter>,
}

impl ApiLimits {
    pub fn new(cfg: &RateLimitConfig) -> Arc<Self> {
        Arc::new(Self {
            invoice: cfg.invoice.map(|q| RateLimiter::direct(quota(q))),
            admin: cfg.admin.map(|q| RateLimiter::direct(quota(q))),
        })
    }

    fn check(&self, role: Role) -> Result<(), Status> {
        let (limiter, scope) = match role {
            Role::Invoice => (&self.invoice, "invoice"),
            Role::Admin => (&self.admin, "admin"),
        };
        match limiter.as_ref().and_then(wait_time) {
            None => Ok(()),
            Some(wait) => Err(refused(scope, wait)),
        }
    }
}

/// `auth` first (an unauthenticated call costs no one's quota), then the limit of the role it found.
pub fn limited<I: Interceptor + Clone>(
    mut auth: I,
    limits: Arc<ApiLimits>,
) -> impl Interceptor + Clone {
    move |req: Request<()>| {
        let req = auth.call(req)?;
        if let Some(role) = req.extensions().get::<Role>() {
            limits.check(*role)?;
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_call_waits_about_one_refill() {
        let limits = ApiLimits::new(&RateLimitConfig {
            invoice: Some(config::Quota {
                per_second: 2,
                burst: 3,
            }),
            ..Default::default()
        });
        for _ in 0..3 {
            limits.check(Role::Invoice).unwrap();
        }
        let err = limits.check(Role::Invoice).unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted);
        let d = err.get_error_details();
        assert_eq!(d.error_info().unwrap().reason, "RATE_LIMITED");
        let retry = d.retry_info().unwrap().retry_delay.unwrap();
        assert!(
            retry > Duration::ZERO && retry <= Duration::from_millis(501),
            "{retry:?}"
        );
        // The admin token is not limited unless configured.
        for _ in 0..100 {
            limits.check(Role::Admin).unwrap();
        }
    }
}
