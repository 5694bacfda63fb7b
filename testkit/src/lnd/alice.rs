//! Stopping, restarting and migrating alice, and [`Exclusive`]: the network
//! for one test alone, with alice running again when it is done.

use std::time::{Duration, Instant};

use super::Network;
use crate::shared::Shared;

impl Network {
    /// False for existing nodes (`LNPAYD_TEST_*`): alice is not ours to stop.
    pub fn can_restart_alice(&self) -> bool {
        !self.external
    }

    /// Whether alice's lnd, started by us, is running (false after
    /// [`Network::stop_alice`], or if it died). Always true for existing nodes.
    pub fn alice_running(&mut self) -> bool {
        if self.external {
            return true;
        }
        self.procs
            .get_mut("alice")
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Stops alice's lnd (gracefully) and waits for it to exit.
    pub fn stop_alice(&mut self) {
        assert!(!self.external, "alice is not ours to stop");
        let _ = self.lncli("alice", "admin", &["stop"]);
        if let Some(mut c) = self.procs.remove("alice") {
            let deadline = Instant::now() + Duration::from_secs(30);
            while c.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Restarts alice with lnd's native SQL invoice store: lnd migrates her
    /// invoices from the KV store on start-up. Needs alice started with
    /// `--db.backend=sqlite`.
    pub fn migrate_alice_to_native_sql(&mut self) {
        assert!(
            self.alice_args.iter().any(|a| a == "--db.backend=sqlite"),
            "alice must run on the sqlite backend to migrate"
        );
        self.stop_alice();
        self.alice_args.push("--db.use-native-sql".into());
        self.start_alice();
    }

    /// Starts alice again if a test left her stopped (or she died).
    pub fn ensure_alice_running(&mut self) {
        if !self.alice_running() {
            eprintln!("alice is not running: starting her again");
            if let Some(mut c) = self.procs.remove("alice") {
                let _ = c.kill();
                let _ = c.wait();
            }
            self.start_alice();
        }
    }

    /// Starts alice again on the same dirs and ports; returns once her channel is active.
    pub fn start_alice(&mut self) {
        self.spawn_alice();
        self.wait_alice_ready();
    }

    /// Starts alice's lnd again and returns at once, for a test that watches
    /// her come up ([`Network::alice_state`]); [`Network::wait_alice_ready`]
    /// then waits until bob can pay her.
    pub fn spawn_alice(&mut self) {
        assert!(!self.external, "alice is not ours to start");
        self.start_lnd("alice");
    }

    /// Alice's state as `lncli state` tells it (`RPC_ACTIVE`,
    /// `SERVER_ACTIVE`…); None while she does not answer.
    pub fn alice_state(&self) -> Option<String> {
        let s = self.lncli("alice", "admin", &["state"]).ok()?;
        s["state"].as_str().map(str::to_string)
    }

    /// Waits until alice, (re)started, is synced, her channels active, and
    /// bob can pay her.
    pub fn wait_alice_ready(&self) {
        self.wait_synced("alice");
        self.wait_channel_active("alice");
        self.wait_channel_active("bob");
        self.wait_payable();
    }
}

/// A shared [`Network`] for one test alone ([`Shared::write`]), with alice
/// running when it is taken and again when it is dropped: a test that fails
/// while she is stopped does not fail the tests after it.
pub struct Exclusive(tokio::sync::RwLockMappedWriteGuard<'static, Network>);

impl Exclusive {
    /// Waits for every other test using `net` to finish, then takes it.
    pub async fn of(net: &'static Shared<Network>) -> Exclusive {
        let mut net = net.write().await;
        tokio::task::block_in_place(|| net.ensure_alice_running());
        Exclusive(net)
    }
}

impl std::ops::Deref for Exclusive {
    type Target = Network;
    fn deref(&self) -> &Network {
        &self.0
    }
}

impl std::ops::DerefMut for Exclusive {
    fn deref_mut(&mut self) -> &mut Network {
        &mut self.0
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        let net = &mut *self.0;
        // Already unwinding: a second panic here would abort the whole binary.
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| net.ensure_alice_running()));
    }
}
