//! A scriptable provider for tests: each operation answers from a queue of
//! outcomes (success when the queue is empty), optionally after a delay,
//! and every call is counted. Built for unit tests, and with the `testkit`
//! feature for integration tests.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    ConnectionState, HealthDetails, InvoiceRequest, IssuedInvoice, PaidReport, Provider,
    ProviderError,
};

/// The provider operations a script can answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Cancel,
    Lookup,
    Health,
}

/// One scripted answer. `Ok(Some(_))` is a payment for `Lookup` and plain
/// success for the others.
pub type Outcome = Result<Option<PaidReport>, ProviderError>;

pub struct FakeProvider {
    name: &'static str,
    script: Mutex<HashMap<Op, VecDeque<Outcome>>>,
    calls: Mutex<HashMap<Op, usize>>,
    delay: Mutex<Duration>,
    connection: Mutex<Option<ConnectionState>>,
    answered: AtomicUsize,
}

impl FakeProvider {
    pub fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            script: Mutex::default(),
            calls: Mutex::default(),
            delay: Mutex::default(),
            connection: Mutex::default(),
            answered: AtomicUsize::new(0),
        })
    }

    /// Queues the answers to the next calls of `op`.
    pub fn script(&self, op: Op, outcomes: impl IntoIterator<Item = Outcome>) {
        self.script
            .lock()
            .expect("script lock")
            .entry(op)
            .or_default()
            .extend(outcomes);
    }

    /// Every call waits this long before answering.
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().expect("delay lock") = delay;
    }

    pub fn set_connection(&self, state: Option<ConnectionState>) {
        *self.connection.lock().expect("connection lock") = state;
    }

    /// How many times the router told it that its node answered.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: Op) -> usize {
        self.calls
            .lock()
            .expect("calls lock")
            .get(&op)
            .copied()
            .unwrap_or(0)
    }

    async fn answer(&self, op: Op) -> Outcome {
        *self
            .calls
            .lock()
            .expect("calls lock")
            .entry(op)
            .or_default() += 1;
        let delay = *self.delay.lock().expect("delay lock");
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.script
            .lock()
            .expect("script lock")
            .get_mut(&op)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Ok(None))
    }
}

#[async_trait]
impl Provider for FakeProvider {
    fn name(&self) -> &'static str {
        self.name
    }

    fn network(&self) -> bitcoin::Network {
        bitcoin::Network::Regtest
    }

    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        self.answer(Op::Create).await?;
        Ok(IssuedInvoice {
            payment_request: format!("fake-{}-{}msat", self.name, req.amount_msat),
            decoded: None,
        })
    }

    async fn cancel_invoice(&self, _payment_hash: &str) -> Result<(), ProviderError> {
        self.answer(Op::Cancel).await.map(drop)
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        self.answer(Op::Health).await?;
        Ok(HealthDetails::default())
    }

    async fn lookup_paid(&self, _payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        self.answer(Op::Lookup).await
    }

    fn connection_state(&self) -> Option<ConnectionState> {
        self.connection.lock().expect("connection lock").clone()
    }

    fn node_answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }
}
