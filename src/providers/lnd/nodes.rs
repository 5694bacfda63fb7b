//! The LND nodes lnpayd may use: one address, or the several nodes of an
//! LND cluster (LND's own leader election over etcd), of which only the
//! active one is used at a time. A cluster shares one identity, so the same
//! certificate and macaroons serve every node.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fedimint_tonic_lnd::staterpc::{GetStateRequest, WalletState};

use super::classify;
use super::conn::LndClient;
use crate::providers::ProviderError;

/// One configured address and its clients (built lazily: nothing is
/// contacted until a call).
pub struct Node {
    pub address: String,
    pub client: LndClient,
    /// With the read-only macaroon, if configured.
    pub readonly: Option<LndClient>,
}

pub struct Nodes {
    nodes: Vec<Node>,
    /// Index of the node in use.
    active: AtomicUsize,
}

impl Nodes {
    /// `nodes` in the configured order; the first is used until a
    /// selection says otherwise.
    pub fn new(nodes: Vec<Node>) -> Self {
        assert!(!nodes.is_empty(), "config validation requires an address");
        Self {
            nodes,
            active: AtomicUsize::new(0),
        }
    }

    pub fn active(&self) -> &Node {
        &self.nodes[self.active.load(Ordering::Relaxed)]
    }

    pub fn is_cluster(&self) -> bool {
        self.nodes.len() > 1
    }

    /// Tries the addresses in order and uses the first node that answers
    /// and is active. With one address there is nothing to choose: the
    /// first call tells whether it answers.
    pub async fn select(&self, timeout: Duration) -> Result<&Node, ProviderError> {
        if !self.is_cluster() {
            return Ok(self.active());
        }
        let mut tried = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            match node_state(node, timeout).await {
                Ok(NodeState::Active) => {
                    let before = self.active.swap(i, Ordering::Relaxed);
                    tracing::info!(
                        address = %node.address,
                        changed = before != i,
                        "using this LND node (the first active of lnd.addresses)"
                    );
                    return Ok(node);
                }
                Ok(NodeState::Inactive(state)) => {
                    tried.push(format!("{}: {}", node.address, state.as_str_name()))
                }
                Err(e) => tried.push(format!("{}: {e}", node.address)),
            }
        }
        Err(ProviderError::Unavailable(format!(
            "no LND node is active ({})",
            tried.join("; ")
        )))
    }
}

enum NodeState {
    Active,
    Inactive(WalletState),
}

/// LND's State service: RPC_ACTIVE or SERVER_ACTIVE is a node that serves
/// invoices; a standby waiting for leadership, or a locked node, is not.
async fn node_state(node: &Node, timeout: Duration) -> Result<NodeState, ProviderError> {
    let mut client = node.client.clone();
    let asked = tokio::time::timeout(timeout, client.state().get_state(GetStateRequest {}));
    let state = match asked.await {
        Err(_) => return Err(ProviderError::Timeout(timeout)),
        // An LND older than 0.13 has no State service, and no cluster mode:
        // that it answered is all there is to know.
        Ok(Err(s)) if s.code() == tonic::Code::Unimplemented => return Ok(NodeState::Active),
        Ok(Err(s)) => return Err(classify(&s)),
        Ok(Ok(r)) => r.into_inner().state(),
    };
    Ok(match state {
        WalletState::RpcActive | WalletState::ServerActive => NodeState::Active,
        other => NodeState::Inactive(other),
    })
}
