//! Webhooks end to end: the real `lnpayd` binary in dev mode delivering to
//! real HTTP receivers (tests/webhooks/receivers: the README's Python and
//! Next.js receivers), which verify every signature with the Standard
//! Webhooks packages from PyPI and npm, not with lnpayd's code.
//! Needs `scripts/ensure-tools.sh webhooks`.

use testkit::daemon as harness;

mod declared;
mod delivery;
mod faults;
mod readme;
mod receiver;
mod restart;
mod rotation;
